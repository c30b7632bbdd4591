package evidence

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"golang.org/x/crypto/chacha20poly1305"

	"vigil/internal/auth"
	"vigil/internal/domain"
)

// Blobs is the encrypted, content-addressed file store under
// DATA/blobs. A file's name is HMAC-SHA-256(name key, SHA-256(content)):
// identical files share one blob, and the name does not reveal the hash
// of a known file to someone who reads the directory. The content is
// encrypted with XChaCha20-Poly1305 in 64 KiB chunks, so a file is
// written and read as a stream and a truncated, reordered or swapped blob
// fails to open.
//
// Keys are derived from the instance's master key: "files v1" encrypts
// content, "files v1 names" names blobs, "files v1 records" seals the
// private part of attachment records.
type Blobs struct {
	dir       string
	content   cipher.AEAD
	nameKey   []byte
	recordKey cipher.AEAD
}

// BlobDir is the folder of the blob store inside the data directory.
const BlobDir = "blobs"

const (
	chunkSize  = 64 << 10
	blobMagic  = "VGLBLB01"
	headerSize = len(blobMagic) + 16 // magic and the nonce prefix
)

var blobNameRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// OpenBlobs opens (creating if needed) the blob store of a data directory.
func OpenBlobs(dataDir string, master []byte) (*Blobs, error) {
	if dataDir == "" || len(master) == 0 {
		return nil, domain.Errorf(domain.EInternal, "evidence storage is not configured (no data directory or key)")
	}
	content, err := chacha20poly1305.NewX(auth.DeriveKey(master, "files v1"))
	if err != nil {
		return nil, err
	}
	record, err := chacha20poly1305.NewX(auth.DeriveKey(master, "files v1 records"))
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(dataDir, BlobDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &domain.Error{Code: domain.EInternal, Message: "cannot create the evidence store", Cause: err}
	}
	return &Blobs{dir: dir, content: content, nameKey: auth.DeriveKey(master, "files v1 names"), recordKey: record}, nil
}

// Name is the blob name of content with this SHA-256.
func (b *Blobs) Name(sum []byte) string {
	h := hmac.New(sha256.New, b.nameKey)
	h.Write(sum)
	return hex.EncodeToString(h.Sum(nil))
}

func (b *Blobs) path(name string) (string, error) {
	if !blobNameRE.MatchString(name) {
		return "", domain.Errorf(domain.EInternal, "invalid blob name")
	}
	return filepath.Join(b.dir, name[:2], name), nil
}

// Has reports whether the blob exists.
func (b *Blobs) Has(name string) bool {
	p, err := b.path(name)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// Put stores content and returns its blob name and SHA-256. When the blob
// exists already (the same file was uploaded before) nothing is written
// and created is false.
func (b *Blobs) Put(content []byte) (name string, sum [32]byte, created bool, err error) {
	sum = sha256.Sum256(content)
	name = b.Name(sum[:])
	p, err := b.path(name)
	if err != nil {
		return "", sum, false, err
	}
	if _, err := os.Stat(p); err == nil {
		return name, sum, false, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", sum, false, err
	}
	// Only ciphertext ever touches the disk: the temporary file is
	// encrypted as it is written, then renamed into place.
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return "", sum, false, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	w, err := b.NewWriter(tmp, name)
	if err == nil {
		_, err = w.Write(content)
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		return "", sum, false, &domain.Error{Code: domain.EInternal, Message: "cannot store the file", Cause: err}
	}
	syncDir(filepath.Dir(p))
	return name, sum, true, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Open returns a reader of the blob's plaintext. A tampered or truncated
// blob makes Read fail; callers stream it and must treat a read error as
// fatal for the whole file.
func (b *Blobs) Open(name string) (io.ReadCloser, error) {
	p, err := b.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, domain.Errorf(domain.EInternal, "the stored file is missing")
	}
	if err != nil {
		return nil, err
	}
	r, err := b.NewReader(f, name)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, f}, nil
}

// Remove deletes a blob; a missing one is not an error.
func (b *Blobs) Remove(name string) error {
	p, err := b.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// --- chunked encryption ---

// chunkNonce is the 16-byte random prefix of the file followed by the
// chunk's 64-bit index; the additional data binds each chunk to the blob
// name and says whether it is the last one, so chunks cannot be dropped,
// reordered, moved between blobs or cut off at the end.
func chunkNonce(prefix []byte, i uint64) []byte {
	n := make([]byte, chacha20poly1305.NonceSizeX)
	copy(n, prefix)
	binary.BigEndian.PutUint64(n[16:], i)
	return n
}

func chunkAD(name string, last bool) []byte {
	ad := append([]byte(blobMagic), name...)
	if last {
		return append(ad, 1)
	}
	return append(ad, 0)
}

type blobWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	name   string
	prefix []byte
	buf    []byte
	i      uint64
	closed bool
}

