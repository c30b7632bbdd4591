package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"
	"github.com/ncruces/go-sqlite3/vfs/adiantum"
)

// A physical copy of an SQLite database is the database file itself, page
// for page, encrypted with the instance key as the original is. Backups of
// SQLite instances carry one instead of a dump (dump.go): writing it out
// again is about as fast as copying a file, where loading a dump inserts
// every row into indexed tables and rebuilds the search index, some thirty
// times slower. A dump remains the way between engines, and the way to
// read a backup without SQLite.
//
// The copy shows one moment of the database while others go on writing,
// and is streamed as it is made: it never lies on a disk unencrypted or
// otherwise, and is never read back. It is either the database file's own
// bytes, when SQLite's rules guarantee that the file holds that moment and
// cannot change (CopySQLite), or, failing that, every page of the moment
// copied by SQLite's online backup API into a file that exists only as a
// stream: the "vigil-copy" VFS (the encrypting adiantum VFS over copySink)
// turns every write to it into a record. SQLite writes that file almost
// entirely in order (page 1 comes last), but each record says where its
// bytes go, so any order restores correctly:
//
//	stream := record* end
//	record := 'W' uvarint(offset) uvarint(n) byte[n]   write n bytes at offset
//	        | 'T' uvarint(size)                        truncate to size
//	end    := 'E' uvarint(size)                        the file's final size; then nothing
//
// A copy also carries what a dump does not: the rows of SkippedTables
// (a restore empties them with EmptySkippedTables), and whatever SQLite
// leaves in unused space and in the search index until it merges it:
// parts of rows deleted since their pages were last reused, words of
// deleted texts. `vigil backup --logical` avoids both.

// CopyOptions tunes CopySQLite.
type CopyOptions struct {
	// Begin is called once the snapshot is fixed and before anything is
	// written, with the schema versions of the snapshot.
	Begin func(migrations []Migration, skipped []string) error
	// StepPages is how many pages are copied between checks for
	// cancellation; copyStepPages when 0.
	StepPages int
	// Paged copies through SQLite's backup API even when the file could
	// be copied as it is.
	Paged bool
	// Progress, when set, is called after every step with the pages copied
	// so far and the total.
	Progress func(copied, total int)
}

// copyStepPages: 16 MB of 4 KiB pages, a fraction of a second of work.
const copyStepPages = 4096

// SQLiteCopy tells what CopySQLite copied.
type SQLiteCopy struct {
	Migrations []Migration // the schema versions of the copy
	Skipped    []string    // tables a restore empties (SkippedTables)
	Pages      int
	Size       int64 // of the database file
	AsIs       bool  // the file was copied as it is, not page by page
}

// ErrFileStream marks a file stream that cannot be applied: altered,
// cut short, or not a file stream at all.
var ErrFileStream = errors.New("the database file in it is damaged")

// Limits of a file stream: a write is at most maxWrite bytes and no file
// grows beyond maxFileSize, so that a forged stream cannot make a restore
// allocate or write without bound.
const (
	maxWrite    = 1 << 20
	maxFileSize = 1 << 42 // 4 TiB
)

const copyVFS = "vigil-copy"

var (
	registerOnce sync.Once
	sinks        sync.Map // path → *copySink
)

