package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sync"
)

// A hashPipe passes bytes on to a writer in a goroutine of its own and
// hashes them in a third, so that whatever produces the bytes (SQLite
// copying pages, age decrypting the backup), whatever consumes them (age
// encrypting, the file being written) and SHA-256 run side by side instead
// of taking turns on one core. The backup and restore of a large database
// file are bound by exactly these. The bytes travel in a few large
// buffers, each copied at most once on the way in.
type hashPipe struct {
	w       io.Writer
	free    chan []byte
	toWrite chan []byte
	toHash  chan []byte
	h       hash.Hash
	n       int64
	mu      sync.Mutex
	err     error // the first error of w
	done    chan struct{}
	closed  bool
	cur     []byte // the buffer Write is filling
}

const (
	pipeBuf     = 1 << 20 // the size of a piece
	pipeBuffers = 4
)

func newHashPipe(w io.Writer) *hashPipe {
	p := &hashPipe{w: w, h: sha256.New(), free: make(chan []byte, pipeBuffers),
		toWrite: make(chan []byte, pipeBuffers), toHash: make(chan []byte, pipeBuffers), done: make(chan struct{})}
	for range pipeBuffers {
		p.free <- make([]byte, 0, pipeBuf)
	}
	go func() {
		defer close(p.toHash)
		for b := range p.toWrite {
			if p.failed() == nil {
				if _, err := p.w.Write(b); err != nil {
					p.fail(err)
				}
			}
			p.toHash <- b
		}
	}()
	go func() {
		defer close(p.done)
		for b := range p.toHash {
			p.h.Write(b)
			p.free <- b[:0]
		}
	}()
	return p
}

func (p *hashPipe) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *hashPipe) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// send hands the current buffer on.
func (p *hashPipe) send() {
	if len(p.cur) > 0 {
		p.n += int64(len(p.cur))
		p.toWrite <- p.cur
		p.cur = nil
	}
}

// Write copies b into the pipe's buffers. It fails once the writer has
// failed; the bytes are written later, so that error may come from an
// earlier Write, or only from Close.
func (p *hashPipe) Write(b []byte) (int, error) {
	if err := p.failed(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(b) {
		if p.cur == nil {
			p.cur = <-p.free
		}
		k := copy(p.cur[len(p.cur):cap(p.cur)], b[n:])
		p.cur = p.cur[:len(p.cur)+k]
		n += k
		if len(p.cur) == cap(p.cur) {
			p.send()
		}
	}
	return n, nil
}

// ReadFrom reads r to its end straight into the pipe's buffers.
func (p *hashPipe) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if err := p.failed(); err != nil {
			return total, err
		}
		if p.cur == nil {
			p.cur = <-p.free
		}
		k, err := io.ReadFull(r, p.cur[len(p.cur):cap(p.cur)])
		p.cur = p.cur[:len(p.cur)+k]
		total += int64(k)
		if len(p.cur) == cap(p.cur) {
			p.send()
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close waits until everything was written and hashed, and returns how
// many bytes passed, their SHA-256 and the writer's first error.
func (p *hashPipe) Close() (int64, string, error) {
	if !p.closed {
		p.closed = true
		p.send()
		close(p.toWrite)
	}
	<-p.done
	if err := p.failed(); err != nil {
		return p.n, "", err
	}
	return p.n, hex.EncodeToString(p.h.Sum(nil)), nil
}

// copyHashed copies r to w through a hashPipe and returns the number of
// bytes and their SHA-256.
func copyHashed(w io.Writer, r io.Reader) (int64, string, error) {
	p := newHashPipe(w)
	_, err := p.ReadFrom(r)
	n, sum, cerr := p.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return n, "", err
	}
	return n, sum, nil
}
