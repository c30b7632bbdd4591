package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/app"
	"vigil/internal/domain"
	"vigil/internal/evidence"
	"vigil/internal/service"
	"vigil/internal/store"
)

// secured adds what the instance key protects besides the database: an
// evidence file with its sealed record, and a two-factor secret. It
// returns what must read back after a rotation.
type secured struct {
	content  []byte
	private  evidence.Private
	attachID int64
	totp     string
}

func addSecured(t *testing.T, in instance) secured {
	t.Helper()
	ctx := context.Background()
	key, err := app.ReadKeyFile(in.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(ctx, app.Config{DataDir: in.dir, Key: key, DatabaseURL: in.dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := evidence.OpenBlobs(in.dir, key)
	if err != nil {
		t.Fatal(err)
	}
	s := secured{content: []byte("%PDF-1.4 a statement, signed"), private: evidence.Private{Name: "statement-of-A.pdf"}}
	name, sum, _, err := blobs.Put(s.content)
	if err != nil {
		t.Fatal(err)
	}
	stripped, ssum, _, err := blobs.Put([]byte("%PDF-1.4 a statement"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := blobs.Seal(s.private, evidence.HexSum(sum))
	if err != nil {
		t.Fatal(err)
	}
	a := store.Attachment{TestimonyID: 1, SHA256: evidence.HexSum(sum), MediaType: "application/pdf", Size: int64(len(s.content)),
		Blob: name, StrippedSHA256: evidence.HexSum(ssum), StrippedSize: 20, StrippedBlob: stripped, Private: sealed, CreatedBy: 1}
	if err := st.CreateAttachment(ctx, &a); err != nil {
		t.Fatal(err)
	}
	s.attachID = a.ID
	if _, err := st.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	svc := service.New(st)
	svc.MasterKey, svc.DataDir = key, in.dir
	admin, err := st.GetUserByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.BeginMFAEnrolment(ctx, domain.Actor{UserID: admin.ID, Role: admin.Role})
	if err != nil {
		t.Fatal(err)
	}
	s.totp = e.SecretText
	return s
}

// checkSecured reads the evidence file, its record and the two-factor
// secret back with the instance's current key.
func checkSecured(t *testing.T, in instance, want secured) {
	t.Helper()
	ctx := context.Background()
	key, err := app.ReadKeyFile(in.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(ctx, app.Config{DataDir: in.dir, Key: key, DatabaseURL: in.dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.GetAttachment(ctx, want.attachID)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := evidence.OpenBlobs(in.dir, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := blobs.Open(a.Blob)
	if err != nil {
		t.Fatalf("the evidence file does not open with the new key: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, want.content) {
		t.Fatalf("the evidence file reads back as %q (%v)", got, err)
	}
	p, err := blobs.Unseal(a.Private, a.SHA256)
	if err != nil || p.Name != want.private.Name {
		t.Fatalf("the attachment record: %+v %v", p, err)
	}
	svc := service.New(st)
	svc.MasterKey, svc.DataDir = key, in.dir
	admin, _ := st.GetUserByUsername(ctx, "admin")
	e, err := svc.CurrentEnrolment(ctx, domain.Actor{UserID: admin.ID, Role: admin.Role})
	if err != nil || e.SecretText != want.totp {
		t.Fatalf("the two-factor secret after rotation: %v", err)
	}
}

// withoutKeyed leaves out the tables whose content the key protects and
// a rotation therefore rewrites.
func withoutKeyed(d map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range d {
		switch k {
		case "audit_log", "audit_head", "audit_checkpoints", "attachments", "user_mfa":
		default:
			out[k] = v
		}
	}
	return out
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestKeyRotateSQLite(t *testing.T) {
	in := newInstance(t, "")
	want := addSecured(t, in)
	oldKey := fileSum(t, in.keyFile)
	before := withoutKeyed(dumpTables(t, in))
	oldCopy := filepath.Join(t.TempDir(), "old.key")
	raw, _ := os.ReadFile(in.keyFile)
	os.WriteFile(oldCopy, raw, 0o600)

	code, out, errs := run(t, in.env(), "key", "rotate", "--data", in.dir)
	if code != 0 || !strings.Contains(out, "new key") || !strings.Contains(out, "1 two-factor secrets") || !strings.Contains(out, "2 evidence files") {
		t.Fatalf("key rotate: %d %q %q", code, out, errs)
	}
	if !strings.Contains(out, "3 files under blobs that no record refers to were left out") {
		t.Fatalf("the unreferenced files were not reported: %q", out)
	}
	if fileSum(t, in.keyFile) == oldKey {
		t.Fatal("the key file still holds the old key")
	}
	// Everything reads back under the new key, and the chain verifies.
	if after := withoutKeyed(dumpTables(t, in)); len(after) != len(before) {
		t.Fatalf("%d tables, then %d", len(before), len(after))
	} else {
		for name, b := range before {
			if !bytes.Equal(b, after[name]) {
				t.Errorf("table %s changed", name)
			}
		}
	}
	checkSecured(t, in, want)
	rep := verifyAudit(t, in)
	if rep.LatestCheckpoint == nil {
		t.Fatal("the rotation lost the audit checkpoints")
	}
	// The old key opens nothing any more.
	code, _, errs = run(t, map[string]string{"VIGIL_KEY_FILE": oldCopy}, "user", "list", "--data", in.dir)
	if code != 1 || !strings.Contains(errs, "wrong key") {
		t.Fatalf("the old key after rotation: %d %q", code, errs)
	}
	// Nothing of the rotation is left behind.
	for _, p := range []string{filepath.Join(in.dir, ".rotate-new"), filepath.Join(in.dir, ".rotate-old"), filepath.Join(in.dir, app.RotationMarker),
		in.keyFile + ".new", in.keyFile + ".old"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was left behind", p)
		}
	}
	// And it can be done again.
	if code, _, errs := run(t, in.env(), "key", "rotate", "--data", in.dir); code != 0 {
		t.Fatalf("second rotation: %s", errs)
	}
	checkSecured(t, in, want)
	verifyAudit(t, in)
}

func TestKeyRotateWrongKeyChangesNothing(t *testing.T) {
	in := newInstance(t, "")
	addSecured(t, in)
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	before, keyBefore := snapshot(t, in.dir), snapshot(t, filepath.Dir(in.keyFile))
	for _, args := range [][]string{
		{"key", "rotate", "--data", in.dir, "--key-file", bad},
		{"key", "rotate", "--data", in.dir, "--key-file", bad, "--new-key-file", filepath.Join(t.TempDir(), "new.key")},
	} {
		code, _, errs := run(t, nil, args...)
		if code != 1 || !strings.Contains(errs, "wrong key") {
			t.Fatalf("%v: %d %q", args, code, errs)
		}
	}
	if snapshot(t, in.dir) != before {
		t.Fatal("a rotation with a wrong key changed the data directory")
	}
	if snapshot(t, filepath.Dir(in.keyFile)) != keyBefore {
		t.Fatal("a rotation with a wrong key changed the key's folder")
	}
	if _, err := os.Stat(bad + ".new"); err == nil {
		t.Fatal("a rotation with a wrong key wrote a new key")
	}
}

func TestKeyRotateRefusesARunningServer(t *testing.T) {
	in := newInstance(t, "")
	key, _ := app.ReadKeyFile(in.keyFile)
	srv, err := app.Run(context.Background(), app.Config{DataDir: in.dir, Key: key, Addr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	keyBefore := fileSum(t, in.keyFile)
	code, _, errs := run(t, in.env(), "key", "rotate", "--data", in.dir)
	srv.Close()
	if code != 1 || !strings.Contains(errs, "in use") {
		t.Fatalf("rotation under a running server: %d %q", code, errs)
	}
	if fileSum(t, in.keyFile) != keyBefore {
		t.Fatal("the refused rotation changed the key")
	}
	verifyAudit(t, in)
}

func TestKeyRotateToANewFileAndFromAPassphrase(t *testing.T) {
	in := newInstance(t, "")
	want := addSecured(t, in)
	oldKey := fileSum(t, in.keyFile)
	newFile := filepath.Join(t.TempDir(), "keys", "new.key")
	if code, _, errs := run(t, in.env(), "key", "rotate", "--data", in.dir, "--new-key-file", filepath.Join(in.dir, "k")); code != 1 || !strings.Contains(errs, "inside the data directory") {
		t.Fatalf("new key inside the data: %d %q", code, errs)
	}
	code, out, errs := run(t, in.env(), "key", "rotate", "--data", in.dir, "--new-key-file", newFile)
	if code != 0 || !strings.Contains(out, "destroy the old file") {
		t.Fatalf("rotate to a new file: %d %q %q", code, out, errs)
	}
	if fileSum(t, in.keyFile) != oldKey {
		t.Fatal("the old key file was changed although a new file was given")
	}
	if code, _, errs := run(t, in.env(), "key", "rotate", "--data", in.dir, "--new-key-file", newFile+"2"); code != 1 || !strings.Contains(errs, "wrong key") {
		t.Fatalf("the old key after rotation: %d %q", code, errs)
	}
	in.keyFile = newFile
	checkSecured(t, in, want)
	verifyAudit(t, in)

	// A passphrase instance moves to a key file.
	pdir := filepath.Join(t.TempDir(), "p")
	penv := map[string]string{"VIGIL_PASSPHRASE": "correct horse battery staple"}
	if code, _, errs := run(t, penv, "init", "--data", pdir); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := run(t, penv, "key", "rotate", "--data", pdir); code != 1 || !strings.Contains(errs, "--new-key-file") {
		t.Fatalf("rotate a passphrase key in place: %d %q", code, errs)
	}
	pkey := filepath.Join(t.TempDir(), "p.key")
	if code, out, errs := run(t, penv, "key", "rotate", "--data", pdir, "--new-key-file", pkey); code != 0 || !strings.Contains(out, "VIGIL_PASSPHRASE no longer opens") {
		t.Fatalf("rotate a passphrase key: %d %q %q", code, out, errs)
	}
	if code, out, errs := run(t, map[string]string{"VIGIL_KEY_FILE": pkey}, "user", "list", "--data", pdir); code != 0 || !strings.Contains(out, "admin") {
		t.Fatalf("open with the new key file: %d %q %q", code, out, errs)
	}
}

func TestKeyRotateRefusesAfterAnInterruptedOne(t *testing.T) {
	in := newInstance(t, "")
	os.WriteFile(filepath.Join(in.dir, app.RotationMarker), []byte("..."), 0o600)
	code, _, errs := run(t, in.env(), "key", "rotate", "--data", in.dir)
	if code != 1 || !strings.Contains(errs, "interrupted") {
		t.Fatalf("rotate after an interrupted rotation: %d %q", code, errs)
	}
	os.Remove(filepath.Join(in.dir, app.RotationMarker))
	os.WriteFile(in.keyFile+".new", []byte("x"), 0o600)
	code, _, errs = run(t, in.env(), "key", "rotate", "--data", in.dir)
	if code != 1 || !strings.Contains(errs, "may need that key") {
		t.Fatalf("rotate with a pending key left over: %d %q", code, errs)
	}
	if b, _ := os.ReadFile(in.keyFile + ".new"); string(b) != "x" {
		t.Fatal("a left-over key file was touched")
	}
}

func TestKeyRotatePostgres(t *testing.T) {
	pgURL := pgSchemaURL(t)
	in := newInstance(t, pgURL)
	want := addSecured(t, in)
	before := withoutKeyed(dumpTables(t, in))
	oldCopy := filepath.Join(t.TempDir(), "old.key")
	raw, _ := os.ReadFile(in.keyFile)
	os.WriteFile(oldCopy, raw, 0o600)
	// The test database is shared with other tests, so other sessions are
	// connected: the command refuses unless told they are no Vigil servers.
	if code, _, errs := run(t, in.env(), "key", "rotate", "--data", in.dir); code != 1 || !strings.Contains(errs, "--force") {
		t.Logf("without --force: %d %q (no other sessions at this moment)", code, errs)
	}
	// A file that does not decrypt stops the rotation after the audit
	// chain was resealed in place: the chain is moved back to the old key.
	blobs := filepath.Join(in.dir, app.BlobDir)
	var victim string
	filepath.WalkDir(blobs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && len(d.Name()) == 64 {
			victim = p
		}
		return nil
	})
	good, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)-5] ^= 1
	os.WriteFile(victim, bad, 0o600)
	code, _, errs := run(t, in.env(), "key", "rotate", "--data", in.dir, "--force")
	if code != 1 || !strings.Contains(errs, "does not decrypt") {
		t.Fatalf("rotation over a damaged file: %d %q", code, errs)
	}
	os.WriteFile(victim, good, 0o600)
	verifyAudit(t, in) // under the old key
	checkSecured(t, in, want)
	if _, err := os.Stat(filepath.Join(in.dir, app.RotationMarker)); err == nil {
		t.Fatal("the undone rotation left its marker")
	}

	code, out, errs := run(t, in.env(), "key", "rotate", "--data", in.dir, "--force")
	if code != 0 || !strings.Contains(out, "The audit chain, 2 evidence files") {
		t.Fatalf("key rotate on PostgreSQL: %d %q %q", code, out, errs)
	}
	after := withoutKeyed(dumpTables(t, in))
	for name, b := range before {
		if !bytes.Equal(b, after[name]) {
			t.Errorf("table %s changed", name)
		}
	}
	checkSecured(t, in, want)
	verifyAudit(t, in)
	// The old key is refused, and the refusal changes nothing.
	code, _, errs = run(t, map[string]string{"VIGIL_KEY_FILE": oldCopy, "VIGIL_DATABASE_URL": pgURL}, "key", "rotate", "--data", in.dir, "--force")
	if code != 1 || !strings.Contains(errs, "does not verify with this key") {
		t.Fatalf("rotation with the old key: %d %q", code, errs)
	}
	verifyAudit(t, in)
	checkSecured(t, in, want)
}

// TestKeyRotateStopsOnADamagedFile: a file that does not decrypt stops the
// rotation before anything is moved, and the instance stays as it was.
func TestKeyRotateStopsOnADamagedFile(t *testing.T) {
	in := newInstance(t, "")
	want := addSecured(t, in)
	keyBefore := fileSum(t, in.keyFile)
	before := dumpTables(t, in)
	// Damage the stripped copy (the original must stay readable for the check below).
	key, _ := app.ReadKeyFile(in.keyFile)
	st, err := app.OpenStore(context.Background(), app.Config{DataDir: in.dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.GetAttachment(context.Background(), want.attachID)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(in.dir, app.BlobDir, a.StrippedBlob[:2], a.StrippedBlob)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-5] ^= 1
	os.WriteFile(p, b, 0o600)

	code, _, errs := run(t, in.env(), "key", "rotate", "--data", in.dir)
	if code != 1 || !strings.Contains(errs, "does not decrypt") {
		t.Fatalf("rotation over a damaged file: %d %q", code, errs)
	}
	if fileSum(t, in.keyFile) != keyBefore {
		t.Fatal("the failed rotation changed the key file")
	}
	for _, p := range []string{filepath.Join(in.dir, ".rotate-new"), filepath.Join(in.dir, app.RotationMarker), in.keyFile + ".new"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("the failed rotation left %s behind", p)
		}
	}
	after := dumpTables(t, in)
	for name, d := range before {
		if !bytes.Equal(d, after[name]) {
			t.Errorf("the failed rotation changed table %s", name)
		}
	}
	checkSecured(t, in, want)
	verifyAudit(t, in)
}