// CopySQLite writes a consistent copy of the SQLite database, encrypted
// with key, to w as a file stream (see above). key must be the key the
// database is encrypted with today (it is checked): the copy is then the
// same database under the same key, and its pages are encrypted exactly as
// the original's.
//
// The copy shows the database as it was at one moment, the start of a read
// transaction, while other connections, in this process or others, go on
// writing. It is made in one of two ways:
//
//   - As it is, when the database file itself holds exactly that moment
//     and cannot change while the transaction lasts: a checkpoint run after
//     the transaction began has copied the whole write-ahead log into the
//     file (see fileIsSnapshot). The file's bytes, encrypted already, are
//     streamed in large pieces, as fast as the disk and the encryption of
//     the backup allow.
//   - Otherwise (writes kept coming while the transaction began, or
//     another reader held the checkpoint back) with SQLite's online backup
//     API, which reads every page of the snapshot through SQLite,
//     decrypting it, and writes it through the adiantum VFS, encrypting it
//     again: two to three times the work. Its steps use the transaction
//     instead of opening one each, so every step sees the same moment, and
//     writes by others in between do not make the backup start over (as
//     they would between transactions).
func (s *Store) CopySQLite(ctx context.Context, key []byte, w io.Writer, o CopyOptions) (_ *SQLiteCopy, err error) {
	if s.d.name() != "sqlite" {
		return nil, errors.New("only an SQLite database can be copied as a file")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("the database key must be %d bytes", KeySize)
	}
	registerOnce.Do(func() { vfs.Register(copyVFS, adiantum.Wrap(copyVFSBase{}, nil)) })
	step := o.StepPages
	if step <= 0 {
		step = copyStepPages
	}
	sink := &copySink{w: w}
	c, err := s.r.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the database: %w", err)
	}
	defer c.Close()
	var cp *SQLiteCopy
	for attempt := 0; ; attempt++ {
		asIs := !o.Paged && attempt < fileAttempts
		err = c.Raw(func(dc any) error {
			rc, ok := dc.(interface{ Raw() *sqlite3.Conn })
			if !ok {
				return fmt.Errorf("unexpected SQLite driver connection %T", dc)
			}
			cp, err = s.copySnapshot(ctx, rc.Raw(), key, sink, o, step, asIs)
			return err
		})
		if !errors.Is(err, errFileMoves) {
			break
		}
		// Try again a moment later, and at last the slower way.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, err
	}
	if cp.Size, err = sink.finish(); err != nil {
		return nil, err
	}
	return cp, nil
}

// fileAttempts is how often CopySQLite tries to copy the file as it is
// before it copies page by page.
const fileAttempts = 3

// errFileMoves: the database file may change during the transaction.
var errFileMoves = errors.New("the database file may change under the snapshot")

// copySnapshot copies one snapshot of db, in one read transaction: as the
// file is when asIs and fileIsSnapshot allow it (or errFileMoves, before
// anything was written), else through the backup API.
func (s *Store) copySnapshot(ctx context.Context, db *sqlite3.Conn, key []byte, sink *copySink, o CopyOptions, step int, asIs bool) (_ *SQLiteCopy, err error) {
	if err := db.Exec("BEGIN DEFERRED"); err != nil {
		return nil, fmt.Errorf("cannot start the read transaction: %w", err)
	}
	defer func() {
		if rerr := db.Exec("ROLLBACK"); rerr != nil && err == nil {
			err = rerr
		}
	}()
	cp := &SQLiteCopy{}
	// The first read fixes the snapshot.
	if cp.Migrations, err = sqliteMigrations(db); err != nil {
		return nil, err
	}
	all, _, err := sqliteSchema(db)
	if err != nil {
		return nil, err
	}
	if _, cp.Skipped, err = planTables(all); err != nil {
		return nil, err
	}
	var path string
	var pages, pageSize int64
	err = sqliteQuery(db, `SELECT (SELECT file FROM pragma_database_list WHERE name = 'main'), (SELECT page_count FROM pragma_page_count), (SELECT page_size FROM pragma_page_size)`, func(st *sqlite3.Stmt) error {
		path, pages, pageSize = st.ColumnText(0), st.ColumnInt64(1), st.ColumnInt64(2)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if asIs {
		// The file's bytes are copied as they are, so they must be
		// encrypted with the key the copy will travel with.
		if err := verifyKey(ctx, path, hex.EncodeToString(key)); err != nil {
			return nil, fmt.Errorf("the key given is not the database's: %w", err)
		}
		ok, err := s.fileIsSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errFileMoves
		}
	}
	if o.Begin != nil {
		if err := o.Begin(cp.Migrations, cp.Skipped); err != nil {
			return nil, err
		}
	}
	cp.Pages = int(pages)
	if asIs {
		cp.AsIs = true
		return cp, copyFile(ctx, path, pages, pageSize, step, sink, o.Progress)
	}
	return cp, copyPages(ctx, db, key, sink, step, o.Progress)
}

// fileIsSnapshot reports whether the database file holds exactly the
// snapshot of a read transaction begun before the call, and will not
// change while that transaction lasts. In WAL mode only a checkpoint
// writes to the file, and SQLite never lets one copy in a frame of the log
// newer than what a reader's snapshot ends with (the reader might read
// that page from the file), nor copy at all while a reader that found the
// whole log copied reads from the file alone. So once a checkpoint begun
// after the transaction has copied the whole log, the file holds the
// snapshot, and nothing can move it.
func (s *Store) fileIsSnapshot(ctx context.Context) (bool, error) {
	var busy, log, done int64
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done); err != nil {
		return false, fmt.Errorf("cannot checkpoint the database: %w", err)
	}
	return busy == 0 && log >= 0 && log == done, nil
}

