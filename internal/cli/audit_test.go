package cli

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/app"
	"vigil/internal/store"
)

// tamper runs SQL straight against an instance's database, as someone with
// the database but without the audit key could.
func tamper(t *testing.T, dir, keyFile, dbURL string, queries ...string) {
	t.Helper()
	key, err := app.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Config{Dir: dir, Key: key, DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, q := range queries {
		if _, err := st.DB().Exec(st.Rebind(q)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	if code, _, errs := run(t, nil, "audit"); code != 2 || !strings.Contains(errs, "subcommand") {
		t.Fatalf("audit without a subcommand: %d %q", code, errs)
	}
	if code, _, errs := run(t, nil, "audit", "verify"); code != 2 || !strings.Contains(errs, "--data") {
		t.Fatalf("verify without --data: %d %q", code, errs)
	}
	verifyInstance(t, "")
}

// TestAuditVerifyCommandPostgres runs the same on PostgreSQL when
// TEST_POSTGRES_URL is set: the records are in the database, the key in the
// key file beside a data directory.
func TestAuditVerifyCommandPostgres(t *testing.T) {
	base := os.Getenv("TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("TEST_POSTGRES_URL is not set")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_cli_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	verifyInstance(t, u.String())
}

// verifyInstance makes an instance (SQLite, or PostgreSQL at dbURL) with a
// few entries and checks `vigil audit verify` on it as it is and after
// each kind of tampering.
func verifyInstance(t *testing.T, dbURL string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	keyFile := filepath.Join(t.TempDir(), "k.key")
	env := map[string]string{"VIGIL_DATABASE_URL": dbURL}
	if code, _, errs := run(t, env, "init", "--data", dir, "--key-file", keyFile); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	env["VIGIL_KEY_FILE"] = keyFile
	for _, name := range []string{"mona", "lena", "kari"} {
		if code, _, errs := run(t, env, "user", "add", "--data", dir, "--username", name, "--role", "monitor"); code != 0 {
			t.Fatalf("user add: %s", errs)
		}
	}
	if code, _, errs := run(t, env, "gen", "--data", dir, "--incidents", "20", "--testimonies", "30", "--batch", "10", "--seed", "3"); code != 0 {
		t.Fatalf("gen: %s", errs)
	}
	code, out, errs := run(t, env, "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "Audit chain intact") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	code, out, errs = run(t, env, "audit", "checkpoint", "--data", dir)
	if code != 0 || !strings.Contains(out, "Checkpoint at entry") {
		t.Fatalf("checkpoint: %d %q %q", code, out, errs)
	}
	if code, out, _ := run(t, env, "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "Signed checkpoints: 1") {
		t.Fatalf("verify after the checkpoint: %d %q", code, out)
	}

	for _, tc := range []struct {
		name    string
		queries []string
		undo    []string
		want    string
	}{
		{"altered", []string{`UPDATE audit_log SET actor_id = 77 WHERE seq = 2`}, []string{`UPDATE audit_log SET actor_id = 0 WHERE seq = 2`},
			"entry 2 was altered"},
		{"reordered", []string{`UPDATE audit_log SET seq = -1 WHERE seq = 3`, `UPDATE audit_log SET seq = 3 WHERE seq = 4`, `UPDATE audit_log SET seq = 4 WHERE seq = -1`},
			[]string{`UPDATE audit_log SET seq = -1 WHERE seq = 3`, `UPDATE audit_log SET seq = 3 WHERE seq = 4`, `UPDATE audit_log SET seq = 4 WHERE seq = -1`},
			"entry 3 is out of order"},
		{"missing", []string{`DELETE FROM audit_log WHERE seq = 5`}, nil, "entry 5 is missing"},
	} {
		tamper(t, dir, keyFile, dbURL, tc.queries...)
		code, out, errs := run(t, env, "audit", "verify", "--data", dir)
		if code != 1 || !strings.Contains(errs, tc.want) || !strings.Contains(out, "BROKEN") {
			t.Fatalf("%s: code %d, stdout %q, stderr %q; want exit 1 naming %q", tc.name, code, out, errs, tc.want)
		}
		if tc.undo != nil {
			tamper(t, dir, keyFile, dbURL, tc.undo...)
			if code, out, _ := run(t, env, "audit", "verify", "--data", dir); code != 0 {
				t.Fatalf("%s undone: %d %q", tc.name, code, out)
			}
		}
	}
}

// TestDemoInstanceVerifies: `vigil audit verify` finds the demo key beside
// the demo data, and the scenario's chain is intact.
func TestDemoInstanceVerifies(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	startDemo(t, dir)
	code, out, errs := run(t, nil, "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "Audit chain intact") {
		t.Fatalf("verify on the demo: %d %q %q", code, out, errs)
	}
	if strings.Contains(out, "Record versions checked against their entries: 0.") {
		t.Fatalf("the demo has no record versions: %q", out)
	}
}
