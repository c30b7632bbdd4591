package store

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"vigil/internal/domain"
)

func migrationVersions(t *testing.T, d dialect) []int {
	t.Helper()
	files, err := readMigrations(migrationFiles(d))
	mustOK(t, err)
	var vs []int
	for _, f := range files {
		vs = append(vs, f.version)
	}
	return vs
}

func TestMigrationVersionsMatch(t *testing.T) {
	sq, pg := migrationVersions(t, sqliteDialect{}), migrationVersions(t, postgresDialect{})
	if len(sq) == 0 {
		t.Fatal("no migrations found")
	}
	same(t, "postgres versions equal sqlite versions", pg, sq)
	for i, v := range sq {
		if v != i+1 {
			t.Fatalf("versions %v are not 1..n without gaps", sq)
		}
	}
}

// tables lists every table the schema must have.
var tables = []string{"schema_migrations", "users", "sessions", "api_tokens", "idempotency_keys", "crossing_points",
	"policy_events", "figures", "testimonies", "incidents", "incident_tags", "links", "persons", "asylum_cases",
	"procedure_events", "counters"}

func TestMigrateFromEmpty(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ms, err := s.MigrationStatus(ctx)
		mustOK(t, err)
		if len(ms) == 0 {
			t.Fatal("no migrations")
		}
		for _, m := range ms {
			if !m.Applied || m.AppliedAt == nil || m.Name == "" {
				t.Fatalf("migration not applied: %+v", m)
			}
		}
		if ms[0].Version != 1 || ms[0].Name != "init" {
			t.Fatalf("first migration: %+v", ms[0])
		}
		for _, table := range tables {
			var n int
			if err := s.reader().queryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				t.Fatalf("table %s: %v", table, err)
			}
		}
		// Running again changes nothing.
		mustOK(t, migrate(ctx, s.w, s.d, migrationFiles(s.d), s.now))
		again, err := s.MigrationStatus(ctx)
		mustOK(t, err)
		same(t, "status after a second run", again, ms)
	})
}

// withFiles returns the dialect's migrations plus extra files, or with
// changed contents.
func withFiles(t *testing.T, d dialect, extra map[string]string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	mustOK(t, fs.WalkDir(migrationFiles(d), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrationFiles(d), p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	}))
	for name, body := range extra {
		if body == "" {
			delete(m, name)
			continue
		}
		m[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return m
}

func TestMigrateRunner(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		// The test migrations come after every real one.
		shipped, err := readMigrations(migrationFiles(s.d))
		mustOK(t, err)
		base := len(shipped)
		// A new migration is applied, once.
		next := withFiles(t, s.d, map[string]string{"0900_extra.sql": "CREATE TABLE extra_table (id INTEGER);"})
		mustOK(t, migrate(ctx, s.w, s.d, next, s.now))
		mustOK(t, migrate(ctx, s.w, s.d, next, s.now))
		var n int
		mustOK(t, s.writer().queryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n))
		if n != base+1 {
			t.Fatalf("%d migrations recorded, want %d", n, base+1)
		}

		// A failing migration leaves nothing behind.
		bad := withFiles(t, s.d, map[string]string{
			"0900_extra.sql": "CREATE TABLE extra_table (id INTEGER);",
			"0901_bad.sql":   "CREATE TABLE half_done (id INTEGER); SELECT no_such_column FROM no_such_table;",
		})
		err = migrate(ctx, s.w, s.d, bad, s.now)
		wantCode(t, err, domain.EInternal)
		if err := s.writer().queryRow(ctx, "SELECT count(*) FROM half_done").Scan(&n); err == nil {
			t.Fatal("a failed migration left its table behind")
		}
		mustOK(t, s.writer().queryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n))
		if n != base+1 {
			t.Fatalf("%d migrations recorded after a failure, want %d", n, base+1)
		}

		// An applied file that was edited afterwards stops the start.
		changed := withFiles(t, s.d, map[string]string{"0900_extra.sql": "CREATE TABLE extra_table (id INTEGER, x INTEGER);"})
		err = migrate(ctx, s.w, s.d, changed, s.now)
		wantCode(t, err, domain.EInternal)
		// Internal errors hide their message from web users; the operator
		// starting the server sees Error().
		if !strings.Contains(err.Error(), "0900_extra was changed after it was applied") {
			t.Fatalf("error %q", err)
		}

		// So does a database newer than the program.
		older := withFiles(t, s.d, map[string]string{"0900_extra.sql": ""})
		err = migrate(ctx, s.w, s.d, older, s.now)
		wantCode(t, err, domain.EInternal)
		if !strings.Contains(err.Error(), "schema version 900") {
			t.Fatalf("error %q", err)
		}
	})
}

// TestOpenRefusesChangedMigration goes through Open: the checksum stored
// when the schema was made no longer matches the embedded file.
func TestOpenRefusesChangedMigration(t *testing.T) {
	dir := t.TempDir()
	key := randomKey(t)
	s := openSQLiteAt(t, dir, key)
	_, err := s.writer().exec(ctx, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
	mustOK(t, err)
	mustOK(t, s.Close())
	_, err = Open(ctx, Config{Dir: dir, Key: key})
	wantCode(t, err, domain.EInternal)
	if !strings.Contains(err.Error(), "0001_init was changed after it was applied") {
		t.Fatalf("error %q", err)
	}
}

func TestReadMigrationsRejectsBadNames(t *testing.T) {
	for _, name := range []string{"init.sql", "x_init.sql", "0_init.sql"} {
		_, err := readMigrations(fstest.MapFS{name: &fstest.MapFile{Data: []byte("SELECT 1;")}})
		if err == nil {
			t.Errorf("%s was accepted", name)
		}
	}
}