// copyFile streams the first pages×pageSize bytes of the database file.
func copyFile(ctx context.Context, path string, pages, pageSize int64, step int, sink *copySink, progress func(int, int)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read the database file: %w", err)
	}
	defer f.Close()
	size := pages * pageSize
	if fi, err := f.Stat(); err != nil {
		return err
	} else if fi.Size() < size {
		return fmt.Errorf("the database file holds %d bytes where its %d pages need %d", fi.Size(), pages, size)
	}
	piece := min(int64(step)*pageSize, maxWrite)
	buf := make([]byte, piece)
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(piece, size-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return fmt.Errorf("cannot read the database file: %w", err)
		}
		if _, err := sink.WriteAt(buf[:n], off); err != nil {
			return err
		}
		off += n
		if progress != nil {
			progress(int(off/pageSize), int(pages))
		}
	}
	return nil
}

// copyPages copies the snapshot page by page with SQLite's online backup
// API, into the "vigil-copy" VFS and so into sink.
func copyPages(ctx context.Context, db *sqlite3.Conn, key []byte, sink *copySink, step int, progress func(int, int)) (err error) {
	id := make([]byte, 16)
	rand.Read(id)
	path := "/" + copyVFS + "/" + hex.EncodeToString(id)
	sinks.Store(path, sink)
	defer sinks.Delete(path)
	// No journal: the copy is new and private, and a failed copy is not
	// resumed but thrown away with the backup it was part of.
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + url.Values{"vfs": {copyVFS}, "_pragma": {
		fmt.Sprintf("hexkey('%x')", key), "journal_mode(OFF)", "synchronous(OFF)", "locking_mode(EXCLUSIVE)",
	}}.Encode()
	b, err := db.BackupInit("main", uri)
	if err != nil {
		return sink.explain(fmt.Errorf("cannot start the copy: %w", err))
	}
	defer func() {
		if cerr := b.Close(); cerr != nil && err == nil {
			err = sink.explain(fmt.Errorf("cannot finish the copy: %w", cerr))
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		done, err := b.Step(step)
		if err != nil {
			return sink.explain(fmt.Errorf("cannot copy the database: %w", err))
		}
		total := b.PageCount()
		if progress != nil {
			progress(total-b.Remaining(), total)
		}
		if done {
			return nil
		}
	}
}

// copyVFSBase is the file system under the adiantum VFS for copies: its
// only files are the sinks CopySQLite registers. Anything else SQLite
// might open beside them (a journal) is refused, so that a change in how
// SQLite writes a backup fails loudly instead of losing data.
type copyVFSBase struct{}

func (copyVFSBase) Open(name string, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	if s, ok := sinks.Load(name); ok && flags&vfs.OPEN_MAIN_DB != 0 {
		return s.(*copySink), flags, nil
	}
	return nil, flags, sqlite3.CANTOPEN
}

func (copyVFSBase) Delete(string, bool) error                   { return nil }
func (copyVFSBase) Access(string, vfs.AccessFlag) (bool, error) { return false, nil }
func (copyVFSBase) FullPathname(name string) (string, error)    { return name, nil }

// copySink is the copy's file: it writes what SQLite writes to it (already
// encrypted by the adiantum VFS above it) as records of a file stream. w
// is expected to buffer: the records are small, one page each.
type copySink struct {
	w      io.Writer
	size   int64 // of the file as SQLite sees it
	err    error // the first error of w, which SQLite only sees as an I/O error
	header [1 + 2*binary.MaxVarintLen64]byte
}

func (s *copySink) record(kind byte, a, b uint64, data []byte) error {
	if s.err != nil {
		return s.err
	}
	h := append(s.header[:0], kind)
	h = binary.AppendUvarint(h, a)
	if kind == 'W' {
		h = binary.AppendUvarint(h, b)
	}
	if _, err := s.w.Write(h); err != nil {
		s.err = err
		return err
	}
	if len(data) > 0 {
		if _, err := s.w.Write(data); err != nil {
			s.err = err
			return err
		}
	}
	return nil
}

func (s *copySink) WriteAt(p []byte, off int64) (int, error) {
	for n := 0; n < len(p); {
		k := min(len(p)-n, maxWrite)
		at := off + int64(n)
		if at < 0 || at+int64(k) > maxFileSize {
			return n, sqlite3.FULL
		}
		if err := s.record('W', uint64(at), uint64(k), p[n:n+k]); err != nil {
			return n, err
		}
		n += k
	}
	s.size = max(s.size, off+int64(len(p)))
	return len(p), nil
}

func (s *copySink) Truncate(size int64) error {
	if size == s.size {
		return nil
	}
	s.size = size
	return s.record('T', uint64(size), 0, nil)
}

// ReadAt finds nothing: SQLite reads only the header of a new, empty
// file. Reading back what was written would need the data kept, which a
// stream does not do; it fails.
func (s *copySink) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	return 0, sqlite3.IOERR_READ
}

