// Package store keeps Vigil's records in SQL: SQLite by default (one file,
// encrypted at rest) or PostgreSQL for multi-user servers. Both engines run
// the same SQL, written with ? placeholders and rebound for PostgreSQL; only
// the schema, full-text search and error codes differ (dialect.go).
package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/ext/fts5"
	_ "github.com/ncruces/go-sqlite3/vfs/adiantum" // registers the encrypting VFS

	"vigil/internal/domain"
)

// Config says which database to open.
type Config struct {
	Dir         string           // data directory for SQLite (DBFile inside it); ignored for PostgreSQL
	Key         []byte           // 32-byte database key for SQLite encryption at rest
	DatabaseURL string           // postgres:// or postgresql:// selects PostgreSQL
	Now         func() time.Time // clock for timestamps; time.Now when nil
	// AuditKey is the instance key the audit log's keys are derived from
	// (audit.go). When nil, Key is used; a store with neither can read but
	// refuses every audited write.
	AuditKey []byte
}

// DBFile is the name of the SQLite database inside the data directory.
const DBFile = "vigil.db"

// KeySize is the length of the SQLite database key in bytes.
const KeySize = 32

// readerPoolSize is how many SQLite connections serve reads next to the
// single writer; WAL lets them read while the writer commits.
const readerPoolSize = 4

// Store is the database. It is safe for concurrent use.
type Store struct {
	w   *sql.DB // every write, and transactions
	r   *sql.DB // reads; the same pool as w on PostgreSQL
	d   dialect
	now func() time.Time
	au  *auditor // audit keys; nil without an instance key
	// textWindow overrides the constant of the same name when set; tests
	// make it small to reach the plan behind it with few records.
	textWindow int
}

// Open opens the database named by cfg, checks the key and applies any
// pending migrations.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		s, err = openPostgres(ctx, cfg.DatabaseURL)
	case cfg.DatabaseURL != "":
		// The URL may hold a password, so it is not repeated in the message.
		return nil, domain.Errorf(domain.EInvalid, "the database URL must start with postgres:// or postgresql://; leave it empty to use SQLite")
	default:
		s, err = openSQLite(ctx, cfg.Dir, cfg.Key)
	}
	if err != nil {
		return nil, err
	}
	s.au = newAuditor(cfg.AuditKey)
	if s.au == nil {
		s.au = newAuditor(cfg.Key)
	}
	s.now = cfg.Now
	if s.now == nil {
		s.now = time.Now
	}
	if err := migrate(ctx, s.w, s.d, migrationFiles(s.d), s.now); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openSQLite(ctx context.Context, dir string, key []byte) (*Store, error) {
	if dir == "" {
		return nil, domain.Errorf(domain.EInvalid, "no data directory given")
	}
	if len(key) != KeySize {
		return nil, domain.Errorf(domain.EInvalid, "the database key must be %d bytes, not %d", KeySize, len(key))
	}
	if err := checkDataDir(dir); err != nil {
		return nil, err
	}
	path, err := filepath.Abs(filepath.Join(dir, DBFile))
	if err != nil {
		return nil, domain.Errorf(domain.EInvalid, "data directory %s: %v", dir, err)
	}
	hexKey := hex.EncodeToString(key)
	if err := verifyKey(ctx, path, hexKey); err != nil {
		return nil, err
	}
	// WAL, synchronous and the like are set only on the writer: they are
	// properties of the file (or harmless), and the readers are query_only.
	// The page caches are larger than SQLite's 2 MB default because every
	// page that falls out must be decrypted again when next needed: 32 MB
	// made bulk loads into indexed tables more than twice as fast. Caches
	// grow only as pages are used; writer and readers together stay under
	// 64 MB.
	w, err := driver.Open(sqliteDSN(path, hexKey,
		"journal_mode(WAL)", "foreign_keys(1)", "temp_store(memory)", "synchronous(NORMAL)", "cache_size(-32768)",
	)+"&_txlock=immediate", registerFTS)
	if err != nil {
		return nil, openFailed(err)
	}
	// One writer connection: SQLite allows one writer at a time anyway, and
	// queueing in Go is cheaper than SQLITE_BUSY retries.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, openFailed(err)
	}
	r, err := driver.Open(sqliteDSN(path, hexKey, "foreign_keys(1)", "temp_store(memory)", "query_only(1)", "cache_size(-8192)"), registerFTS)
	if err != nil {
		w.Close()
		return nil, openFailed(err)
	}
	r.SetMaxOpenConns(readerPoolSize)
	r.SetMaxIdleConns(readerPoolSize)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, openFailed(err)
	}
	return &Store{w: w, r: r, d: sqliteDialect{}}, nil
}

