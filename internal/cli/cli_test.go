package cli

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the CLI in-process with its own environment.
func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), Env{Args: args, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range commands() {
		args := []string{c.name, "--help"}
		code, out, errs := run(t, nil, args...)
		if code != 0 || !strings.Contains(out, "Usage: vigil "+c.name) {
			t.Errorf("%v: code %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	for _, args := range [][]string{{"user", "add", "--help"}, {"user", "list", "--help"}, {"user", "disable", "--help"}, {"token", "create", "--help"}, {"migrate", "status", "--help"}} {
		if code, out, _ := run(t, nil, args...); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: code %d, %q", args, code, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"serve", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"serve"}, 2, "--data"},
		{[]string{"serve", "--data", "/nonexistent/vigil"}, 1, "does not exist"},
		{[]string{"user"}, 2, "subcommand"},
		{[]string{"token", "create", "--data", "x"}, 2, "--user"},
		{[]string{"gen", "--incidents", "-1"}, 2, "negative"},
	} {
		code, _, errs := run(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: code %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, errs, tc.msg)
		}
	}
}

func TestInitUserTokenMigrate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	keyFile := filepath.Join(t.TempDir(), "k.key")
	code, out, errs := run(t, nil, "init", "--data", dir, "--key-file", keyFile)
	if code != 0 || !strings.Contains(out, "Created administrator \"admin\"") {
		t.Fatalf("init: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, nil, "init", "--data", dir, "--key-file", keyFile+"2"); code == 0 || !strings.Contains(errs, "not empty") {
		t.Fatalf("second init into the same folder: %d %q", code, errs)
	}
	inside := filepath.Join(t.TempDir(), "d2")
	if code, _, errs := run(t, nil, "init", "--data", inside, "--key-file", filepath.Join(inside, "k")); code == 0 || !strings.Contains(errs, "inside the data directory") {
		t.Fatalf("key inside data: %d %q", code, errs)
	}
	env := map[string]string{"VIGIL_KEY_FILE": keyFile}
	if code, out, errs := run(t, env, "user", "add", "--data", dir, "--username", "mona", "--role", "monitor"); code != 0 || !strings.Contains(out, "Created mona") {
		t.Fatalf("user add: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, env, "user", "add", "--data", dir, "--username", "x", "--role", "boss"); code != 1 || !strings.Contains(errs, "role") {
		t.Fatalf("bad user add: %d %q", code, errs)
	}
	code, out, _ = run(t, env, "token", "create", "--data", dir, "--user", "admin")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "vgl_") {
		t.Fatalf("token create: %d %q", code, out)
	}
	if code, out, _ := run(t, env, "migrate", "status", "--data", dir); code != 0 || !strings.Contains(out, "0001") || strings.Contains(out, "pending") {
		t.Fatalf("migrate status: %d %q", code, out)
	}
	if code, out, _ := run(t, env, "user", "disable", "--data", dir, "--username", "mona"); code != 0 || !strings.Contains(out, "Disabled mona") {
		t.Fatalf("disable: %d %q", code, out)
	}
	if code, out, _ := run(t, env, "user", "list", "--data", dir); code != 0 || !strings.Contains(out, "mona") || !strings.Contains(out, "disabled") {
		t.Fatalf("list: %d %q", code, out)
	}
	// A wrong key is refused and leaves the database as it was.
	before := snapshot(t, dir)
	bad := filepath.Join(t.TempDir(), "bad.key")
	_ = os.WriteFile(bad, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	code, _, errs = run(t, map[string]string{"VIGIL_KEY_FILE": bad}, "user", "list", "--data", dir)
	if code != 1 || !strings.Contains(errs, "wrong key") {
		t.Fatalf("wrong key: %d %q", code, errs)
	}
	if after := snapshot(t, dir); after != before {
		t.Fatal("opening with a wrong key changed the data directory")
	}
}

func TestGenAddsRecords(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "k.key")
	if code, _, errs := run(t, nil, "init", "--data", dir, "--key-file", keyFile); code != 0 {
		t.Fatal(errs)
	}
	env := map[string]string{"VIGIL_KEY_FILE": keyFile}
	code, out, errs := run(t, env, "gen", "--data", dir, "--incidents", "300", "--testimonies", "500", "--batch", "128", "--seed", "7")
	if code != 0 || !strings.Contains(out, "Added 300 incidents and 500 testimonies") {
		t.Fatalf("gen: %d %q %q", code, out, errs)
	}
}

// snapshot summarises a folder's files (names, sizes and contents).
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		b.WriteString(p + "\n" + string(data))
		return nil
	})
	return b.String()
}
