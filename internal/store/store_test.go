package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3/driver"

	"vigil/internal/domain"
)

// The whole suite runs on SQLite always and on PostgreSQL when
// TEST_POSTGRES_URL is set, e.g.
//
//	TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go test ./internal/store/
//
// Each PostgreSQL test gets a schema of its own, dropped afterwards.

var ctx = context.Background()

// forEachEngine runs fn against a fresh, empty store on every engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openTestSQLite(t))
	})
	if u := os.Getenv("TEST_POSTGRES_URL"); u != "" {
		t.Run("postgres", func(t *testing.T) {
			t.Parallel()
			fn(t, openTestPostgres(t, u))
		})
	}
}

// testClock starts at a fixed moment and moves one second per reading, so
// that an update always has a later timestamp than the create.
func testClock() func() time.Time {
	var n atomic.Int64
	start := time.Date(2024, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Second) }
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func openTestSQLite(t *testing.T) *Store {
	t.Helper()
	return openSQLiteAt(t, t.TempDir(), randomKey(t))
}

func openSQLiteAt(t *testing.T, dir string, key []byte) *Store {
	t.Helper()
	s, err := Open(ctx, Config{Dir: dir, Key: key, Now: testClock()})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pgTestURL makes a schema of its own for t and returns a URL that uses it.
func pgTestURL(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	// Test data need not survive a crash; not waiting for each commit to
	// reach the disk makes the suite faster. pgx sends parameters it does
	// not know itself as run-time settings.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema (is TEST_POSTGRES_URL right?): %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
		admin.Close()
	})
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openTestPostgres(t *testing.T, base string) *Store {
	t.Helper()
	s, err := Open(ctx, Config{DatabaseURL: pgTestURL(t, base), Now: testClock(), AuditKey: randomKey(t)})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wantCode fails t unless err is a domain error with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := domain.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %s), want code %s", err, got, code)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// same fails t unless got and want are deeply equal.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"x = '?' AND y = ?", "x = '?' AND y = $1"},
		{"x = 'it''s ?' AND y IN (?, ?)", "x = 'it''s ?' AND y IN ($1, $2)"},
		{"LIKE ? ESCAPE '\\'", "LIKE $1 ESCAPE '\\'"},
	} {
		if got := rebindDollar(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSearchWords(t *testing.T) {
	for _, c := range []struct {
		in       string
		want     []string
		fts, tsq string
	}{
		{"handcuffed", []string{"handcuffed"}, `"handcuffed"`, `'handcuffed'`},
		{`"' OR NEAR( *`, []string{"OR", "NEAR"}, `"OR" "NEAR"`, `'OR' & 'NEAR'`},
		{"'; DROP TABLE testimonies; --", []string{"DROP", "TABLE", "testimonies"},
			`"DROP" "TABLE" "testimonies"`, `'DROP' & 'TABLE' & 'testimonies'`},
		{"الحدود  граница", []string{"الحدود", "граница"}, `"الحدود" "граница"`, `'الحدود' & 'граница'`},
		{`" * ( ) : ^`, nil, "", ""},
	} {
		got := searchWords(c.in)
		same(t, "words of "+c.in, got, c.want)
		if q := fts5Query(got); q != c.fts {
			t.Errorf("fts5Query(%q) = %q, want %q", c.in, q, c.fts)
		}
		if q := tsQuery(got); q != c.tsq {
			t.Errorf("tsQuery(%q) = %q, want %q", c.in, q, c.tsq)
		}
	}
	if n := len(searchWords(strings.Repeat("word ", 1000))); n != maxSearchWords {
		t.Errorf("a long query kept %d words, want %d", n, maxSearchWords)
	}
}

func TestCursor(t *testing.T) {
	c := encodeCursor("2023-11-24", 42)
	k, ok, err := decodeCursor(c)
	if err != nil || !ok || k.K != "2023-11-24" || k.ID != 42 {
		t.Fatalf("round trip: %+v %v %v", k, ok, err)
	}
	for _, bad := range []string{"!!!", "e30", "bm90IGpzb24", encodeCursor("x", 0)} {
		_, _, err := decodeCursor(bad)
		wantCode(t, err, domain.EInvalid)
		if domain.ErrorMessage(err) != "invalid cursor" {
			t.Errorf("message %q", domain.ErrorMessage(err))
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Run("missing data dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nope")
		_, err := Open(ctx, Config{Dir: dir, Key: randomKey(t)})
		wantCode(t, err, domain.EInvalid)
		if want := "data directory " + dir + " does not exist"; domain.ErrorMessage(err) != want {
			t.Fatalf("message %q, want %q", domain.ErrorMessage(err), want)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		mustOK(t, os.WriteFile(f, nil, 0o600))
		_, err := Open(ctx, Config{Dir: f, Key: randomKey(t)})
		wantCode(t, err, domain.EInvalid)
		if !strings.Contains(domain.ErrorMessage(err), "is not a directory") {
			t.Fatalf("message %q", domain.ErrorMessage(err))
		}
	})
	t.Run("bad key size", func(t *testing.T) {
		_, err := Open(ctx, Config{Dir: t.TempDir(), Key: []byte("short")})
		wantCode(t, err, domain.EInvalid)
	})
	t.Run("bad url", func(t *testing.T) {
		_, err := Open(ctx, Config{DatabaseURL: "mysql://user:secret@host/db"})
		wantCode(t, err, domain.EInvalid)
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("the error repeats the password: %v", err)
		}
	})
	t.Run("read-only data dir", func(t *testing.T) {
		dir := t.TempDir()
		mustOK(t, os.Chmod(dir, 0o500))
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		s, err := Open(ctx, Config{Dir: dir, Key: randomKey(t)})
		if os.Geteuid() == 0 {
			// Root writes through permission bits, so the directory is in
			// fact writable and the store must open and work normally.
			t.Log("running as root: mode 0500 does not stop root, so the store is expected to open")
			mustOK(t, err)
			defer s.Close()
			mustOK(t, s.CreateTestimony(ctx, newTestimony("2024-01-01", "root can write")))
			return
		}
		wantCode(t, err, domain.EInvalid)
		if want := "data directory " + dir + " is not writable"; domain.ErrorMessage(err) != want {
			t.Fatalf("message %q, want %q", domain.ErrorMessage(err), want)
		}
		if _, err := os.Stat(filepath.Join(dir, DBFile)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a database file was created in a read-only directory: %v", err)
		}
	})
}

// filesContain reports which files under dir contain marker.
func filesContain(t *testing.T, dir string, marker []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, marker) {
			hits = append(hits, filepath.Base(p))
		}
		return nil
	})
	mustOK(t, err)
	return hits
}

func TestEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	key := randomKey(t)
	s := openSQLiteAt(t, dir, key)
	const marker = "MARKER-q7Zr2-handcuffed-граница"
	te := newTestimony("2024-01-05", "The narrator said "+marker+" twice.")
	te.Narrator.Pseudonym = marker
	mustOK(t, s.CreateTestimony(ctx, te))
	in := newIncident("2024-01-05", marker)
	mustOK(t, s.CreateIncident(ctx, in))

	// While open, the text sits in the WAL; after close, in the main file.
	if hits := filesContain(t, dir, []byte(marker)); len(hits) > 0 {
		t.Fatalf("plain text found in %v while open", hits)
	}
	mustOK(t, s.Close())
	entries, _ := os.ReadDir(dir)
	if len(entries) == 0 {
		t.Fatal("no database file written")
	}
	if hits := filesContain(t, dir, []byte(marker)); len(hits) > 0 {
		t.Fatalf("plain text found in %v after close", hits)
	}
	if hits := filesContain(t, dir, []byte("SQLite format 3")); len(hits) > 0 {
		t.Fatalf("an unencrypted SQLite header found in %v", hits)
	}
	for _, k := range [][]byte{key, []byte(hex.EncodeToString(key))} {
		if hits := filesContain(t, dir, k); len(hits) > 0 {
			t.Fatalf("the key was written to %v", hits)
		}
	}

	// Reopened with the key, the record is there and searchable.
	s2 := openSQLiteAt(t, dir, key)
	got, _, err := s2.ListTestimonies(ctx, TestimonyFilter{Query: "handcuffed"}, domain.Page{})
	mustOK(t, err)
	if len(got) != 1 || got[0].Narrative != te.Narrative {
		t.Fatalf("after reopening: %+v", got)
	}
}