func (s *copySink) Size() (int64, error)                            { return s.size, nil }
func (s *copySink) Sync(vfs.SyncFlag) error                         { return s.err }
func (s *copySink) Close() error                                    { return nil }
func (s *copySink) Lock(vfs.LockLevel) error                        { return nil }
func (s *copySink) Unlock(vfs.LockLevel) error                      { return nil }
func (s *copySink) CheckReservedLock() (bool, error)                { return false, nil }
func (s *copySink) SectorSize() int                                 { return 4096 }
func (s *copySink) DeviceCharacteristics() vfs.DeviceCharacteristic { return 0 }

// finish writes the end record.
func (s *copySink) finish() (int64, error) {
	return s.size, s.record('E', uint64(s.size), 0, nil)
}

// explain prefers the error of the stream's writer (a full disk, say) to
// SQLite's report of it as an I/O error.
func (s *copySink) explain(err error) error {
	if s.err != nil {
		return s.err
	}
	return err
}

// fileTarget receives a file stream.
type fileTarget interface {
	writeAt(p []byte, off int64) error
	truncate(size int64) error
}

func damagedStream(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFileStream, fmt.Sprintf(format, args...))
}

// streamParser reads a file stream as it is written to it, in pieces of
// any size, and applies it to a target: no copy of the stream is made on
// the way (a write's bytes go to the target as they come, perhaps in
// several parts).
type streamParser struct {
	t      fileTarget
	state  int    // what the next byte is: see the constants
	kind   byte   // of the current record
	v      uint64 // the uvarint being read
	vbytes int    // its bytes so far
	off    uint64 // of the current write's next byte
	left   uint64 // bytes of the current write still to come
	size   int64  // of the file so far
	err    error
}

const (
	psKind   = iota // a record's kind
	psFirst         // its first number (offset, size)
	psLength        // a write's length
	psData          // a write's bytes
	psEnded         // after the end record: nothing may follow
)

func (sp *streamParser) fail(err error) (int, error) {
	sp.err = err
	return 0, err
}

