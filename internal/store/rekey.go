package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/ncruces/go-sqlite3"

	"vigil/internal/domain"
)

// Exclusive holds an SQLite database for the sole use of this process, for
// `vigil key rotate`: while it is open no server or other command can open
// the database, and the rotation cannot lose a write made meanwhile.
type Exclusive struct {
	db   *sqlite3.Conn
	path string
}

// exclusiveWait is how long OpenExclusive waits for other connections to
// go away (a command that is just finishing) before it gives up.
const exclusiveWait = 2000 // ms

// OpenExclusive opens the SQLite database in dir with key and locks it.
// A wrong key or a database in use gives a clear error, and then nothing
// has been written: the key is checked by reading, with a connection that
// has not yet written anything.
func OpenExclusive(ctx context.Context, dir string, key []byte) (_ *Exclusive, err error) {
	if len(key) != KeySize {
		return nil, domain.Errorf(domain.EInvalid, "the database key must be %d bytes, not %d", KeySize, len(key))
	}
	path, err := filepath.Abs(filepath.Join(dir, DBFile))
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil, domain.Errorf(domain.EInvalid, "there is no Vigil database in %s", dir)
	}
	db, err := sqlite3.OpenContext(ctx, "file:"+(&url.URL{Path: path}).EscapedPath()+"?vfs=adiantum")
	if err != nil {
		return nil, openFailed(err)
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	// Exclusive locking mode set before the first read: the connection
	// keeps the lock it takes for good and never uses the shared memory
	// index, so nobody else can read or write until it closes.
	for _, p := range []string{fmt.Sprintf("hexkey='%x'", key), fmt.Sprintf("busy_timeout=%d", exclusiveWait), "locking_mode=EXCLUSIVE"} {
		if err := db.Exec("PRAGMA " + p); err != nil {
			return nil, openFailed(err)
		}
	}
	var n int64
	err = sqliteQuery(db, `SELECT count(*) FROM sqlite_schema`, func(st *sqlite3.Stmt) error { n = st.ColumnInt64(0); return nil })
	if err == nil {
		err = db.Exec("BEGIN EXCLUSIVE")
		if err == nil {
			err = db.Exec("COMMIT")
		}
	}
	switch {
	case errors.Is(err, sqlite3.BUSY), errors.Is(err, sqlite3.LOCKED):
		return nil, domain.Errorf(domain.EConflict, "the database is in use: stop `vigil serve` and any other vigil command using %s first", dir)
	case err != nil:
		return nil, openFailed(err)
	case n == 0:
		return nil, domain.Errorf(domain.EInvalid, "the database in %s is empty", dir)
	}
	// Move everything from the write-ahead log into the database file, so
	// that the file alone is the whole database.
	if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, openFailed(err)
	}
	return &Exclusive{db: db, path: path}, nil
}

// CopyWithKey writes a copy of the database encrypted with newKey to
// newDir (which must hold no database yet). VACUUM INTO writes every page
// afresh, so the copy does not even share the old file's layout.
func (e *Exclusive) CopyWithKey(ctx context.Context, newDir string, newKey []byte) error {
	if len(newKey) != KeySize {
		return domain.Errorf(domain.EInvalid, "the new key must be %d bytes", KeySize)
	}
	path, err := filepath.Abs(filepath.Join(newDir, DBFile))
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists already", path)
	}
	old := e.db.SetInterrupt(ctx)
	defer e.db.SetInterrupt(old)
	st, _, err := e.db.Prepare("VACUUM INTO ?")
	if err != nil {
		return err
	}
	defer st.Close()
	// The new key reaches the VFS as a URI parameter of the new file: the
	// only way to give it to a file that VACUUM INTO opens.
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + fmt.Sprintf("?vfs=adiantum&hexkey=%x", newKey)
	if err := st.BindText(1, uri); err != nil {
		return err
	}
	if err := st.Exec(); err != nil {
		return fmt.Errorf("cannot copy the database: %w", err)
	}
	return nil
}

// Close releases the lock; closing twice does nothing.
func (e *Exclusive) Close() error {
	if e.db == nil {
		return nil
	}
	err := e.db.Close()
	e.db = nil
	return err
}

// QuickCheck runs SQLite's quick integrity check.
func (s *Store) QuickCheck(ctx context.Context) error {
	if s.d.name() != "sqlite" {
		return nil
	}
	var res string
	if err := s.r.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("the database fails its integrity check: %s", res)
	}
	return nil
}

// HasTable reports whether the database has a table of this name.
func (s *Store) HasTable(ctx context.Context, name string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`
	if s.d.name() == "postgres" {
		q = `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname = ?`
	}
	var n int
	err := s.reader().queryRow(ctx, q, name).Scan(&n)
	return n > 0, err
}
