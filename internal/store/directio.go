package store

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Backups and restored database files are written once, in large pieces,
// and not read again soon; a backup is read once, from start to end.
// Going past the page cache (O_DIRECT, where the system has it) spares the
// kernel copying every byte into and out of its cache, which on a busy
// machine cost several times the rest of a backup or restore (measured on
// the development machine: 0.2–0.4 s of system time per GB instead of
// 1–2.3 s). The disk then works while the program does: one piece is read
// ahead, or written behind, in a goroutine of its own. Pieces that do not
// suit O_DIRECT (unaligned, or a file system without it) take the usual
// way.

// directAlign is the alignment O_DIRECT asks of offsets, lengths and
// memory: 4 KiB suits every block size in use.
const directAlign = 4096

// pieceSize is the size of the pieces read and written: on Linux, writes
// of 4 MiB through the page cache cost the kernel several times as much
// as writes of 1 MiB (measured), and smaller ones make more calls.
const pieceSize = 1 << 20

// directFile writes a new file.
type directFile struct {
	f *os.File // the usual way
	d *os.File // past the page cache; nil when not available
}

func createDirect(path string) (*directFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &directFile{f: f, d: openDirect(f.Name(), os.O_WRONLY)}, nil
}

// openDirect opens path past the page cache, or returns nil.
func openDirect(path string, flag int) *os.File {
	if oDirect == 0 {
		return nil
	}
	d, err := os.OpenFile(path, flag|oDirect, 0)
	if err != nil {
		return nil
	}
	return d
}

// alignedBuffer returns an empty slice of capacity n whose memory starts
// at a multiple of directAlign.
func alignedBuffer(n int) []byte {
	b := make([]byte, n+directAlign)
	skip := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))%directAlign)) % directAlign
	return b[skip : skip : skip+n]
}

func aligned(p []byte, off int64) bool {
	return len(p) > 0 && off%directAlign == 0 && len(p)%directAlign == 0 &&
		uintptr(unsafe.Pointer(&p[0]))%directAlign == 0
}

func (df *directFile) WriteAt(p []byte, off int64) (int, error) {
	if df.d != nil && aligned(p, off) {
		n, err := df.d.WriteAt(p, off)
		if !errors.Is(err, syscall.EINVAL) {
			return n, err
		}
		// The file system refuses after all: the usual way from now on.
		df.d.Close()
		df.d = nil
	}
	return df.f.WriteAt(p, off)
}

// closeDirect closes the handle past the page cache.
func (df *directFile) closeDirect() error {
	if df.d == nil {
		return nil
	}
	err := df.d.Close()
	df.d = nil
	return err
}

func (df *directFile) Close() error {
	err := df.closeDirect()
	if df.f != nil {
		if cerr := df.f.Close(); err == nil {
			err = cerr
		}
		df.f = nil
	}
	return err
}

// writeBehind fills one aligned buffer while the other is written in a
// goroutine of its own.
type writeBehind struct {
	df   *directFile
	bufs [2][]byte
	cur  int
	busy chan error // the write in flight, if any
}

func newWriteBehind(df *directFile) *writeBehind {
	return &writeBehind{df: df, bufs: [2][]byte{alignedBuffer(pieceSize), alignedBuffer(pieceSize)}}
}

// buf is the buffer being filled.
func (wb *writeBehind) buf() *[]byte { return &wb.bufs[wb.cur] }

// wait waits for the write in flight and returns its error.
func (wb *writeBehind) wait() error {
	if wb.busy == nil {
		return nil
	}
	err := <-wb.busy
	wb.busy = nil
	return err
}

// submit starts writing the filled buffer at off and empties the other
// one for filling. It returns the error of the write before.
func (wb *writeBehind) submit(off int64) error {
	if err := wb.wait(); err != nil {
		return err
	}
	b := wb.bufs[wb.cur]
	if len(b) == 0 {
		return nil
	}
	busy := make(chan error, 1)
	wb.busy = busy
	go func() {
		_, err := wb.df.WriteAt(b, off)
		busy <- err
	}()
	wb.cur = 1 - wb.cur
	wb.bufs[wb.cur] = wb.bufs[wb.cur][:0]
	return nil
}

// SequentialWriter writes a new file from its start to its end, in pieces
// past the page cache where the system allows (see above); the last,
// shorter piece takes the usual way. Backups are written with it.
type SequentialWriter struct {
	df  *directFile
	wb  *writeBehind
	off int64 // where the buffer being filled goes in the file
}

// NewSequentialWriter writes to f, a new, empty file opened for writing;
// the caller syncs and closes f after Flush and Close.
func NewSequentialWriter(f *os.File) *SequentialWriter {
	df := &directFile{f: f, d: openDirect(f.Name(), os.O_WRONLY)}
	return &SequentialWriter{df: df, wb: newWriteBehind(df)}
}