func (sp *streamParser) Write(p []byte) (int, error) {
	if sp.err != nil {
		return 0, sp.err
	}
	n := len(p)
	for len(p) > 0 {
		switch sp.state {
		case psKind:
			sp.kind, p = p[0], p[1:]
			if sp.kind != 'W' && sp.kind != 'T' && sp.kind != 'E' {
				return sp.fail(damagedStream("a record of unknown kind %q", sp.kind))
			}
			sp.state, sp.v, sp.vbytes = psFirst, 0, 0
		case psFirst, psLength:
			b := p[0]
			p = p[1:]
			if sp.vbytes == binary.MaxVarintLen64-1 && b > 1 {
				return sp.fail(damagedStream("a number in it is too large"))
			}
			sp.v |= uint64(b&0x7f) << (7 * sp.vbytes)
			sp.vbytes++
			if b >= 0x80 {
				continue
			}
			if err := sp.number(); err != nil {
				return sp.fail(err)
			}
		case psData:
			k := min(uint64(len(p)), sp.left)
			if err := sp.t.writeAt(p[:k], int64(sp.off)); err != nil {
				return sp.fail(err)
			}
			sp.off += k
			sp.left -= k
			p = p[k:]
			if sp.left == 0 {
				sp.state = psKind
			}
		case psEnded:
			return sp.fail(damagedStream("there is data after its end"))
		}
	}
	return n, nil
}

// number acts on a complete number of the current record.
func (sp *streamParser) number() error {
	v := sp.v
	sp.v, sp.vbytes = 0, 0
	switch {
	case sp.kind == 'W' && sp.state == psFirst:
		if v > maxFileSize {
			return damagedStream("a write at %d", v)
		}
		sp.off, sp.state = v, psLength
	case sp.kind == 'W':
		if v == 0 || v > maxWrite || sp.off+v > maxFileSize {
			return damagedStream("a write of %d bytes at %d", v, sp.off)
		}
		sp.left, sp.state = v, psData
		sp.size = max(sp.size, int64(sp.off+v))
	case sp.kind == 'T':
		if v > maxFileSize {
			return damagedStream("a truncation to %d bytes", v)
		}
		if err := sp.t.truncate(int64(v)); err != nil {
			return err
		}
		sp.size, sp.state = int64(v), psKind
	default: // 'E'
		if int64(v) != sp.size {
			return damagedStream("it ends at %d bytes where its writes reach %d", v, sp.size)
		}
		sp.state = psEnded
	}
	return nil
}

// end checks that the stream is complete and returns the file's size.
func (sp *streamParser) end() (int64, error) {
	if sp.err != nil {
		return sp.size, sp.err
	}
	if sp.state != psEnded {
		return sp.size, damagedStream("it ends in the middle (truncated)")
	}
	return sp.size, nil
}

// applyFileStream reads a file stream from r and applies it to t. It
// returns the file's size, and fails unless the stream ends where its end
// record says, with nothing after it.
func applyFileStream(r io.Reader, t fileTarget) (int64, error) {
	sp := &streamParser{t: t}
	if _, err := io.CopyBuffer(sp, struct{ io.Reader }{r}, make([]byte, 64<<10)); err != nil {
		return sp.size, err
	}
	return sp.end()
}

// CheckFileStream reads a file stream to its end without writing it and
// returns the file's size.
func CheckFileStream(r io.Reader) (int64, error) { return applyFileStream(r, discardTarget{}) }

type discardTarget struct{}

func (discardTarget) writeAt([]byte, int64) error { return nil }
func (discardTarget) truncate(int64) error        { return nil }

// FileStreamWriter takes a file stream as it is written to it and writes
// the file it describes (NewSQLiteFileWriter) or only checks the stream
// (NewFileStreamChecker). Finish it, or Abort it after an error.
type FileStreamWriter struct {
	sp *streamParser
	fw *fileWriter // nil for a check
}

// NewSQLiteFileWriter writes the file that a file stream from CopySQLite
// describes to path, a new file (0600). The file is encrypted with the key
// of the database it was copied from; open it with that key, after
// EmptySkippedTables.
func NewSQLiteFileWriter(path string) (*FileStreamWriter, error) {
	f, err := createDirect(path)
	if err != nil {
		return nil, err
	}
	fw := newFileWriter(f)
	return &FileStreamWriter{sp: &streamParser{t: fw}, fw: fw}, nil
}

