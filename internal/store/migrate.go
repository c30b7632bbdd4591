package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/domain"
)

// Migrations are forward-only: going back means restoring a backup, which
// is safer for sensitive data than a down script nobody has run in anger.
// Each dialect has its own folder with the same version numbers.
//
//go:embed migrations
var migrationsFS embed.FS

// Migration is one schema version and whether it has been applied.
type Migration struct {
	Version   int
	Name      string
	Applied   bool
	AppliedAt *time.Time
}

type migrationFile struct {
	version  int
	name     string
	sql      string
	checksum string
}

func migrationFiles(d dialect) fs.FS {
	sub, err := fs.Sub(migrationsFS, "migrations/"+d.name())
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}

// readMigrations lists NNNN_name.sql files in version order.
func readMigrations(fsys fs.FS) ([]migrationFile, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []migrationFile
	for _, n := range names {
		num, rest, ok := strings.Cut(strings.TrimSuffix(path.Base(n), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		if len(out) > 0 && out[len(out)-1].version == v {
			return nil, fmt.Errorf("two migration files have version %d", v)
		}
		out = append(out, migrationFile{version: v, name: rest, sql: string(b), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	checksum   TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// migrationLock serialises migration runs of several servers starting at
// once against one PostgreSQL schema; SQLite has a single writer anyway.
// Servers using other schemas of the same database do not wait.
const migrationLock = `SELECT pg_advisory_xact_lock(7265636, hashtext(coalesce(current_schema(), '')))`

// migrate applies every pending migration, each in its own transaction. It
// refuses to run when an applied file was edited afterwards or the database
// knows a version this program does not: either way the schema is not what
// the code expects.
func migrate(ctx context.Context, db *sql.DB, d dialect, fsys fs.FS, now func() time.Time) error {
	files, err := readMigrations(fsys)
	if err != nil {
		return &domain.Error{Code: domain.EInternal, Message: "cannot read the migrations", Cause: err}
	}
	for _, f := range files {
		err := runInTx(ctx, db, d, func(tx conn) error {
			if d.name() == "postgres" {
				if _, err := tx.exec(ctx, migrationLock); err != nil {
					return err
				}
			}
			if _, err := tx.exec(ctx, createMigrationsTable); err != nil {
				return err
			}
			applied, err := appliedMigrations(ctx, tx)
			if err != nil {
				return err
			}
			if err := checkApplied(files, applied); err != nil {
				return err
			}
			if _, done := applied[f.version]; done {
				return nil
			}
			// Not rebound: migration files are dialect-specific already.
			if _, err := tx.q.ExecContext(ctx, f.sql); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", f.version, f.name, err)
			}
			_, err = tx.exec(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
				f.version, f.name, f.checksum, millis(now()))
			return err
		})
		if err != nil {
			var de *domain.Error
			if errors.As(err, &de) {
				return err
			}
			return &domain.Error{Code: domain.EInternal, Message: "cannot update the database schema", Cause: err}
		}
	}
	return nil
}

type appliedMigration struct {
	checksum  string
	appliedAt time.Time
}

func appliedMigrations(ctx context.Context, c conn) (map[int]appliedMigration, error) {
	rows, err := c.query(ctx, `SELECT version, checksum, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]appliedMigration{}
	for rows.Next() {
		var (
			v  int
			am appliedMigration
			at int64
		)
		if err := rows.Scan(&v, &am.checksum, &at); err != nil {
			return nil, err
		}
		am.appliedAt = fromMillis(at)
		out[v] = am
	}
	return out, rows.Err()
}

func checkApplied(files []migrationFile, applied map[int]appliedMigration) error {
	known := map[int]bool{}
	for _, f := range files {
		known[f.version] = true
		if a, ok := applied[f.version]; ok && a.checksum != f.checksum {
			return domain.Errorf(domain.EInternal,
				"migration %04d_%s was changed after it was applied to this database; refusing to start", f.version, f.name)
		}
	}
	for v := range applied {
		if !known[v] {
			return domain.Errorf(domain.EInternal,
				"the database has schema version %d, which this program does not know; use a newer Vigil", v)
		}
	}
	return nil
}

func runInTx(ctx context.Context, db *sql.DB, d dialect, fn func(c conn) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(conn{q: tx, d: d}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// MigrationStatus lists every migration this program knows and whether the
// database has it.
func (s *Store) MigrationStatus(ctx context.Context) (_ []Migration, err error) {
	defer s.fail(&err)
	files, err := readMigrations(migrationFiles(s.d))
	if err != nil {
		return nil, err
	}
	applied, err := appliedMigrations(ctx, s.reader())
	if err != nil {
		return nil, err
	}
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		m := Migration{Version: f.version, Name: f.name}
		if a, ok := applied[f.version]; ok {
			at := a.appliedAt
			m.Applied, m.AppliedAt = true, &at
		}
		out = append(out, m)
	}
	return out, nil
}
