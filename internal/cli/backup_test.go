package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	_ "github.com/jackc/pgx/v5/stdlib"

	"vigil/internal/app"
	"vigil/internal/store"
)

// instance is a Vigil instance made for a test through the CLI.
type instance struct {
	dir, keyFile, dbURL string
}

func (in instance) env() map[string]string {
	return map[string]string{"VIGIL_KEY_FILE": in.keyFile, "VIGIL_DATABASE_URL": in.dbURL}
}

// newInstance runs init and gen, and puts a few evidence files in place:
// the blob store is opaque to backups, so any bytes will do.
func newInstance(t *testing.T, dbURL string) instance {
	t.Helper()
	in := instance{dir: filepath.Join(t.TempDir(), "data"), keyFile: filepath.Join(t.TempDir(), "vigil.key"), dbURL: dbURL}
	if code, _, errs := run(t, map[string]string{"VIGIL_DATABASE_URL": dbURL}, "init", "--data", in.dir, "--key-file", in.keyFile); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	if code, _, errs := run(t, in.env(), "gen", "--data", in.dir, "--incidents", "150", "--testimonies", "250", "--seed", "3"); code != 0 {
		t.Fatalf("gen: %s", errs)
	}
	blobs := filepath.Join(in.dir, app.BlobDir)
	random := make([]byte, 200_000)
	rand.Read(random)
	for name, content := range map[string][]byte{"ab/cd/0123abcd": random, "ff/00/empty": {}, "ff/01/small": []byte("evidence")} {
		p := filepath.Join(blobs, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

// ageIdentity makes an age identity file and returns its path and public key.
func ageIdentity(t *testing.T) (file, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "backup-identity.txt")
	if err := os.WriteFile(file, []byte("# created: for a test\n# public key: "+id.Recipient().String()+"\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, id.Recipient().String()
}

// dumpTables reads every table of an instance as the backup sees it.
func dumpTables(t *testing.T, in instance) map[string][]byte {
	t.Helper()
	key, err := app.ReadKeyFile(in.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(context.Background(), app.Config{DataDir: in.dir, Key: key, DatabaseURL: in.dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]byte{}
	err = st.Snapshot(context.Background(), func(sn *store.Snapshot) error {
		for _, tb := range sn.Tables() {
			var b bytes.Buffer
			if _, err := sn.DumpTable(context.Background(), tb.Name, &b); err != nil {
				return err
			}
			out[tb.Name] = b.Bytes()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func verifyAudit(t *testing.T, in instance) store.AuditReport {
	t.Helper()
	key, err := app.ReadKeyFile(in.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(context.Background(), app.Config{DataDir: in.dir, Key: key, DatabaseURL: in.dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := st.VerifyAudit(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("audit chain of %s: %v %+v", in.dir, err, rep)
	}
	return rep
}

// sameData compares two SQLite instances table by table. The restored
// audit log goes on where the original's ends (the restore is audited).
func sameData(t *testing.T, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d tables, then %d", len(a), len(b))
	}
	for name, da := range a {
		db, ok := b[name]
		switch {
		case !ok:
			t.Errorf("table %s is missing", name)
		case name == "audit_head":
		case name == "audit_log":
			if !bytes.HasPrefix(db, da) || len(db) == len(da) {
				t.Errorf("the restored audit log does not continue the original")
			}
		case !bytes.Equal(da, db):
			t.Errorf("table %s differs", name)
		}
	}
}

func sameBlobs(t *testing.T, a, b string) {
	t.Helper()
	if sa, sb := blobList(t, a), blobList(t, b); sa != sb || sa == "" {
		t.Fatalf("evidence files differ:\n%s\n%s", sa, sb)
	}
}

// blobList lists the regular files under DIR/blobs with their SHA-256.
func blobList(t *testing.T, dir string) string {
	t.Helper()
	root := filepath.Join(dir, app.BlobDir)
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(&b, "%s %x\n", rel, sum[:8])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// noTrace checks that a failed restore left nothing behind.
func noTrace(t *testing.T, newDir, keyFile string) {
	t.Helper()
	if _, err := os.Stat(newDir); err == nil {
		t.Errorf("a failed restore left %s behind", newDir)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Errorf("a failed restore left the key file %s behind", keyFile)
	}
	entries, _ := os.ReadDir(filepath.Dir(newDir))
	for _, e := range entries {
		if strings.Contains(e.Name(), "restoring") {
			t.Errorf("a failed restore left %s behind", e.Name())
		}
	}
}

// addSession signs someone in on the instance: sessions are never part
// of a restored instance.
func addSession(t *testing.T, in instance) {
	t.Helper()
	key, err := app.ReadKeyFile(in.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(context.Background(), app.Config{DataDir: in.dir, Key: key, DatabaseURL: in.dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.CreateSession(context.Background(), store.Session{TokenHash: []byte("a session of the old instance"), UserID: 1,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func countSessions(t *testing.T, in instance) int {
	t.Helper()
	key, err := app.ReadKeyFile(in.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(context.Background(), app.Config{DataDir: in.dir, Key: key, DatabaseURL: in.dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRow("SELECT count(*) FROM sessions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackupAndRestoreSQLite backs up an SQLite instance as its database
// file (the default) and as rows (--logical), and restores each.
func TestBackupAndRestoreSQLite(t *testing.T) {
	for _, mode := range []string{"sqlite-file", "logical"} {
		t.Run(mode, func(t *testing.T) { testBackupAndRestoreSQLite(t, mode == "logical") })
	}
}

func testBackupAndRestoreSQLite(t *testing.T, logical bool) {
	src := newInstance(t, "")
	want := addSecured(t, src)
	addSession(t, src)
	os.Symlink("/etc/passwd", filepath.Join(src.dir, app.BlobDir, "link"))
	idFile, recipient := ageIdentity(t)
	idFile2, recipient2 := ageIdentity(t)
	recFile := filepath.Join(t.TempDir(), "recipients.txt")
	os.WriteFile(recFile, []byte("# the second custodian\n"+recipient2+"\n"), 0o600)
	backup := filepath.Join(t.TempDir(), "vigil.age")

	args := []string{"backup", "--data", src.dir, "--to", backup, "--recipient", recipient, "--recipients-file", recFile}
	what := "the SQLite database file ("
	if logical {
		args, what = append(args, "--logical"), " tables ("
	}
	code, out, errs := run(t, src.env(), args...)
	if code != 0 || !strings.Contains(out, "Backed up") || !strings.Contains(out, "5 evidence files") || !strings.Contains(out, what) {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	if !strings.Contains(errs, "left out link: not a regular file") {
		t.Fatalf("a symbolic link among the evidence files was not reported: %q", errs)
	}
	raw, _ := os.ReadFile(backup)
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) || bytes.Contains(raw, []byte("VIGIL-BACKUP")) {
		t.Fatal("the backup is not an age file")
	}
	// Writing over an existing backup is refused.
	if code, _, errs := run(t, src.env(), "backup", "--data", src.dir, "--to", backup, "--recipient", recipient); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("backup over an existing file: %d %q", code, errs)
	}
	if code, _, errs := run(t, src.env(), "backup", "--data", src.dir, "--to", filepath.Join(src.dir, "blobs", "b.age"), "--recipient", recipient); code != 2 || !strings.Contains(errs, "outside the data directory") {
		t.Fatalf("backup into the data directory: %d %q", code, errs)
	}
	before := dumpTables(t, src)

	if code, out, errs := run(t, nil, "restore", "--from", backup, "--identity", idFile2, "--check"); code != 0 || !strings.Contains(out, "intact") || !strings.Contains(out, what) {
		t.Fatalf("restore --check: %d %q %q", code, out, errs)
	}
	for i, id := range []string{idFile, idFile2} { // either custodian can restore
		dst := instance{dir: filepath.Join(t.TempDir(), "restored"), keyFile: filepath.Join(t.TempDir(), "restored.key")}
		code, out, errs := run(t, nil, "restore", "--from", backup, "--identity", id, "--data", dst.dir, "--key-file", dst.keyFile)
		if code != 0 || !strings.Contains(out, "Restored") || !strings.Contains(out, dst.keyFile) || !strings.Contains(out, "Audit chain verified") {
			t.Fatalf("restore %d: %d %q %q", i, code, out, errs)
		}
		sameData(t, before, dumpTables(t, dst))
		sameBlobs(t, src.dir, dst.dir)
		verifyAudit(t, dst)
		checkSecured(t, dst, want)
		if n := countSessions(t, dst); n != 0 {
			t.Fatalf("the restored instance has %d sessions of the old one", n)
		}
		// It is a working instance: the CLI opens it with the key it got.
		if code, out, errs := run(t, dst.env(), "user", "list", "--data", dst.dir); code != 0 || !strings.Contains(out, "admin") {
			t.Fatalf("user list on the restored instance: %d %q %q", code, out, errs)
		}
		if i == 0 {
			// A second restore into the same, now non-empty, directory is refused.
			code, _, errs := run(t, nil, "restore", "--from", backup, "--identity", id, "--data", dst.dir, "--key-file", dst.keyFile+"2")
			if code != 1 || !strings.Contains(errs, "not empty") {
				t.Fatalf("restore into a non-empty directory: %d %q", code, errs)
			}
			if _, err := os.Stat(dst.keyFile + "2"); err == nil {
				t.Fatal("the refused restore wrote a key file")
			}
		}
	}
}

func TestRestoreRefusesDamagedBackups(t *testing.T) {
	src := newInstance(t, "")
	idFile, recipient := ageIdentity(t)
	backup := filepath.Join(t.TempDir(), "vigil.age")
	if code, _, errs := run(t, src.env(), "backup", "--data", src.dir, "--to", backup, "--recipient", recipient); code != 0 {
		t.Fatal(errs)
	}
	good, _ := os.ReadFile(backup)
	headerEnd := bytes.Index(good, []byte("\n---")) + 4
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		msg  string
	}{
		{"flipped byte in a recipient stanza", func(b []byte) []byte { b[headerEnd-20] ^= 1; return b }, "backup"},
		{"flipped byte in the header MAC", func(b []byte) []byte { b[headerEnd+2] ^= 1; return b }, "damaged"},
		{"flipped byte in the middle", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }, "damaged"},
		{"flipped byte near the end", func(b []byte) []byte { b[len(b)-3] ^= 1; return b }, "damaged"},
		{"cut by one byte", func(b []byte) []byte { return b[:len(b)-1] }, "damaged"},
		{"cut at a chunk boundary", func(b []byte) []byte { return b[:headerEnd+16+64*1024+16] }, "damaged"},
		{"cut in half", func(b []byte) []byte { return b[:len(b)/2] }, "damaged"},
		{"cut in the header", func(b []byte) []byte { return b[:headerEnd/2] }, "damaged"},
		{"extra bytes", func(b []byte) []byte { return append(b, 0) }, "damaged"},
		{"not a backup", func([]byte) []byte { return []byte("hello\n") }, "not an age-encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad.age")
			os.WriteFile(file, tc.edit(bytes.Clone(good)), 0o600)
			newDir := filepath.Join(t.TempDir(), "restored")
			keyFile := filepath.Join(t.TempDir(), "restored.key")
			code, _, errs := run(t, nil, "restore", "--from", file, "--identity", idFile, "--data", newDir, "--key-file", keyFile)
			if code != 1 || !strings.Contains(errs, tc.msg) {
				t.Fatalf("restore: %d %q (want %q)", code, errs, tc.msg)
			}
			noTrace(t, newDir, keyFile)
			if code, _, _ := run(t, nil, "restore", "--from", file, "--identity", idFile, "--check"); code != 1 {
				t.Fatal("--check passed a damaged backup")
			}
		})
	}
	t.Run("wrong identity", func(t *testing.T) {
		other, _ := ageIdentity(t)
		newDir := filepath.Join(t.TempDir(), "restored")
		keyFile := filepath.Join(t.TempDir(), "restored.key")
		code, _, errs := run(t, nil, "restore", "--from", backup, "--identity", other, "--data", newDir, "--key-file", keyFile)
		if code != 1 || !strings.Contains(errs, "cannot open this backup") {
			t.Fatalf("wrong identity: %d %q", code, errs)
		}
		noTrace(t, newDir, keyFile)
	})
}

func TestBackupUsageErrors(t *testing.T) {
	idFile, recipient := ageIdentity(t)
	notID := filepath.Join(t.TempDir(), "not-an-identity")
	os.WriteFile(notID, []byte(recipient+"\n"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"backup", "--data", "x", "--recipient", recipient}, 2, "--to"},
		{[]string{"backup", "--data", "x", "--to", "y"}, 2, "--recipient"},
		{[]string{"backup", "--data", "x", "--to", "y", "--recipient", "age1nonsense"}, 2, "not an age public key"},
		{[]string{"backup", "--data", "x", "--to", "y", "--recipient", "AGE-SECRET-KEY-1XYZ"}, 2, "not an age public key"},
		{[]string{"restore", "--from", "x"}, 2, "--identity"},
		{[]string{"restore", "--from", "x", "--identity", idFile}, 2, "--data"},
		{[]string{"restore", "--from", "x", "--identity", notID, "--data", "y"}, 1, "holds no age identity"},
		{[]string{"restore", "--from", filepath.Join(t.TempDir(), "missing"), "--identity", idFile, "--data", "y"}, 1, "cannot read the backup"},
	} {
		code, _, errs := run(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: %d %q (want %d %q)", tc.args, code, errs, tc.code, tc.msg)
		}
	}
}

// pgSchemaURL makes a PostgreSQL schema for the test and returns a URL
// that uses it, or skips the test without TEST_POSTGRES_URL (as the store
// suite does: PostgreSQL is optional on a developer's machine).
func pgSchemaURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("TEST_POSTGRES_URL is not set")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestMoveBetweenEngines moves an instance from SQLite to PostgreSQL and
// back: every row, file and audit entry comes through.
// TestMoveBetweenEngines moves an instance from SQLite to PostgreSQL and
// back, from a backup of the database file (the default) and from one of
// rows (--logical).
func TestMoveBetweenEngines(t *testing.T) {
	for _, mode := range []string{"sqlite-file", "logical"} {
		t.Run(mode, func(t *testing.T) { testMoveBetweenEngines(t, mode == "logical") })
	}
}

func testMoveBetweenEngines(t *testing.T, logical bool) {
	pgURL := pgSchemaURL(t)
	src := newInstance(t, "")
	want := addSecured(t, src)
	addSession(t, src)
	idFile, recipient := ageIdentity(t)
	b1 := filepath.Join(t.TempDir(), "1.age")
	args := []string{"backup", "--data", src.dir, "--to", b1, "--recipient", recipient}
	if logical {
		args = append(args, "--logical")
	}
	if code, _, errs := run(t, src.env(), args...); code != 0 {
		t.Fatal(errs)
	}
	before := dumpTables(t, src)

	pg := instance{dir: filepath.Join(t.TempDir(), "pg-files"), keyFile: filepath.Join(t.TempDir(), "pg.key"), dbURL: pgURL}
	code, out, errs := run(t, map[string]string{"VIGIL_DATABASE_URL": pgURL}, "restore", "--from", b1, "--identity", idFile, "--data", pg.dir, "--key-file", pg.keyFile)
	if code != 0 || !strings.Contains(out, "into PostgreSQL") || strings.Contains(out, "loaded into PostgreSQL:") == logical {
		t.Fatalf("restore into PostgreSQL: %d %q %q", code, out, errs)
	}
	if n := countSessions(t, pg); n != 0 {
		t.Fatalf("PostgreSQL has %d sessions of the old instance", n)
	}
	// Nothing is left of the temporary copy of the database file.
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(pg.dir), ".*restoring*")); len(left) > 0 {
		t.Fatalf("the restore left %v behind", left)
	}
	verifyAudit(t, pg)
	sameBlobs(t, src.dir, pg.dir)
	checkSecured(t, pg, want)
	// A second restore into the same database is refused and changes nothing.
	code, _, errs = run(t, map[string]string{"VIGIL_DATABASE_URL": pgURL}, "restore", "--from", b1, "--identity", idFile, "--data", filepath.Join(t.TempDir(), "x"), "--key-file", filepath.Join(t.TempDir(), "x.key"))
	if code != 1 || !strings.Contains(errs, "already holds Vigil data") {
		t.Fatalf("restore into a PostgreSQL database with data: %d %q", code, errs)
	}
	if n := countSessions(t, pg); n != 0 {
		t.Fatal("the refused restore changed the database")
	}

	b2 := filepath.Join(t.TempDir(), "2.age")
	if code, _, errs := run(t, pg.env(), "backup", "--data", pg.dir, "--to", b2, "--recipient", recipient); code != 0 {
		t.Fatal(errs)
	}
	back := instance{dir: filepath.Join(t.TempDir(), "back"), keyFile: filepath.Join(t.TempDir(), "back.key")}
	if code, out, errs := run(t, nil, "restore", "--from", b2, "--identity", idFile, "--data", back.dir, "--key-file", back.keyFile); code != 0 {
		t.Fatalf("restore into SQLite: %d %q %q", code, out, errs)
	}
	// SQLite → PostgreSQL → SQLite gives the same rows, byte for byte.
	sameData(t, before, dumpTables(t, back))
	sameBlobs(t, src.dir, back.dir)
	verifyAudit(t, back)
	checkSecured(t, back, want)
}