// NewFileStreamChecker reads a file stream and writes nothing.
func NewFileStreamChecker() *FileStreamWriter {
	return &FileStreamWriter{sp: &streamParser{t: discardTarget{}}}
}

func (w *FileStreamWriter) Write(p []byte) (int, error) { return w.sp.Write(p) }

// Finish checks that the stream is complete, writes what is left, waits
// for the disk and returns the file's size.
func (w *FileStreamWriter) Finish() (int64, error) {
	size, err := w.sp.end()
	if err != nil || w.fw == nil {
		w.Abort()
		return size, err
	}
	f := w.fw.f
	defer f.Close()
	if err := w.fw.finish(); err != nil {
		return size, err
	}
	if fi, err := f.f.Stat(); err != nil {
		return size, err
	} else if fi.Size() != size {
		return size, fmt.Errorf("the database file came out %d bytes long where its stream says %d", fi.Size(), size)
	}
	// The disk's own cache, and the file's size: O_DIRECT waits for
	// neither.
	if err := f.f.Sync(); err != nil {
		return size, err
	}
	return size, f.Close()
}

// Abort closes the file, as it is.
func (w *FileStreamWriter) Abort() {
	if w.fw != nil {
		w.fw.wb.wait()
		w.fw.f.Close()
	}
}

// fileWriter applies a file stream to a file, joining writes that follow
// each other into pieces written behind (writeBehind).
type fileWriter struct {
	f     *directFile
	wb    *writeBehind
	bufAt int64 // where the buffer being filled goes
}

func newFileWriter(f *directFile) *fileWriter {
	return &fileWriter{f: f, wb: newWriteBehind(f)}
}

func (fw *fileWriter) flush() error {
	return fw.wb.submit(fw.bufAt)
}

func (fw *fileWriter) writeAt(p []byte, off int64) error {
	b := fw.wb.buf()
	if len(*b) > 0 && (off != fw.bufAt+int64(len(*b)) || len(*b)+len(p) > cap(*b)) {
		if err := fw.flush(); err != nil {
			return err
		}
		b = fw.wb.buf()
	}
	if len(p) > cap(*b) { // not from CopySQLite, whose writes are at most maxWrite
		if err := fw.wb.wait(); err != nil {
			return err
		}
		_, err := fw.f.WriteAt(p, off)
		return err
	}
	if len(*b) == 0 {
		fw.bufAt = off
	}
	*b = append(*b, p...)
	return nil
}

func (fw *fileWriter) truncate(size int64) error {
	if err := fw.flush(); err != nil {
		return err
	}
	if err := fw.wb.wait(); err != nil {
		return err
	}
	return fw.f.f.Truncate(size)
}

// finish writes what is left and waits for it.
func (fw *fileWriter) finish() error {
	if err := fw.flush(); err != nil {
		return err
	}
	return fw.wb.wait()
}

// WriteSQLiteFile writes the file that a file stream from CopySQLite,
// read from r, describes to path (see NewSQLiteFileWriter), waits for the
// disk and returns its size.
func WriteSQLiteFile(path string, r io.Reader) (int64, error) {
	w, err := NewSQLiteFileWriter(path)
	if err != nil {
		return 0, err
	}
	if _, err := io.CopyBuffer(w, struct{ io.Reader }{r}, make([]byte, 64<<10)); err != nil {
		w.Abort()
		return 0, err
	}
	return w.Finish()
}

