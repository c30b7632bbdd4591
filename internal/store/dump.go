package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/ext/fts5"
)

// A dump is the logical content of the database: every table's rows as
// JSON Lines (dumpcodec.go), engine-neutral, so that a dump of SQLite loads
// into PostgreSQL and back. It is generic over tables: the schema is read
// from the database itself, so tables that later migrations add are dumped
// without anyone remembering to list them here. Backups (internal/app) wrap
// a dump with evidence files, a manifest and encryption: always on
// PostgreSQL, and on SQLite when asked to (vigil backup --logical); an
// SQLite backup otherwise carries the database file itself (physical.go).

// DumpColumn is one column of a dumped table. Type is the column's kind,
// the same words on both engines: integer, real, text, blob, boolean (a
// PostgreSQL boolean; SQLite keeps 0 and 1 in an integer) or any (an
// SQLite column without a declared type).
type DumpColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// DumpTable is a table as a dump holds it. Generated columns (PostgreSQL's
// tsvector search columns) are left out: the engine computes them again.
type DumpTable struct {
	Name    string       `json:"name"`
	Columns []DumpColumn `json:"columns"`
}

// SkippedTables are never dumped. A session is a login on one running
// instance: after a restore everyone signs in again, and a session cookie
// stolen from the old server does not open the new one. Pending logins are
// half-finished sign-ins of the same kind. Tables that reference a skipped
// table are skipped with it.
var SkippedTables = map[string]string{
	"sessions":       "logins of the old instance; everyone signs in again",
	"pending_logins": "half-finished logins of the old instance",
}

// Tables that belong to the machinery rather than the data: the schema
// version is recorded in a backup's manifest instead, and the restored
// database gets its own from its migrations.
var internalTables = map[string]bool{"schema_migrations": true}

// tableInfo is what a dump or a restore needs to know about one table.
type tableInfo struct {
	DumpTable
	parents  []string // tables its foreign keys reference
	serial   []string // PostgreSQL: columns fed by a sequence
	orderBy  []string // PostgreSQL: the primary key, so dumps come in a stable order
	triggers bool     // PostgreSQL: the table has triggers of its own
}

// Snapshot is a consistent, read-only view of the whole database, taken
// while other connections go on writing (SQLite: one read transaction on
// one connection in WAL mode; PostgreSQL: a REPEATABLE READ transaction).
type Snapshot struct {
	engine     string
	tables     []tableInfo
	skipped    []string
	migrations []Migration
	dump       func(ctx context.Context, t tableInfo, w io.Writer) (int64, error)
}

// Engine names the database engine: sqlite or postgres.
func (sn *Snapshot) Engine() string { return sn.engine }

// Tables lists the tables to dump, every table after the tables it
// references, so that a restore can load them in this order.
func (sn *Snapshot) Tables() []DumpTable {
	out := make([]DumpTable, len(sn.tables))
	for i, t := range sn.tables {
		out[i] = t.DumpTable
	}
	return out
}

// Skipped lists the tables left out on purpose (SkippedTables).
func (sn *Snapshot) Skipped() []string { return slices.Clone(sn.skipped) }

// Migrations lists the schema versions the database has.
func (sn *Snapshot) Migrations() []Migration { return slices.Clone(sn.migrations) }