func (w *SequentialWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		b := w.wb.buf()
		k := copy((*b)[len(*b):cap(*b)], p[n:])
		*b = (*b)[:len(*b)+k]
		n += k
		if len(*b) == cap(*b) {
			if err := w.writeOut(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (w *SequentialWriter) writeOut() error {
	size := int64(len(*w.wb.buf()))
	if err := w.wb.submit(w.off); err != nil {
		return err
	}
	w.off += size
	return nil
}

// Flush writes what is buffered and waits for it.
func (w *SequentialWriter) Flush() error {
	if err := w.writeOut(); err != nil {
		return err
	}
	return w.wb.wait()
}

// Close waits for a write in flight and releases the writer's own handle
// of the file (not f).
func (w *SequentialWriter) Close() error {
	err := w.wb.wait()
	if cerr := w.df.closeDirect(); err == nil {
		err = cerr
	}
	return err
}

// ReadAhead reads a file that is read once from start to end, in small
// requests (age reads a backup 64 KiB at a time), in pieces of 1 MiB, past
// the page cache where the system allows, the next piece while the
// current one is used: a system call for every request would cost more
// than the copy out of a larger piece, and a disk that is not kept busy
// is slower than one that is.
type ReadAhead struct {
	mu   sync.Mutex // io.ReaderAt allows calls in parallel
	r    io.ReaderAt
	d    *os.File // the same file opened with O_DIRECT, or nil
	cur  piece
	next piece
	busy chan struct{} // closed when the read of next is done; nil when none
}

type piece struct {
	buf    []byte // aligned, of capacity pieceSize
	at     int64  // offset in the file
	err    error  // of reading it
	loaded bool   // buf, at and err describe a piece read
}

// NewReadAhead reads r; when r is a file, it is read past the page cache
// where the system allows. Close releases what it opened (not r).
func NewReadAhead(r io.ReaderAt) *ReadAhead {
	ra := &ReadAhead{r: r, cur: piece{buf: alignedBuffer(pieceSize)}, next: piece{buf: alignedBuffer(pieceSize)}}
	if f, ok := r.(*os.File); ok {
		ra.d = openDirect(f.Name(), os.O_RDONLY)
	}
	return ra
}

func (ra *ReadAhead) ReadAt(p []byte, off int64) (int, error) {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if c := &ra.cur; len(p) >= pieceSize/2 && !(off >= c.at && off+int64(len(p)) <= c.at+int64(len(c.buf))) {
		ra.settle()
		return ra.r.ReadAt(p, off) // a large read gains nothing from a piece
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		c := &ra.cur
		if at >= c.at && at < c.at+int64(len(c.buf)) {
			n += copy(p[n:], c.buf[at-c.at:])
			continue
		}
		if c.loaded && at >= c.at && at < c.at+pieceSize {
			if c.err != nil {
				return n, c.err
			}
			return n, io.EOF // the file ends in this piece
		}
		ra.load(at - at%directAlign)
		if len(ra.cur.buf) == 0 {
			if ra.cur.err != nil {
				return n, ra.cur.err
			}
			return n, io.EOF
		}
	}
	return n, nil
}

// load makes the piece at start (aligned) the current one: the one read
// ahead if it is that, else read now; then reads the following one ahead.
func (ra *ReadAhead) load(start int64) {
	if ra.settle() && ra.next.at == start {
		ra.cur, ra.next = ra.next, ra.cur // the usual case
	} else {
		ra.cur.at = start
		ra.cur.buf, ra.cur.err = ra.fill(ra.cur.buf, start)
		ra.cur.loaded = true
	}
	if c := &ra.cur; c.err == nil && len(c.buf) == pieceSize {
		at := c.at + pieceSize
		busy := make(chan struct{})
		ra.busy = busy
		go func() {
			ra.next.at = at
			ra.next.buf, ra.next.err = ra.fill(ra.next.buf, at)
			ra.next.loaded = true
			close(busy)
		}()
	}
}

// settle waits for the read ahead, if one is in flight, and reports
// whether there was one.
func (ra *ReadAhead) settle() bool {
	if ra.busy == nil {
		return false
	}
	<-ra.busy
	ra.busy = nil
	return true
}

// fill reads the piece at start (aligned) into b. Only one fill runs at a
// time: the read ahead is waited for before any other.
func (ra *ReadAhead) fill(b []byte, start int64) ([]byte, error) {
	b = b[:cap(b)]
	if ra.d != nil {
		n, err := readFullAt(ra.d, b, start)
		if !errors.Is(err, syscall.EINVAL) {
			return b[:n], err
		}
		ra.d.Close() // the file system refuses after all
		ra.d = nil
	}
	n, err := readFullAt(ra.r, b, start)
	return b[:n], err
}

func readFullAt(r io.ReaderAt, b []byte, off int64) (int, error) {
	n, err := r.ReadAt(b, off)
	if err == io.EOF {
		err = nil // a short last piece, or nothing: the caller sees how much
	}
	return n, err
}

// Close waits for a read ahead in flight and releases the file opened
// with O_DIRECT.
func (ra *ReadAhead) Close() error {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	ra.settle()
	if ra.d == nil {
		return nil
	}
	err := ra.d.Close()
	ra.d = nil
	return err
}