// EmptySkippedTables deletes the rows of SkippedTables (and of the tables
// that reference them) from the SQLite database file at path, opened with
// key: sessions of the instance a copy came from do not open the restored
// one, as they are not part of a dump. secure_delete overwrites the rows,
// so the file does not keep them in its free space. It returns the tables
// it emptied.
func EmptySkippedTables(ctx context.Context, path string, key []byte) ([]string, error) {
	db, err := sqlite3.OpenContext(ctx, sqliteFileURI(path, key, "locking_mode(EXCLUSIVE)", "secure_delete(ON)", "foreign_keys(OFF)"))
	if err != nil {
		return nil, fmt.Errorf("cannot open the database file: %w", err)
	}
	defer db.Close()
	all, _, err := sqliteSchema(db)
	if err != nil {
		return nil, openFailed(err)
	}
	_, skipped, err := planTables(all)
	if err != nil {
		return nil, err
	}
	if err := db.Exec("BEGIN IMMEDIATE"); err != nil {
		return nil, err
	}
	for _, name := range skipped {
		if err := db.Exec("DELETE FROM " + quoteIdent(name)); err != nil {
			db.Exec("ROLLBACK")
			return nil, fmt.Errorf("cannot empty table %s: %w", name, err)
		}
	}
	if err := db.Exec("COMMIT"); err != nil {
		return nil, err
	}
	// Everything back into the file, so that the file alone is the
	// database (a locking_mode=EXCLUSIVE connection keeps the WAL index in
	// its own memory and removes the WAL when it closes).
	if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, err
	}
	return skipped, db.Close()
}

// sqliteFileURI names an encrypted SQLite file for the ncruces driver,
// with the key and pragmas to run when it is opened. The key is given by
// PRAGMA, as in sqliteDSN.
func sqliteFileURI(path string, key []byte, pragmas ...string) string {
	v := url.Values{}
	v.Set("vfs", "adiantum")
	v.Add("_pragma", fmt.Sprintf("hexkey('%x')", key))
	for _, p := range pragmas {
		v.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + v.Encode()
}

// TableRows is how many rows of a table a transfer loaded.
type TableRows struct {
	Name string
	Rows int64
}

// TransferTo loads every table of this database into the new database
// that cfg names, as Restore does with a dump, but without writing the
// dump anywhere: each table is dumped from one snapshot of this database
// and loaded as it is read. This is how an SQLite backup reaches
// PostgreSQL. The same rules as for Restore hold: the target must be
// empty, and on PostgreSQL it is all one transaction.
func (s *Store) TransferTo(ctx context.Context, cfg Config) ([]TableRows, error) {
	var out []TableRows
	err := s.Snapshot(ctx, func(sn *Snapshot) error {
		tables := sn.Tables()
		return Restore(ctx, cfg, tables, func(l *Loader) error {
			for _, t := range tables {
				n, err := transferTable(ctx, sn, l, t)
				if err != nil {
					return err
				}
				out = append(out, TableRows{Name: t.Name, Rows: n})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var errLoaderStopped = errors.New("the loader stopped reading")

// transferTable dumps t in one goroutine and loads it in this one,
// through a pipe: a table's rows are never all in memory or on disk.
func transferTable(ctx context.Context, sn *Snapshot, l *Loader, t DumpTable) (int64, error) {
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := sn.DumpTable(ctx, t.Name, pw)
		pw.CloseWithError(err) // nil: the reader sees io.EOF
		done <- result{n, err}
	}()
	n, err := l.LoadTable(ctx, t, pr)
	if err == nil {
		// Rows the loader left unread would be missing from the target.
		if k, derr := io.Copy(io.Discard, pr); derr != nil {
			err = derr
		} else if k > 0 {
			err = fmt.Errorf("table %s was not loaded to its end", t.Name)
		}
	}
	pr.CloseWithError(errLoaderStopped) // lets the dump end if the load stopped early
	d := <-done
	switch {
	case err != nil:
		return n, err
	case d.err != nil:
		return n, d.err
	case d.n != n:
		return n, fmt.Errorf("table %s: %d rows dumped, %d loaded", t.Name, d.n, n)
	}
	return n, nil
}

// CheckRestoreTarget refuses a restore target that holds data, before a
// long restore reads its backup: a PostgreSQL database whose Vigil tables
// hold rows beyond those its migrations seeded. (A data directory is
// checked by the caller: it must be new or empty.) Restore checks again,
// inside its transaction.
func CheckRestoreTarget(ctx context.Context, cfg Config) error {
	if cfg.DatabaseURL == "" {
		return nil
	}
	return pgProbeAll(ctx, cfg.DatabaseURL)
}