// DumpTable writes the rows of the named table to w as JSON Lines and
// returns how many there were.
func (sn *Snapshot) DumpTable(ctx context.Context, name string, w io.Writer) (int64, error) {
	for _, t := range sn.tables {
		if t.Name == name {
			n, err := sn.dump(ctx, t, w)
			if err != nil {
				return n, fmt.Errorf("dump table %s: %w", name, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no table %s in the snapshot", name)
}

// Snapshot calls fn with a consistent view of the database. Everything fn
// reads through it comes from one moment, however long fn takes; writers
// are not blocked meanwhile. Errors of fn are returned as they are.
func (s *Store) Snapshot(ctx context.Context, fn func(*Snapshot) error) error {
	c, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("cannot connect to the database: %w", err)
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		if s.d.name() == "postgres" {
			return pgSnapshot(ctx, dc, fn)
		}
		rc, ok := dc.(interface{ Raw() *sqlite3.Conn })
		if !ok {
			return fmt.Errorf("unexpected SQLite driver connection %T", dc)
		}
		return sqliteSnapshot(ctx, rc.Raw(), fn)
	})
}

// KnownMigrations lists the schema versions this program has for engine
// (sqlite or postgres).
func KnownMigrations(engine string) ([]Migration, error) {
	var d dialect = sqliteDialect{}
	if engine == "postgres" {
		d = postgresDialect{}
	} else if engine != "sqlite" {
		return nil, fmt.Errorf("unknown engine %q", engine)
	}
	files, err := readMigrations(migrationFiles(d))
	if err != nil {
		return nil, err
	}
	out := make([]Migration, len(files))
	for i, f := range files {
		out[i] = Migration{Version: f.version, Name: f.name}
	}
	return out, nil
}

// planTables drops internal and skipped tables (and, transitively, those
// that reference a skipped one) and orders the rest so that every table
// comes after the tables it references.
func planTables(all []tableInfo) (keep []tableInfo, skipped []string, err error) {
	skip := map[string]bool{}
	for _, t := range all {
		if _, ok := SkippedTables[t.Name]; ok {
			skip[t.Name] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, t := range all {
			if skip[t.Name] {
				continue
			}
			for _, p := range t.parents {
				if skip[p] {
					skip[t.Name], changed = true, true
					break
				}
			}
		}
	}
	byName := map[string]tableInfo{}
	for _, t := range all {
		switch {
		case internalTables[t.Name]:
		case skip[t.Name]:
			skipped = append(skipped, t.Name)
		default:
			byName[t.Name] = t
		}
	}
	sort.Strings(skipped)
	// Kahn's algorithm, taking ready tables in name order so that the
	// order is the same every time.
	done := map[string]bool{}
	for len(done) < len(byName) {
		var ready []string
		for name, t := range byName {
			if done[name] {
				continue
			}
			ok := true
			for _, p := range t.parents {
				if p != name && !done[p] && byName[p].Name != "" {
					ok = false
					break
				}
			}
			if ok {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			var rest []string
			for name := range byName {
				if !done[name] {
					rest = append(rest, name)
				}
			}
			sort.Strings(rest)
			return nil, nil, fmt.Errorf("the foreign keys of tables %s form a cycle; a dump cannot order them", strings.Join(rest, ", "))
		}
		sort.Strings(ready)
		for _, name := range ready {
			done[name] = true
			keep = append(keep, byName[name])
		}
	}
	return keep, skipped, nil
}

// seededRE finds the tables a migration puts rows into.
var seededRE = regexp.MustCompile(`(?im)^\s*INSERT\s+INTO\s+"?([A-Za-z_][A-Za-z0-9_]*)`)

// seededTables lists the tables that hold rows in a database fresh from
// its migrations (such as the audit chain's head). A restore target may
// hold those, and nothing else.
func seededTables(d dialect) map[string]bool {
	out := map[string]bool{}
	files, err := readMigrations(migrationFiles(d))
	if err != nil {
		return out
	}
	for _, f := range files {
		for _, m := range seededRE.FindAllStringSubmatch(f.sql, -1) {
			out[m[1]] = true
		}
	}
	return out
}

// createdRE finds the tables a migration creates.
var createdRE = regexp.MustCompile(`(?im)^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([A-Za-z_][A-Za-z0-9_]*)`)

// createdTables lists the tables the migrations of d create, in name order.
func createdTables(d dialect) []string {
	seen := map[string]bool{}
	files, err := readMigrations(migrationFiles(d))
	if err != nil {
		return nil
	}
	for _, f := range files {
		for _, m := range createdRE.FindAllStringSubmatch(f.sql, -1) {
			seen[m[1]] = true
		}
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// refuseData refuses a restore target whose tables hold data beyond what
// its migrations seeded.
func refuseData(what string, full []string, seeded map[string]bool) error {
	var data []string
	for _, name := range full {
		if !seeded[name] {
			data = append(data, name)
		}
	}
	if len(data) == 0 {
		return nil
	}
	return fmt.Errorf("%s already holds Vigil data (rows in %s); restore only into an empty database or schema", what, strings.Join(data, ", "))
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func quoteColumns(cols []DumpColumn) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.Name))
	}
	return b.String()
}

// ---- SQLite ----

// sqliteKind maps a declared column type to its kind with SQLite's own
// affinity rules (https://sqlite.org/datatype3.html#determination_of_column_affinity).
func sqliteKind(decl string) string {
	t := strings.ToUpper(decl)
	switch {
	case strings.Contains(t, "INT"):
		return "integer"
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return "text"
	case strings.Contains(t, "BLOB"):
		return "blob"
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return "real"
	case strings.Contains(t, "BOOL"):
		return "boolean"
	}
	return "any"
}

// ftsContent matches the content= option of an FTS5 table that indexes
// another table's rows (external content).
var ftsContent = regexp.MustCompile(`(?i)\bcontent\s*=\s*['"]?([A-Za-z_][A-Za-z0-9_]*)`)

// sqliteQuery runs a query on a raw connection, calling row for each row.
func sqliteQuery(db *sqlite3.Conn, query string, row func(st *sqlite3.Stmt) error, args ...string) error {
	st, _, err := db.Prepare(query)
	if err != nil {
		return err
	}
	defer st.Close()
	for i, a := range args {
		if err := st.BindText(i+1, a); err != nil {
			return err
		}
	}
	for st.Step() {
		if err := row(st); err != nil {
			return err
		}
	}
	return st.Err()
}

// sqliteSchema reads the tables of the main database. FTS5 tables with
// external content are not data (a restore rebuilds them); any other
// virtual table is refused rather than silently left out.
func sqliteSchema(db *sqlite3.Conn) ([]tableInfo, []string, error) {
	var names, fts []string
	var problem error
	err := sqliteQuery(db, `SELECT l.name, l.type, coalesce(s.sql, '') FROM pragma_table_list AS l
		LEFT JOIN sqlite_schema AS s ON s.name = l.name WHERE l.schema = 'main' ORDER BY l.name`, func(st *sqlite3.Stmt) error {
		name, typ, sql := st.ColumnText(0), st.ColumnText(1), st.ColumnText(2)
		switch {
		case strings.HasPrefix(name, "sqlite_"), typ == "shadow", typ == "view":
		case typ == "virtual":
			if !strings.Contains(strings.ToLower(sql), "fts5") || ftsContent.FindStringSubmatch(sql) == nil ||
				strings.Contains(strings.ReplaceAll(strings.ToLower(sql), " ", ""), "content=''") {
				problem = fmt.Errorf("table %s is a virtual table that holds data of its own; backups cannot include it yet", name)
			}
			fts = append(fts, name)
		default:
			names = append(names, name)
		}
		return nil
	})
	if err == nil {
		err = problem
	}
	if err != nil {
		return nil, nil, err
	}
	var out []tableInfo
	for _, name := range names {
		t := tableInfo{DumpTable: DumpTable{Name: name}}
		err := sqliteQuery(db, `SELECT name, type, hidden FROM pragma_table_xinfo(?) ORDER BY cid`, func(st *sqlite3.Stmt) error {
			if st.ColumnInt(2) == 0 { // 2 and 3 are generated columns
				t.Columns = append(t.Columns, DumpColumn{Name: st.ColumnText(0), Type: sqliteKind(st.ColumnText(1))})
			}
			return nil
		}, name)
		if err == nil {
			err = sqliteQuery(db, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, func(st *sqlite3.Stmt) error {
				t.parents = append(t.parents, st.ColumnText(0))
				return nil
			}, name)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read the schema of table %s: %w", name, err)
		}
		out = append(out, t)
	}
	return out, fts, nil
}

func sqliteMigrations(db *sqlite3.Conn) ([]Migration, error) {
	var out []Migration
	err := sqliteQuery(db, `SELECT version, name FROM schema_migrations ORDER BY version`, func(st *sqlite3.Stmt) error {
		out = append(out, Migration{Version: st.ColumnInt(0), Name: st.ColumnText(1), Applied: true})
		return nil
	})
	return out, err
}

func sqliteSnapshot(ctx context.Context, db *sqlite3.Conn, fn func(*Snapshot) error) (err error) {
	old := db.SetInterrupt(ctx)
	if err := db.Exec("BEGIN DEFERRED"); err != nil {
		db.SetInterrupt(old)
		return fmt.Errorf("cannot start the read transaction: %w", err)
	}
	defer func() {
		// Roll back even when ctx is done, so the pooled connection is
		// not left inside a transaction.
		db.SetInterrupt(context.Background())
		if rerr := db.Exec("ROLLBACK"); rerr != nil && err == nil {
			err = rerr
		}
		db.SetInterrupt(old)
	}()
	// The first read fixes the snapshot: everything after sees the
	// database as it was at this moment.
	all, _, err := sqliteSchema(db)
	if err != nil {
		return err
	}
	sn := &Snapshot{engine: "sqlite", dump: func(ctx context.Context, t tableInfo, w io.Writer) (int64, error) {
		return sqliteDumpTable(db, t, w)
	}}
	if sn.tables, sn.skipped, err = planTables(all); err != nil {
		return err
	}
	if sn.migrations, err = sqliteMigrations(db); err != nil {
		return err
	}
	return fn(sn)
}

// flushAt is how much encoded text is gathered before it is written.
const flushAt = 1 << 16

func sqliteDumpTable(db *sqlite3.Conn, t tableInfo, w io.Writer) (int64, error) {
	st, _, err := db.Prepare("SELECT " + quoteColumns(t.Columns) + " FROM " + quoteIdent(t.Name))
	if err != nil {
		return 0, err
	}
	defer st.Close()
	e := rowEncoder{buf: make([]byte, 0, flushAt+4096)}
	var rows int64
	n := len(t.Columns)
	for st.Step() {
		e.begin()
		for i := 0; i < n; i++ {
			switch st.ColumnType(i) {
			case sqlite3.INTEGER:
				e.int(st.ColumnInt64(i))
			case sqlite3.FLOAT:
				e.float(st.ColumnFloat(i))
			case sqlite3.TEXT:
				e.text(st.ColumnRawText(i))
			case sqlite3.BLOB:
				e.blob(st.ColumnRawBlob(i))
			default:
				e.null()
			}
		}
		e.end()
		rows++
		if len(e.buf) >= flushAt {
			if _, err := w.Write(e.buf); err != nil {
				return rows, err
			}
			e.buf = e.buf[:0]
		}
	}
	if err := st.Err(); err != nil {
		return rows, err
	}
	_, err = w.Write(e.buf)
	return rows, err
}

// ---- Restore ----

// Loader loads dumped tables into a new database, all in one transaction
// that commits only when the function given to Restore returns nil.
type Loader struct {
	engine string
	target map[string]tableInfo
	dumped map[string]bool // the tables the dump holds
	loaded map[string]bool
	load   func(ctx context.Context, t DumpTable, into tableInfo, r io.Reader) (int64, error)
}

func newLoader(engine string, target []tableInfo, dumped []DumpTable) *Loader {
	l := &Loader{engine: engine, target: map[string]tableInfo{}, dumped: map[string]bool{}, loaded: map[string]bool{}}
	for _, t := range target {
		l.target[t.Name] = t
	}
	for _, t := range dumped {
		l.dumped[t.Name] = true
	}
	return l
}

// Engine names the engine being loaded: sqlite or postgres.
func (l *Loader) Engine() string { return l.engine }

// LoadTable reads the rows of t from r (JSON Lines as Snapshot.DumpTable
// writes them) into the table of the same name, keeping every column
// value, ids included. It returns the number of rows.
func (l *Loader) LoadTable(ctx context.Context, t DumpTable, r io.Reader) (int64, error) {
	into, ok := l.target[t.Name]
	if !ok {
		return 0, fmt.Errorf("the backup has a table %s that this version of Vigil does not know; restore with a newer Vigil", t.Name)
	}
	if l.loaded[t.Name] {
		return 0, fmt.Errorf("the backup holds table %s twice", t.Name)
	}
	have := map[string]bool{}
	for _, c := range into.Columns {
		have[c.Name] = true
	}
	for _, c := range t.Columns {
		if !have[c.Name] {
			return 0, fmt.Errorf("table %s in the backup has a column %s that this version of Vigil does not know; restore with a newer Vigil", t.Name, c.Name)
		}
	}
	for _, p := range into.parents {
		// SQLite checks foreign keys once at the end; PostgreSQL on every row.
		if l.engine == "postgres" && l.dumped[p] && p != t.Name && !l.loaded[p] {
			return 0, fmt.Errorf("table %s comes before table %s, which it references; the backup is not in a usable order", t.Name, p)
		}
	}
	n, err := l.load(ctx, t, into, r)
	if err != nil {
		return n, fmt.Errorf("restore table %s: %w", t.Name, err)
	}
	l.loaded[t.Name] = true
	return n, nil
}

// Restore creates the schema of a new database (cfg: a new data directory
// for SQLite, or an empty PostgreSQL database or schema) and calls fn to
// load it, all in one transaction. tables are the tables the dump holds;
// on PostgreSQL a database whose tables of these names hold rows is
// refused before anything is written. A restore of SQLite into a
// directory must be thrown away by the caller when Restore fails: the
// file is written without a journal (nobody else can see it yet, and a
// failed restore is not resumed but started again).
func Restore(ctx context.Context, cfg Config, tables []DumpTable, fn func(*Loader) error) error {
	if strings.HasPrefix(cfg.DatabaseURL, "postgres://") || strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
		return pgRestore(ctx, cfg, tables, fn)
	}
	if cfg.DatabaseURL != "" {
		return errors.New("the database URL must start with postgres:// or postgresql://")
	}
	return sqliteRestore(ctx, cfg, tables, fn)
}

func sqliteRestore(ctx context.Context, cfg Config, tables []DumpTable, fn func(*Loader) error) error {
	path := filepath.Join(cfg.Dir, DBFile)
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return fmt.Errorf("%s already holds a database; restore only into a new data directory", cfg.Dir)
	}
	// Open creates the schema through the migrations, as for a new instance.
	s, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	// The connection may use more memory than SQLite's usual 256 MB here:
	// a larger page cache and FTS5's rebuild buffer (ftsRebuildHash) make
	// the load faster, and running out of memory would abort it.
	db, err := sqlite3.OpenContext(sqlite3.WithMaxMemory(ctx, restoreMaxMemory), "file:"+(&url.URL{Path: abs}).EscapedPath()+"?vfs=adiantum")
	if err != nil {
		return err
	}
	defer db.Close()
	old := db.SetInterrupt(ctx)
	defer db.SetInterrupt(old)
	if err := db.Exec(fmt.Sprintf("PRAGMA hexkey='%x'", cfg.Key)); err != nil {
		return err
	}
	if err := fts5.Register(db); err != nil {
		return err
	}
	// Nobody else can open the new file yet, so it is written without a
	// journal and without waiting for the disk; foreign keys are checked
	// once at the end instead of on every row.
	for _, p := range []string{"locking_mode=EXCLUSIVE", "journal_mode=OFF", "synchronous=OFF",
		"foreign_keys=OFF", "temp_store=memory", fmt.Sprintf("cache_size=%d", -restoreCache>>10)} {
		if err := db.Exec("PRAGMA " + p); err != nil {
			return fmt.Errorf("PRAGMA %s: %w", p, err)
		}
	}
	if err := db.Exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	all, fts, err := sqliteSchema(db)
	if err != nil {
		return err
	}
	l := newLoader("sqlite", all, tables)
	// Triggers would act on rows that already carry their consequences
	// (an index entry, a version, an audit entry): they are set aside
	// while loading and put back afterwards, in the same transaction.
	var triggers []string
	err = sqliteQuery(db, `SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY name`, func(st *sqlite3.Stmt) error {
		triggers = append(triggers, st.ColumnText(0), st.ColumnText(1))
		return nil
	})
	if err != nil {
		return err
	}
	for i := 0; i < len(triggers); i += 2 {
		if err := db.Exec("DROP TRIGGER " + quoteIdent(triggers[i])); err != nil {
			return err
		}
	}
	// The new database is empty but for rows a migration seeded; the
	// backup's own rows replace them.
	for _, t := range tables {
		if _, ok := l.target[t.Name]; ok {
			if err := db.Exec("DELETE FROM " + quoteIdent(t.Name)); err != nil {
				return err
			}
		}
	}
	l.load = func(ctx context.Context, t DumpTable, _ tableInfo, r io.Reader) (int64, error) {
		return sqliteLoadTable(db, t, r)
	}
	if err := fn(l); err != nil {
		return err
	}
	for i := 0; i < len(triggers); i += 2 {
		if err := db.Exec(triggers[i+1]); err != nil {
			return fmt.Errorf("restore trigger %s: %w", triggers[i], err)
		}
	}
	for _, name := range fts {
		if err := rebuildFTS(db, name); err != nil {
			return fmt.Errorf("rebuild the search index %s: %w", name, err)
		}
	}
	var fkProblem error
	err = sqliteQuery(db, `SELECT "table", parent FROM pragma_foreign_key_check LIMIT 1`, func(st *sqlite3.Stmt) error {
		fkProblem = fmt.Errorf("the restored table %s references rows of %s that the backup does not hold", st.ColumnText(0), st.ColumnText(1))
		return nil
	})
	if err == nil {
		err = fkProblem
	}
	if err != nil {
		return err
	}
	if err := db.Exec("COMMIT"); err != nil {
		return err
	}
	// Back to the journal every later connection expects.
	return db.Exec("PRAGMA journal_mode=WAL")
}

// Memory of the restore's one connection: its page cache, and the most it
// may use in all (cache, FTS5 rebuild buffer, sorting). Memory is only
// taken as it is used.
const (
	restoreCache     = 128 << 20
	restoreMaxMemory = 1 << 30
)

// ftsRebuildHash is the memory FTS5 may gather terms in while it rebuilds
// an index. With its default of 1 MB it writes a small segment for every
// megabyte and spends as long merging them as tokenizing; 64 MB halved the
// rebuild of 150,000 records.
const ftsRebuildHash = 64 << 20

// rebuildFTS fills an external-content FTS5 index from its table.
func rebuildFTS(db *sqlite3.Conn, name string) error {
	q := quoteIdent(name)
	old := int64(-1)
	err := sqliteQuery(db, `SELECT v FROM `+quoteIdent(name+"_config")+` WHERE k = 'hashsize'`, func(st *sqlite3.Stmt) error {
		old = st.ColumnInt64(0)
		return nil
	})
	if err != nil {
		return err
	}
	if err := db.Exec(fmt.Sprintf("INSERT INTO %s (%s, rank) VALUES ('hashsize', %d)", q, q, ftsRebuildHash)); err != nil {
		return err
	}
	if err := db.Exec("INSERT INTO " + q + " (" + q + ") VALUES ('rebuild')"); err != nil {
		return err
	}
	// Back to what it was, so that the server's writes use the usual memory.
	if old < 0 {
		return db.Exec(`DELETE FROM ` + quoteIdent(name+"_config") + ` WHERE k = 'hashsize'`)
	}
	return db.Exec(fmt.Sprintf("INSERT INTO %s (%s, rank) VALUES ('hashsize', %d)", q, q, old))
}

func sqliteLoadTable(db *sqlite3.Conn, t DumpTable, r io.Reader) (int64, error) {
	n := len(t.Columns)
	q := "INSERT INTO " + quoteIdent(t.Name) + " (" + quoteColumns(t.Columns) + ") VALUES (?" + strings.Repeat(", ?", n-1) + ")"
	st, _, err := db.Prepare(q)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	lr := newLineReader(r)
	var dec rowDecoder
	var rows int64
	for {
		line, err := lr.next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		vals, err := dec.decode(line, n)
		if err != nil {
			return rows, fmt.Errorf("row %d: %w", rows+1, err)
		}
		for i, v := range vals {
			p := i + 1
			switch v.kind {
			case vNull:
				err = st.BindNull(p)
			case vInt, vBool:
				err = st.BindInt64(p, v.i)
			case vFloat:
				err = st.BindFloat(p, v.f)
			case vText:
				err = st.BindRawText(p, nonNil(v.b)) // nil would bind NULL
			case vBlob:
				err = st.BindBlob(p, nonNil(v.b))
			}
			if err != nil {
				return rows, err
			}
		}
		if err := st.Exec(); err != nil {
			return rows, fmt.Errorf("row %d: %w", rows+1, err)
		}
		rows++
	}
}

var empty = []byte{}

func nonNil(b []byte) []byte {
	if b == nil {
		return empty
	}
	return b
}