// TestMarkerCheckSeesPlainText shows that the check in TestEncryptedAtRest
// would find the marker if the database were not encrypted.
func TestMarkerCheckSeesPlainText(t *testing.T) {
	dir := t.TempDir()
	db, err := driver.Open("file:" + filepath.Join(dir, "plain.db"))
	mustOK(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, `CREATE TABLE x (v TEXT); INSERT INTO x VALUES ('MARKER-plain')`)
	mustOK(t, err)
	if hits := filesContain(t, dir, []byte("MARKER-plain")); len(hits) == 0 {
		t.Fatal("the marker check does not see plain text")
	}
}

func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	mustOK(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		mustOK(t, err)
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}

func TestWrongKey(t *testing.T) {
	dir := t.TempDir()
	key := randomKey(t)
	s := openSQLiteAt(t, dir, key)
	mustOK(t, s.CreateTestimony(ctx, newTestimony("2024-01-05", "kept safe")))
	mustOK(t, s.Close())
	before := dirState(t, dir)

	_, err := Open(ctx, Config{Dir: dir, Key: randomKey(t)})
	wantCode(t, err, domain.EUnauthorized)
	if want := "cannot open the database: wrong key or not a Vigil database"; domain.ErrorMessage(err) != want {
		t.Fatalf("message %q, want %q", domain.ErrorMessage(err), want)
	}
	same(t, "files after a wrong key", dirState(t, dir), before)

	// The right key still opens it, with the data intact.
	s2 := openSQLiteAt(t, dir, key)
	got, _, err := s2.ListTestimonies(ctx, TestimonyFilter{}, domain.Page{})
	mustOK(t, err)
	if len(got) != 1 || got[0].Narrative != "kept safe" {
		t.Fatalf("after the wrong key: %+v", got)
	}
}

func TestNotAVigilDatabase(t *testing.T) {
	dir := t.TempDir()
	junk := make([]byte, 8192)
	rand.Read(junk)
	mustOK(t, os.WriteFile(filepath.Join(dir, DBFile), junk, 0o600))
	_, err := Open(ctx, Config{Dir: dir, Key: randomKey(t)})
	wantCode(t, err, domain.EUnauthorized)
	b, _ := os.ReadFile(filepath.Join(dir, DBFile))
	if !bytes.Equal(b, junk) {
		t.Fatal("the file was changed")
	}
}

func TestDialect(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		want := "sqlite"
		if s.r == s.w {
			want = "postgres"
		}
		if s.Dialect() != want {
			t.Fatalf("Dialect() = %q, want %q", s.Dialect(), want)
		}
		if s.DB() == nil {
			t.Fatal("DB() is nil")
		}
	})
}

func TestWithTx(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u := newUser("txuser")
		mustOK(t, s.CreateUser(ctx, u))
		boom := errors.New("boom")
		err := s.WithTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, s.Rebind(`UPDATE users SET display_name = ? WHERE id = ?`), "changed", u.ID); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want the function's error", err)
		}
		got, err := s.GetUser(ctx, u.ID)
		mustOK(t, err)
		if got.DisplayName != u.DisplayName {
			t.Fatal("a failed transaction was committed")
		}
		mustOK(t, s.WithTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, s.Rebind(`UPDATE users SET display_name = ? WHERE id = ?`), "changed", u.ID)
			return err
		}))
		got, _ = s.GetUser(ctx, u.ID)
		if got.DisplayName != "changed" {
			t.Fatal("the transaction was not committed")
		}
	})
}

// checkTextIndex asks FTS5 to compare its index with the records, which
// catches any write path that forgot to index or de-index text. PostgreSQL
// derives its index from the row, so there is nothing to check.
func checkTextIndex(t *testing.T, s *Store) {
	t.Helper()
	if s.Dialect() != "sqlite" {
		return
	}
	for table := range ftsColumns {
		if _, err := s.w.ExecContext(ctx, `INSERT INTO `+table+`_fts (`+table+`_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Fatalf("%s full-text index does not match the records: %v", table, err)
		}
	}
}