func registerFTS(c *sqlite3.Conn) error { return fts5.Register(c) }

// sqliteDSN builds the URI for path. The key comes first and by PRAGMA, not
// as a URI parameter, so that the VFS never exposes it to other code; it
// lives only in memory.
func sqliteDSN(path, hexKey string, pragmas ...string) string {
	v := url.Values{}
	v.Set("vfs", "adiantum")
	v.Add("_pragma", "hexkey('"+hexKey+"')")
	v.Add("_pragma", "busy_timeout(10000)")
	for _, p := range pragmas {
		v.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + v.Encode()
}

// checkDataDir gives a clear message for the usual set-up mistakes instead
// of SQLite's "unable to open database file".
func checkDataDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return domain.Errorf(domain.EInvalid, "data directory %s does not exist", dir)
	case err != nil:
		return &domain.Error{Code: domain.EInvalid, Message: fmt.Sprintf("data directory %s cannot be read", dir), Cause: err}
	case !fi.IsDir():
		return domain.Errorf(domain.EInvalid, "data directory %s is not a directory", dir)
	}
	// Permission bits do not tell the whole story (root, read-only mounts,
	// ACLs), so try it: SQLite needs to create the -wal and -shm files here.
	f, err := os.CreateTemp(dir, ".vigil-write-check-*")
	if err != nil {
		return &domain.Error{Code: domain.EInvalid, Message: fmt.Sprintf("data directory %s is not writable", dir), Cause: err}
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// verifyKey reads the schema with a connection that cannot write before any
// connection that can is opened: a wrong key must never lead to SQLite
// "recovering" or rewriting a file it cannot read.
func verifyKey(ctx context.Context, path, hexKey string) error {
	if fi, err := os.Stat(path); errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return nil // a new database: nothing to check the key against yet
	}
	db, err := driver.Open(sqliteDSN(path, hexKey, "query_only(1)"))
	if err != nil {
		return openFailed(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		return openFailed(err)
	}
	return nil
}

func openFailed(err error) error {
	if errors.Is(err, sqlite3.NOTADB) {
		return &domain.Error{Code: domain.EUnauthorized, Message: "cannot open the database: wrong key or not a Vigil database", Cause: err}
	}
	return &domain.Error{Code: domain.EInternal, Message: "cannot open the database", Cause: err}
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, &domain.Error{Code: domain.EInvalid, Message: "the PostgreSQL URL is not valid", Cause: err}
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, &domain.Error{Code: domain.EInternal, Message: "cannot connect to PostgreSQL", Cause: err}
	}
	return &Store{w: db, r: db, d: postgresDialect{}}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		if rerr := s.r.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// Dialect names the engine: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name() }

// DB returns the raw writer handle. It is meant for benchmarks that compare
// the store with the bare engine; SQL run through it bypasses the store's
// bookkeeping (search index, counters).
func (s *Store) DB() *sql.DB { return s.w }

// Rebind rewrites a query written with ? placeholders for this engine, for
// SQL run through WithTx or DB.
func (s *Store) Rebind(query string) string { return s.d.rebind(query) }

// WithTx runs fn in one write transaction, committed when fn returns nil.
// Queries inside fn must use tx, passed through Rebind: on SQLite the
// writer has a single connection, so calling the Store's methods from fn
// would wait for itself.
func (s *Store) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	defer s.fail(&err)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Store) withTx(ctx context.Context, fn func(c conn) error) error {
	return runInTx(ctx, s.w, s.d, func(c conn) error { c.au = s.au; return fn(c) })
}

func (s *Store) reader() conn { return conn{q: s.r, d: s.d, au: s.au} }
func (s *Store) writer() conn { return conn{q: s.w, d: s.d, au: s.au} }

