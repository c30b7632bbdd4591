package store

import (
	"bufio"
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
// The copy is made with SQLite's online backup API, which copies every
// page of one snapshot into another database, here a file that exists
// only as a stream: the "vigil-copy" VFS (the encrypting adiantum VFS over
// copySink) turns every write to it into a record of a file stream, so the
// copy never lies on a disk and is never read back. SQLite writes that
// file almost entirely in order, a page at a time (page 1 comes last), but
// the stream records each write's offset, so any order restores correctly:
//
//	stream := record* end
//	record := 'W' uvarint(offset) uvarint(n) byte[n]   write n bytes at offset
//	        | 'T' uvarint(size)                        truncate to size
//	end    := 'E' uvarint(size)                        the file's final size; then nothing
//
// A copy also carries what a dump does not: the rows of SkippedTables
// (WriteSQLiteFile's caller empties them with EmptySkippedTables), and
// whatever SQLite leaves in unused space, parts of rows deleted since
// their pages were last reused. `vigil backup --logical` avoids both.

// CopyOptions tunes CopySQLite.
type CopyOptions struct {
	// Begin is called once the snapshot is fixed and before anything is
	// written, with the schema versions of the snapshot.
	Begin func(migrations []Migration, skipped []string) error
	// StepPages is how many pages are copied between checks for
	// cancellation; copyStepPages when 0.
	StepPages int
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
// database is encrypted with today: the copy is then the same database
// under the same key, and its pages are encrypted exactly as the
// original's.
//
// The copy is taken inside one read transaction, so it shows the database
// as it was at one moment while other connections, in this process or
// others, go on writing. The backup's steps use that transaction instead
// of opening one each: every step sees the same moment, and writes by
// others in between do not make the backup start over (as they would
// between transactions).
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
	id := make([]byte, 16)
	rand.Read(id)
	path := "/" + copyVFS + "/" + hex.EncodeToString(id)
	sink := &copySink{w: w}
	sinks.Store(path, sink)
	defer sinks.Delete(path)

	cp := &SQLiteCopy{}
	c, err := s.r.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the database: %w", err)
	}
	defer c.Close()
	err = c.Raw(func(dc any) (err error) {
		rc, ok := dc.(interface{ Raw() *sqlite3.Conn })
		if !ok {
			return fmt.Errorf("unexpected SQLite driver connection %T", dc)
		}
		db := rc.Raw()
		if err := db.Exec("BEGIN DEFERRED"); err != nil {
			return fmt.Errorf("cannot start the read transaction: %w", err)
		}
		defer func() {
			if rerr := db.Exec("ROLLBACK"); rerr != nil && err == nil {
				err = rerr
			}
		}()
		// The first read fixes the snapshot.
		if cp.Migrations, err = sqliteMigrations(db); err != nil {
			return err
		}
		all, _, err := sqliteSchema(db)
		if err != nil {
			return err
		}
		if _, cp.Skipped, err = planTables(all); err != nil {
			return err
		}
		if o.Begin != nil {
			if err := o.Begin(cp.Migrations, cp.Skipped); err != nil {
				return err
			}
		}
		// No journal: the copy is new and private, and a failed copy is
		// not resumed but thrown away with the backup it was part of.
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
			if o.Progress != nil {
				o.Progress(total-b.Remaining(), total)
			}
			if done {
				cp.Pages = total
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if cp.Size, err = sink.finish(); err != nil {
		return nil, err
	}
	return cp, nil
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

// applyFileStream reads a file stream from r and applies it to t. It
// returns the file's size, and fails unless the stream ends where its end
// record says, with nothing after it.
func applyFileStream(r io.Reader, t fileTarget) (int64, error) {
	// Writes are handed to t straight from the reader's buffer, which
	// holds the largest.
	br := bufio.NewReaderSize(r, maxWrite+64)
	var size int64
	uvarint := func(what string) (uint64, error) {
		var v uint64
		for i := 0; ; i++ {
			b, err := br.ReadByte()
			if err != nil {
				return 0, cutStream(err, what)
			}
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, damagedStream("%s is too large", what)
			}
			v |= uint64(b&0x7f) << (7 * i)
			if b < 0x80 {
				return v, nil
			}
		}
	}
	for {
		kind, err := br.ReadByte()
		if err != nil {
			return size, cutStream(err, "a record")
		}
		switch kind {
		case 'W':
			off, err := uvarint("a write's offset")
			if err != nil {
				return size, err
			}
			n, err := uvarint("a write's length")
			if err != nil {
				return size, err
			}
			if n == 0 || n > maxWrite || off > maxFileSize || off+n > maxFileSize {
				return size, damagedStream("a write of %d bytes at %d", n, off)
			}
			b, err := br.Peek(int(n))
			if err != nil {
				return size, cutStream(err, "a write")
			}
			if err := t.writeAt(b, int64(off)); err != nil {
				return size, err
			}
			br.Discard(int(n))
			size = max(size, int64(off+n))
		case 'T':
			n, err := uvarint("a truncation")
			if err != nil {
				return size, err
			}
			if n > maxFileSize {
				return size, damagedStream("a truncation to %d bytes", n)
			}
			if err := t.truncate(int64(n)); err != nil {
				return size, err
			}
			size = int64(n)
		case 'E':
			n, err := uvarint("the end")
			if err != nil {
				return size, err
			}
			if int64(n) != size || n > maxFileSize {
				return size, damagedStream("it ends at %d bytes where its writes reach %d", n, size)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				if err == nil {
					err = damagedStream("there is data after its end")
				}
				return size, err
			}
			return size, nil
		default:
			return size, damagedStream("a record of unknown kind %q", kind)
		}
	}
}

func cutStream(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return damagedStream("it ends in %s (truncated)", what)
	}
	return err
}

// CheckFileStream reads a file stream to its end without writing it and
// returns the file's size.
func CheckFileStream(r io.Reader) (int64, error) { return applyFileStream(r, discardTarget{}) }

type discardTarget struct{}

func (discardTarget) writeAt([]byte, int64) error { return nil }
func (discardTarget) truncate(int64) error        { return nil }

// fileWriter applies a file stream to a file, joining writes that follow
// each other into large ones.
type fileWriter struct {
	f     *os.File
	buf   []byte
	bufAt int64
}

func (fw *fileWriter) flush() error {
	if len(fw.buf) == 0 {
		return nil
	}
	_, err := fw.f.WriteAt(fw.buf, fw.bufAt)
	fw.buf = fw.buf[:0]
	return err
}

func (fw *fileWriter) writeAt(p []byte, off int64) error {
	if len(fw.buf) > 0 && (off != fw.bufAt+int64(len(fw.buf)) || len(fw.buf)+len(p) > cap(fw.buf)) {
		if err := fw.flush(); err != nil {
			return err
		}
	}
	if len(p) > cap(fw.buf) {
		_, err := fw.f.WriteAt(p, off)
		return err
	}
	if len(fw.buf) == 0 {
		fw.bufAt = off
	}
	fw.buf = append(fw.buf, p...)
	return nil
}

func (fw *fileWriter) truncate(size int64) error {
	if err := fw.flush(); err != nil {
		return err
	}
	return fw.f.Truncate(size)
}

// WriteSQLiteFile writes the file that a file stream from CopySQLite
// describes to path, a new file (0600), waits for the disk and returns its
// size. The file is encrypted with the key of the database it was copied
// from; open it with that key, after EmptySkippedTables.
func WriteSQLiteFile(path string, r io.Reader) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// Writes of 1 MiB: on Linux, 4 MiB ones cost the kernel several times
	// as much (measured on the development machine), smaller ones more calls.
	fw := &fileWriter{f: f, buf: make([]byte, 0, 1<<20)}
	size, err := applyFileStream(r, fw)
	if err == nil {
		err = fw.flush()
	}
	if err != nil {
		return size, err
	}
	if fi, err := f.Stat(); err != nil {
		return size, err
	} else if fi.Size() != size {
		return size, fmt.Errorf("the database file came out %d bytes long where its stream says %d", fi.Size(), size)
	}
	if err := f.Sync(); err != nil {
		return size, err
	}
	return size, f.Close()
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
