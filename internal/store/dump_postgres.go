package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL side of dumps and restores (dump.go). Both use pgx directly
// under database/sql: rows are decoded from the wire format without a
// value per column on the heap, and a restore loads with COPY, which is
// many times faster than INSERT and, like pg_restore, writes identity
// columns as given.

// pgKind maps a PostgreSQL type to a dump column kind, or "" for types a
// dump does not carry.
func pgKind(typname string) string {
	switch typname {
	case "int2", "int4", "int8":
		return "integer"
	case "float4", "float8":
		return "real"
	case "bool":
		return "boolean"
	case "text", "varchar", "bpchar", "name":
		return "text"
	case "bytea":
		return "blob"
	}
	return ""
}

func pgConn(dc any) (*pgx.Conn, error) {
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return nil, fmt.Errorf("unexpected PostgreSQL driver connection %T", dc)
	}
	return sc.Conn(), nil
}

// pgSchema reads the tables of the current schema.
func pgSchema(ctx context.Context, pc *pgx.Conn) ([]tableInfo, error) {
	byName := map[string]*tableInfo{}
	var order []string
	var unsupported []string
	rows, err := pc.Query(ctx, `
		SELECT c.relname, a.attname, t.typname, a.attgenerated::text,
			pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) IS NOT NULL
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_type t ON t.oid = a.atttypid
		WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY c.relname, a.attnum`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var table, col, typ, generated string
		var serial bool
		if err := rows.Scan(&table, &col, &typ, &generated, &serial); err != nil {
			rows.Close()
			return nil, err
		}
		t := byName[table]
		if t == nil {
			t = &tableInfo{DumpTable: DumpTable{Name: table}}
			byName[table] = t
			order = append(order, table)
		}
		if generated != "" {
			continue // computed again by the engine
		}
		kind := pgKind(typ)
		if kind == "" {
			unsupported = append(unsupported, fmt.Sprintf("%s.%s (%s)", table, col, typ))
		}
		t.Columns = append(t.Columns, DumpColumn{Name: col, Type: kind})
		if serial {
			t.serial = append(t.serial, col)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = pgEach(ctx, pc, `
		SELECT DISTINCT c.relname, p.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid
		JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE k.contype = 'f' AND n.nspname = current_schema()
		ORDER BY 1, 2`, func(a, b string) {
		if t := byName[a]; t != nil {
			t.parents = append(t.parents, b)
		}
	})
	if err == nil {
		err = pgEach(ctx, pc, `
			SELECT c.relname, a.attname FROM pg_index i
			JOIN pg_class c ON c.oid = i.indrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
			WHERE i.indisprimary AND n.nspname = current_schema()
			ORDER BY c.relname, k.ord`, func(a, b string) {
			if t := byName[a]; t != nil {
				t.orderBy = append(t.orderBy, b)
			}
		})
	}
	if err == nil {
		err = pgEach(ctx, pc, `
			SELECT DISTINCT c.relname, '' FROM pg_trigger g
			JOIN pg_class c ON c.oid = g.tgrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE NOT g.tgisinternal AND n.nspname = current_schema()`, func(a, _ string) {
			if t := byName[a]; t != nil {
				t.triggers = true
			}
		})
	}
	if err != nil {
		return nil, err
	}
	out := make([]tableInfo, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	if len(unsupported) > 0 {
		return out, &unsupportedColumns{unsupported}
	}
	return out, nil
}

// unsupportedColumns is returned with the schema when some columns have a
// type that dumps do not carry; a restore can still load the others.
type unsupportedColumns struct{ cols []string }

func (e *unsupportedColumns) Error() string {
	return "backups do not support the column types of " + strings.Join(e.cols, ", ")
}

// pgEach runs a query of two text columns.
func pgEach(ctx context.Context, pc *pgx.Conn, query string, fn func(a, b string)) error {
	rows, err := pc.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	return rows.Err()
}

func pgSnapshot(ctx context.Context, dc any, fn func(*Snapshot) error) (err error) {
	pc, err := pgConn(dc)
	if err != nil {
		return err
	}
	if _, err := pc.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return fmt.Errorf("cannot start the read transaction: %w", err)
	}
	defer func() {
		if _, rerr := pc.Exec(context.Background(), "ROLLBACK"); rerr != nil && err == nil {
			err = rerr
		}
	}()
	all, err := pgSchema(ctx, pc)
	if err != nil {
		return err
	}
	sn := &Snapshot{engine: "postgres", dump: func(ctx context.Context, t tableInfo, w io.Writer) (int64, error) {
		return pgDumpTable(ctx, pc, t, w)
	}}
	if sn.tables, sn.skipped, err = planTables(all); err != nil {
		return err
	}
	rows, err := pc.Query(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Version, &m.Name); err != nil {
			rows.Close()
			return err
		}
		m.Applied = true
		sn.migrations = append(sn.migrations, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return fn(sn)
}

func pgDumpTable(ctx context.Context, pc *pgx.Conn, t tableInfo, w io.Writer) (int64, error) {
	q := "SELECT " + quoteColumns(t.Columns) + " FROM " + quoteIdent(t.Name)
	if len(t.orderBy) > 0 {
		q += " ORDER BY " + quoteColumns(columnsNamed(t.orderBy))
	}
	rows, err := pc.Query(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	e := rowEncoder{buf: make([]byte, 0, flushAt+4096)}
	var n int64
	for rows.Next() {
		e.begin()
		for i, b := range rows.RawValues() {
			if b == nil {
				e.null()
				continue
			}
			if err := pgEncodeValue(&e, fds[i].DataTypeOID, fds[i].Format == pgx.BinaryFormatCode, b); err != nil {
				return n, fmt.Errorf("column %s: %w", fds[i].Name, err)
			}
		}
		e.end()
		n++
		if len(e.buf) >= flushAt {
			if _, err := w.Write(e.buf); err != nil {
				return n, err
			}
			e.buf = e.buf[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	_, err = w.Write(e.buf)
	return n, err
}

func columnsNamed(names []string) []DumpColumn {
	out := make([]DumpColumn, len(names))
	for i, n := range names {
		out[i].Name = n
	}
	return out
}

// pgEncodeValue encodes one wire value, binary or text format.
func pgEncodeValue(e *rowEncoder, oid uint32, bin bool, b []byte) error {
	switch oid {
	case pgtype.Int8OID, pgtype.Int4OID, pgtype.Int2OID:
		if !bin {
			v, err := strconv.ParseInt(string(b), 10, 64)
			if err != nil {
				return err
			}
			e.int(v)
			return nil
		}
		switch len(b) {
		case 8:
			e.int(int64(binary.BigEndian.Uint64(b)))
		case 4:
			e.int(int64(int32(binary.BigEndian.Uint32(b))))
		case 2:
			e.int(int64(int16(binary.BigEndian.Uint16(b))))
		default:
			return fmt.Errorf("integer of %d bytes", len(b))
		}
	case pgtype.Float8OID, pgtype.Float4OID:
		if !bin {
			v, err := strconv.ParseFloat(string(b), 64)
			if err != nil {
				return err
			}
			e.float(v)
			return nil
		}
		switch len(b) {
		case 8:
			e.float(math.Float64frombits(binary.BigEndian.Uint64(b)))
		case 4:
			e.float(float64(math.Float32frombits(binary.BigEndian.Uint32(b))))
		default:
			return fmt.Errorf("real of %d bytes", len(b))
		}
	case pgtype.BoolOID:
		e.bool(len(b) == 1 && (b[0] == 1 || b[0] == 't'))
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		e.text(b)
	case pgtype.ByteaOID:
		if bin {
			e.blob(b)
			return nil
		}
		if len(b) < 2 || b[0] != '\\' || b[1] != 'x' {
			return errors.New("bytea in an unexpected text form")
		}
		raw, err := hex.DecodeString(string(b[2:]))
		if err != nil {
			return err
		}
		e.blob(raw)
	default:
		return fmt.Errorf("type %d is not supported in backups", oid)
	}
	return nil
}

// pgProbe checks the target of a restore before the migrations run, so
// that a database that holds data is refused before anything is written.
func pgProbe(ctx context.Context, dsn string, tables []DumpTable) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("the PostgreSQL URL is not valid: %w", err)
	}
	defer db.Close()
	var has bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&has); err != nil {
		return fmt.Errorf("cannot connect to PostgreSQL: %w", err)
	}
	if !has {
		return nil // no Vigil schema yet
	}
	full, err := pgNonEmpty(ctx, dbQuerier{ctx, db}, tables)
	if err != nil {
		return err
	}
	return refuseData("the PostgreSQL database", full, seededTables(postgresDialect{}))
}

// pgProbeAll is pgProbe for every table this program's migrations create,
// for a check made before the backup's table list is known. Tables that a
// backup never fills (SkippedTables) may hold rows, as in pgProbe; tables
// of other programs sharing the schema are none of its business.
func pgProbeAll(ctx context.Context, dsn string) error {
	var tables []DumpTable
	for _, name := range createdTables(postgresDialect{}) {
		if _, skip := SkippedTables[name]; !skip && !internalTables[name] {
			tables = append(tables, DumpTable{Name: name})
		}
	}
	return pgProbe(ctx, dsn, tables)
}

// rowQuerier is *sql.DB or, through txQuerier, a pgx connection.
type rowQuerier interface {
	queryRow(query string, args ...any) interface{ Scan(...any) error }
}

type dbQuerier struct {
	ctx context.Context
	db  *sql.DB
}

func (q dbQuerier) queryRow(query string, args ...any) interface{ Scan(...any) error } {
	return q.db.QueryRowContext(q.ctx, query, args...)
}

type txQuerier struct {
	ctx context.Context
	pc  *pgx.Conn
}

func (q txQuerier) queryRow(query string, args ...any) interface{ Scan(...any) error } {
	return q.pc.QueryRow(q.ctx, query, args...)
}

// pgNonEmpty lists the tables among tables that exist and hold rows.
func pgNonEmpty(ctx context.Context, q rowQuerier, tables []DumpTable) ([]string, error) {
	var full []string
	for _, t := range tables {
		var exists bool
		if err := q.queryRow(`SELECT to_regclass($1) IS NOT NULL`, quoteIdent(t.Name)).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			continue
		}
		var rows bool
		if err := q.queryRow(`SELECT EXISTS (SELECT 1 FROM ` + quoteIdent(t.Name) + `)`).Scan(&rows); err != nil {
			return nil, err
		}
		if rows {
			full = append(full, t.Name)
		}
	}
	return full, nil
}

func pgRestore(ctx context.Context, cfg Config, tables []DumpTable, fn func(*Loader) error) error {
	if err := pgProbe(ctx, cfg.DatabaseURL, tables); err != nil {
		return err
	}
	s, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) (err error) {
		pc, err := pgConn(dc)
		if err != nil {
			return err
		}
		if _, err := pc.Exec(ctx, "BEGIN"); err != nil {
			return err
		}
		committed := false
		defer func() {
			if !committed {
				pc.Exec(context.Background(), "ROLLBACK")
			}
		}()
		all, err := pgSchema(ctx, pc)
		var uc *unsupportedColumns
		if err != nil && !errors.As(err, &uc) {
			return err
		}
		l := newLoader("postgres", all, tables)
		var inDump []tableInfo
		for _, t := range tables {
			if tt, ok := l.target[t.Name]; ok {
				inDump = append(inDump, tt)
			}
		}
		full, err := pgNonEmpty(ctx, txQuerier{ctx, pc}, tables)
		if err != nil {
			return err
		}
		seeded := seededTables(postgresDialect{})
		if err := refuseData("the PostgreSQL database", full, seeded); err != nil {
			return err
		}
		for _, t := range inDump {
			// Triggers would act on rows that already carry their
			// consequences; foreign keys stay checked.
			if t.triggers {
				if _, err := pc.Exec(ctx, "ALTER TABLE "+quoteIdent(t.Name)+" DISABLE TRIGGER USER"); err != nil {
					return err
				}
			}
		}
		for _, name := range full {
			// Rows a migration seeded; the backup's rows replace them.
			if _, err := pc.Exec(ctx, "DELETE FROM "+quoteIdent(name)); err != nil {
				return err
			}
		}
		l.load = func(ctx context.Context, t DumpTable, into tableInfo, r io.Reader) (int64, error) {
			return pgLoadTable(ctx, pc, t, into, r)
		}
		if err := fn(l); err != nil {
			return err
		}
		for _, t := range inDump {
			if t.triggers {
				if _, err := pc.Exec(ctx, "ALTER TABLE "+quoteIdent(t.Name)+" ENABLE TRIGGER USER"); err != nil {
					return err
				}
			}
			// Rows came with their ids; the sequences must continue after them.
			for _, col := range t.serial {
				q := `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(` + quoteIdent(col) + `), 0) + 1, false) FROM ` + quoteIdent(t.Name)
				if _, err := pc.Exec(ctx, q, quoteIdent(t.Name), col); err != nil {
					return fmt.Errorf("reset the id sequence of %s: %w", t.Name, err)
				}
			}
		}
		if _, err := pc.Exec(ctx, "COMMIT"); err != nil {
			return err
		}
		committed = true
		return nil
	})
}

// pgCopySource feeds COPY from a table stream.
type pgCopySource struct {
	lr    *lineReader
	dec   rowDecoder
	kinds []string
	vals  []any
	rows  int64
	err   error
	cols  []DumpColumn
}

func (c *pgCopySource) Next() bool {
	line, err := c.lr.next()
	if err == io.EOF {
		return false
	}
	if err != nil {
		c.err = err
		return false
	}
	vals, err := c.dec.decode(line, len(c.kinds))
	if err != nil {
		c.err = fmt.Errorf("row %d: %w", c.rows+1, err)
		return false
	}
	for i, v := range vals {
		x, err := pgValue(v, c.kinds[i])
		if err != nil {
			c.err = fmt.Errorf("row %d, column %s: %w", c.rows+1, c.cols[i].Name, err)
			return false
		}
		c.vals[i] = x
	}
	c.rows++
	return true
}

func (c *pgCopySource) Values() ([]any, error) { return c.vals, nil }
func (c *pgCopySource) Err() error             { return c.err }

// pgValue converts a dumped value to what the target column takes. The
// bytes of text and blobs are passed as they are: COPY encodes each row
// before the next is decoded.
func pgValue(v dumpValue, kind string) (any, error) {
	if v.kind == vNull {
		return nil, nil
	}
	switch kind {
	case "integer":
		if v.kind == vInt || v.kind == vBool {
			return v.i, nil
		}
	case "boolean":
		if v.kind == vBool || (v.kind == vInt && (v.i == 0 || v.i == 1)) {
			return v.i == 1, nil
		}
	case "real":
		switch v.kind {
		case vFloat:
			return v.f, nil
		case vInt:
			if f := float64(v.i); int64(f) == v.i {
				return f, nil
			}
		}
	case "text":
		if v.kind == vText {
			if bytes.IndexByte(v.b, 0) >= 0 {
				return nil, errors.New("text with a NUL character cannot be stored in PostgreSQL")
			}
			return nonNil(v.b), nil
		}
	case "blob":
		if v.kind == vBlob {
			return nonNil(v.b), nil
		}
	default:
		switch v.kind {
		case vInt:
			return v.i, nil
		case vFloat:
			return v.f, nil
		case vBool:
			return v.i == 1, nil
		default:
			return string(v.b), nil
		}
	}
	return nil, fmt.Errorf("a %s value does not fit a %s column", v.kind, kind)
}

func pgLoadTable(ctx context.Context, pc *pgx.Conn, t DumpTable, into tableInfo, r io.Reader) (int64, error) {
	kinds := map[string]string{}
	for _, c := range into.Columns {
		kinds[c.Name] = c.Type
	}
	src := &pgCopySource{lr: newLineReader(r), cols: t.Columns, vals: make([]any, len(t.Columns))}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
		src.kinds = append(src.kinds, kinds[c.Name])
	}
	n, err := pc.CopyFrom(ctx, pgx.Identifier{t.Name}, names, src)
	if err != nil {
		if src.err != nil {
			return src.rows, src.err
		}
		return n, err
	}
	return n, nil
}