// stamp is the store's idea of now, at the precision the database keeps,
// so a record's timestamps read back equal to what Create set.
func (s *Store) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// fail turns engine errors into domain errors at the edge of every exported
// method: the detail stays in Cause for the log, and the message shown to a
// user never contains SQL or paths.
func (s *Store) fail(errp *error) {
	err := *errp
	if err == nil {
		return
	}
	var de *domain.Error
	switch {
	case errors.As(err, &de), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return
	case s.d.isBadText(err):
		*errp = &domain.Error{Code: domain.EInvalid, Message: "some text contains characters that cannot be stored", Cause: err}
	default:
		*errp = &domain.Error{Code: domain.EInternal, Message: "database error", Cause: err}
	}
}

// querier is satisfied by *sql.DB and *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs shared SQL on one engine, rebinding placeholders on the way.
type conn struct {
	q  querier
	d  dialect
	au *auditor // for appendAudit; nil in migrations and without a key
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.d.rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.d.rebind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.d.rebind(query), args...)
}

// exists reports whether table has a row with id. table is always a
// constant of this package, never user input.
func (c conn) exists(ctx context.Context, table string, id int64) (bool, error) {
	var one int
	err := c.queryRow(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// updated finishes an optimistic update of one row: no row changed means
// either someone saved a newer version (conflict) or there is no such row.
func (c conn) updated(ctx context.Context, err error, table, kind string, id int64) error {
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	ok, err := c.exists(ctx, table, id)
	if err != nil {
		return err
	}
	if ok {
		return domain.Conflict(kind)
	}
	return domain.NotFound(kind)
}

// notFound maps "no row" to the domain's not-found error for kind.
func notFound(err error, kind string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFound(kind)
	}
	return err
}

// rowScanner is satisfied by *sql.Row and *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// collect scans every row with scan.
func collect[T any](rows *sql.Rows, err error, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Timestamps are Unix milliseconds in UTC on both engines, which sidesteps
// the drivers' different time encodings.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func millisPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMillis(v.Int64)
	return &t
}

func intArg(v *int) any {
	if v == nil {
		return nil
	}
	return int64(*v)
}

func intPtr(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	i := int(v.Int64)
	return &i
}

func floatArg(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func floatPtr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

// jsonText stores a list as JSON text; the engines never look inside it
// (filters use index tables), it only has to read back.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// fromJSON reads a list stored by jsonText. An empty list reads back as
// nil, the zero value, so a record compares equal after a round trip.
func fromJSON[T any](s string) ([]T, error) {
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// Dates are TEXT 'YYYY-MM-DD' with ” for "not given" (never NULL): both
// engines then order unknown dates last in a descending list without
// NULLS LAST tricks, and a keyset cursor compares (date, id) as a plain
// row value that indexes can serve.
func dateText(d domain.Date) string { return d.String() }

// cursorKey is the sort key of the last row of a page.
type cursorKey struct {
	K  string `json:"k,omitempty"`
	ID int64  `json:"id"`
}

func encodeCursor(k string, id int64) string {
	b, _ := json.Marshal(cursorKey{K: k, ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursorKey, bool, error) {
	if s == "" {
		return cursorKey{}, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var k cursorKey
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil || k.ID <= 0 {
		return cursorKey{}, false, domain.Errorf(domain.EInvalid, "invalid cursor")
	}
	return k, true, nil
}

// page trims the extra row fetched to learn whether another page follows,
// and returns the cursor for it.
func page[T any](items []T, limit int, key func(T) (string, int64)) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	k, id := key(items[limit-1])
	return items, encodeCursor(k, id)
}

// where collects the conditions and arguments of a list query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// validDates refuses dates that would not read back, such as month 13 or a
// five-digit year. Validation should have caught them, but the store must
// never write a record it cannot read again.
func validDates(ds ...domain.Date) error {
	for _, d := range ds {
		if d.IsZero() {
			continue
		}
		if p, err := domain.ParseDate(d.String()); err != nil || p != d {
			return domain.Errorf(domain.EInvalid, "%s is not a valid date", d)
		}
	}
	return nil
}