// NewWriter encrypts what is written to it into w as the blob name.
func (b *Blobs) NewWriter(w io.Writer, name string) (io.WriteCloser, error) {
	prefix := make([]byte, 16)
	if _, err := rand.Read(prefix); err != nil {
		return nil, err
	}
	if _, err := w.Write(append([]byte(blobMagic), prefix...)); err != nil {
		return nil, err
	}
	return &blobWriter{w: w, aead: b.content, name: name, prefix: prefix, buf: make([]byte, 0, chunkSize)}, nil
}

func (w *blobWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		// A full chunk is sealed only once more data arrives, so the last
		// chunk is always sealed as the last.
		if len(w.buf) == chunkSize {
			if err := w.flush(false); err != nil {
				return n, err
			}
		}
		k := copy(w.buf[len(w.buf):chunkSize], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

func (w *blobWriter) flush(last bool) error {
	ct := w.aead.Seal(nil, chunkNonce(w.prefix, w.i), w.buf, chunkAD(w.name, last))
	w.i++
	w.buf = w.buf[:0]
	_, err := w.w.Write(ct)
	return err
}

func (w *blobWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.flush(true)
}

type blobReader struct {
	r      io.Reader
	aead   cipher.AEAD
	name   string
	prefix []byte
	i      uint64
	enc    []byte
	plain  []byte
	done   bool
	err    error
}

var errTampered = &domain.Error{Code: domain.EInternal, Message: "the stored file failed its integrity check"}

// NewReader decrypts a blob written by NewWriter under the same name.
func (b *Blobs) NewReader(r io.Reader, name string) (io.Reader, error) {
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(r, hdr); err != nil || string(hdr[:len(blobMagic)]) != blobMagic {
		return nil, errTampered
	}
	// One byte more than a chunk is read, to learn whether it is the last.
	return &blobReader{r: r, aead: b.content, name: name, prefix: hdr[len(blobMagic):],
		enc: make([]byte, 0, chunkSize+b.content.Overhead()+1)}, nil
}

func (r *blobReader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		r.next()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

func (r *blobReader) next() {
	full := chunkSize + r.aead.Overhead()
	// r.enc may hold one byte carried over from the previous read.
	n, err := io.ReadFull(r.r, r.enc[len(r.enc):full+1])
	r.enc = r.enc[:len(r.enc)+n]
	last := false
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		last = true
	case err != nil:
		r.err = err
		return
	}
	chunk := r.enc
	var carry byte
	if !last {
		chunk, carry = r.enc[:full], r.enc[full]
	}
	pt, oerr := r.aead.Open(nil, chunkNonce(r.prefix, r.i), chunk, chunkAD(r.name, last))
	if oerr != nil {
		r.err = errTampered
		return
	}
	r.i++
	r.plain = pt
	r.enc = r.enc[:0]
	if last {
		r.done = true
	} else {
		r.enc = append(r.enc, carry)
	}
}

// --- private records ---

// Private is the part of an attachment record that is sealed: the file
// name the uploader gave (it can name a person or a place) and the
// metadata extracted from the file.
type Private struct {
	Name     string   `json:"name"`
	Metadata Metadata `json:"metadata"`
}

// Seal encrypts p for storage in the database; sum (the file's SHA-256,
// hex) binds it to its file.
func (b *Blobs) Seal(p Private, sum string) ([]byte, error) {
	pt, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, b.recordKey.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{1}, nonce...)
	return b.recordKey.Seal(out, nonce, pt, []byte("attachment "+sum)), nil
}

// Unseal reverses Seal.
func (b *Blobs) Unseal(sealed []byte, sum string) (Private, error) {
	var p Private
	ns := b.recordKey.NonceSize()
	if len(sealed) < 1+ns || sealed[0] != 1 {
		return p, domain.Errorf(domain.EInternal, "an attachment record is damaged")
	}
	pt, err := b.recordKey.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte("attachment "+sum))
	if err != nil {
		return p, &domain.Error{Code: domain.EInternal, Message: "an attachment record cannot be decrypted (wrong key?)", Cause: err}
	}
	if err := json.Unmarshal(pt, &p); err != nil {
		return p, fmt.Errorf("attachment record: %w", err)
	}
	return p, nil
}

// HexSum is the hex form of a SHA-256.
func HexSum(sum [32]byte) string { return hex.EncodeToString(sum[:]) }
