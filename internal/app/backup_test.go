package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"vigil/internal/domain"
	"vigil/internal/store"
)

func testimony(i int, narrative string) domain.Testimony {
	t := domain.Testimony{
		ReceivedOn: domain.MustDate("2023-11-20"), Mode: "in_person", Language: "ar",
		Narrator:    domain.Narrator{Pseudonym: fmt.Sprint("N-", i), Nationality: "SY", AgeBand: "unknown", Gender: "man"},
		Consent:     domain.Consent{Store: true},
		Narrative:   narrative,
		Reliability: "unknown",
	}
	t.CreatedBy = 1
	return t
}

// gateWriter holds a backup up once enough of it is written, so that the
// test can write to the database while the backup is running.
type gateWriter struct {
	w      io.Writer
	n      int
	at     int
	once   sync.Once
	during func()
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.n += len(p)
	if g.n > g.at {
		g.once.Do(g.during)
	}
	return g.w.Write(p)
}

func count(t *testing.T, st *store.Store, q string) int64 {
	t.Helper()
	var n int64
	if err := st.DB().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOnlineBackupIsASnapshot backs up an instance while its server keeps
// writing: the backup holds the database as it was when the backup began,
// consistent across tables (rows, counters, the audit chain). (Writes in
// the middle of SQLite's copy of the file: TestCopySQLiteIsASnapshot in
// the store.)
func TestOnlineBackupIsASnapshot(t *testing.T) {
	for _, logical := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite-file", true: "logical"}[logical], func(t *testing.T) {
			testOnlineBackup(t, logical)
		})
	}
}

func testOnlineBackup(t *testing.T, logical bool) {
	ctx := context.Background()
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	srv, err := Run(ctx, Config{DataDir: dir, Key: key, Addr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rows := make([]domain.Testimony, 400)
	for i := range rows {
		rows[i] = testimony(i, strings.Repeat(fmt.Sprint("words of testimony ", i, " "), 60))
	}
	if err := srv.Store.BulkInsertTestimonies(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		tm := testimony(i, "one by one")
		if err := srv.Store.CreateTestimony(ctx, &tm); err != nil {
			t.Fatal(err)
		}
	}
	before := count(t, srv.Store, "SELECT count(*) FROM testimonies")

	// The backup runs as `vigil backup` does: its own connections to the
	// same database file.
	bst, err := OpenStore(ctx, Config{DataDir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	written := 0
	gate := &gateWriter{w: &buf, at: 200 << 10, during: func() {
		for i := range 25 {
			tm := testimony(i, "written while the backup runs")
			if err := srv.Store.CreateTestimony(ctx, &tm); err != nil {
				t.Error(err)
				return
			}
			written++
		}
	}}
	res, err := WriteBackup(ctx, gate, BackupOptions{Store: bst, DataDir: dir, Key: key, Recipients: []age.Recipient{id.Recipient()}, Logical: logical})
	if err != nil {
		t.Fatal(err)
	}
	if written != 25 || count(t, srv.Store, "SELECT count(*) FROM testimonies") != before+25 {
		t.Fatalf("the writes during the backup did not happen: %d", written)
	}
	if logical {
		var inBackup int64 = -1
		for _, tb := range res.Manifest.Tables {
			if tb.Name == "testimonies" {
				inBackup = tb.Rows
			}
		}
		if inBackup != before || res.Manifest.Payload != PayloadLogical || res.Manifest.Database != nil {
			t.Fatalf("the backup holds %d testimonies; %d were there when it began", inBackup, before)
		}
	} else {
		db := res.Manifest.Database
		if res.Manifest.Payload != PayloadSQLiteFile || db == nil || len(res.Manifest.Tables) != 0 {
			t.Fatalf("a backup of SQLite holds %+v", res.Manifest)
		}
	}

	newDir := filepath.Join(t.TempDir(), "restored")
	rr, err := RestoreBackup(ctx, RestoreOptions{Backup: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len()),
		Identities: []age.Identity{id}, DataDir: newDir, KeyFile: filepath.Join(t.TempDir(), "k")})
	if err != nil {
		t.Fatal(err)
	}
	if !rr.Audit.OK() || rr.Audit.Entries == 0 {
		t.Fatalf("the restored audit chain: %+v", rr.Audit)
	}
	rst, err := OpenStore(ctx, Config{DataDir: newDir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer rst.Close()
	if n := count(t, rst, "SELECT count(*) FROM testimonies"); n != before {
		t.Fatalf("restored %d testimonies, want %d", n, before)
	}
	if n := count(t, rst, "SELECT n FROM counters WHERE kind = 'testimonies' AND key = ''"); n != before {
		t.Fatalf("the restored counter says %d testimonies, want %d", n, before)
	}
}

// archiveEntry is one entry of a backup's archive, for tests that alter
// backups as only someone who can decrypt them (and encrypt to the same
// recipient) could.
type archiveEntry struct {
	head entryHeader
	body []byte
}

func parseArchive(t *testing.T, plain []byte) []archiveEntry {
	t.Helper()
	a := &archiveReader{r: bufio.NewReader(bytes.NewReader(plain[len(backupMagic):]))}
	var out []archiveEntry
	for {
		if b, _ := a.r.Peek(len(backupEnd)); string(b) == backupEnd {
			return out
		}
		h, body, err := a.next()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, archiveEntry{h, b})
	}
}

func buildArchive(t *testing.T, entries []archiveEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	bw.WriteString(backupMagic)
	for _, e := range entries {
		if err := writeEntry(bw, e.head, func(w io.Writer) error { _, err := w.Write(e.body); return err }); err != nil {
			t.Fatal(err)
		}
	}
	bw.WriteString(backupEnd)
	bw.Flush()
	return buf.Bytes()
}

func reencrypt(t *testing.T, plain []byte, id *age.X25519Identity) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := age.Encrypt(&out, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	return out.Bytes()
}

// editJSON changes one JSON entry (header or manifest).
func editJSON(t *testing.T, e *archiveEntry, edit func(m map[string]any)) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.body, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	e.body = b
}

func newBackupSource(t *testing.T) (*store.Store, string, []byte) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	st, err := OpenStore(ctx, Config{DataDir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := range 30 {
		tm := testimony(i, strings.Repeat("a narrative of some length ", 40))
		if err := st.CreateTestimony(ctx, &tm); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, BlobDir, "ab"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, BlobDir, "ab", "cdef"), []byte("evidence"), 0o600); err != nil {
		t.Fatal(err)
	}
	return st, dir, key
}

// TestRestoreChecksTheArchive alters backups inside their encryption:
// what age cannot notice, the manifest and the file stream must, and the
// restore leaves nothing behind.
func TestRestoreChecksTheArchive(t *testing.T) {
	ctx := context.Background()
	st, dir, key := newBackupSource(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := WriteBackup(ctx, &buf, BackupOptions{Store: st, DataDir: dir, Key: key, Recipients: []age.Recipient{id.Recipient()}}); err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(buf.Bytes()), id)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	entries := parseArchive(t, plain)
	kinds := ""
	for _, e := range entries {
		kinds += e.head.Entry + " "
	}
	if kinds != "header key database blob manifest " {
		t.Fatalf("the archive holds: %s", kinds)
	}
	const db, manifest = 2, 4
	restore := func(t *testing.T, backup []byte) error {
		t.Helper()
		newDir := filepath.Join(t.TempDir(), "restored")
		keyFile := filepath.Join(t.TempDir(), "restored.key")
		_, err := RestoreBackup(ctx, RestoreOptions{Backup: bytes.NewReader(backup), Size: int64(len(backup)),
			Identities: []age.Identity{id}, DataDir: newDir, KeyFile: keyFile})
		if err != nil {
			for _, p := range []string{newDir, keyFile} {
				if _, serr := os.Stat(p); serr == nil {
					t.Errorf("a failed restore left %s behind", p)
				}
			}
			left, _ := os.ReadDir(filepath.Dir(newDir))
			if len(left) > 0 {
				t.Errorf("a failed restore left %s behind", left[0].Name())
			}
		}
		return err
	}
	// Rebuilt unchanged, the archive restores: the edits below are what
	// the restore refuses, not the rebuilding.
	if err := restore(t, reencrypt(t, buildArchive(t, entries), id)); err != nil {
		t.Fatalf("the rebuilt archive: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(es []archiveEntry) []archiveEntry
		msg  string
	}{
		{"a byte of a page", func(es []archiveEntry) []archiveEntry { es[db].body[100] ^= 1; return es }, "SHA-256"},
		{"a byte of a write's offset", func(es []archiveEntry) []archiveEntry { es[db].body[1] ^= 0x10; return es }, "damaged"},
		{"the stream cut short", func(es []archiveEntry) []archiveEntry { es[db].body = es[db].body[:len(es[db].body)/2]; return es }, "truncated"},
		{"no database", func(es []archiveEntry) []archiveEntry { return slices.Delete(es, db, db+1) }, "database file is missing"},
		{"two databases", func(es []archiveEntry) []archiveEntry { return slices.Insert(es, db, es[db]) }, "header does not say so"},
		{"the manifest's hash", func(es []archiveEntry) []archiveEntry {
			editJSON(t, &es[manifest], func(m map[string]any) { m["database"].(map[string]any)["sha256"] = strings.Repeat("0", 64) })
			return es
		}, "SHA-256"},
		{"the manifest's size", func(es []archiveEntry) []archiveEntry {
			editJSON(t, &es[manifest], func(m map[string]any) { m["database"].(map[string]any)["size"] = 4096 })
			return es
		}, "SHA-256"},
		{"the header says logical", func(es []archiveEntry) []archiveEntry {
			editJSON(t, &es[0], func(m map[string]any) { m["payload"] = PayloadLogical })
			return es
		}, "header does not say so"},
		{"the manifest says logical", func(es []archiveEntry) []archiveEntry {
			editJSON(t, &es[manifest], func(m map[string]any) { m["payload"] = PayloadLogical })
			return es
		}, "does not match its header"},
		{"an unknown payload", func(es []archiveEntry) []archiveEntry {
			editJSON(t, &es[0], func(m map[string]any) { m["payload"] = "zip" })
			return es
		}, "cannot read"},
		{"a database from PostgreSQL", func(es []archiveEntry) []archiveEntry {
			editJSON(t, &es[0], func(m map[string]any) { m["engine"] = "postgres" })
			return es
		}, "does not describe an SQLite database file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := slices.Clone(entries)
			for i := range es {
				es[i].body = bytes.Clone(es[i].body)
			}
			err := restore(t, reencrypt(t, buildArchive(t, tc.edit(es)), id))
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("restore: %v (want %q)", err, tc.msg)
			}
		})
	}
}

// TestRestoreReadsFormat1 restores a logical backup as the first version
// of the format wrote it: no payload, format 1.
func TestRestoreReadsFormat1(t *testing.T) {
	ctx := context.Background()
	st, dir, key := newBackupSource(t)
	id, _ := age.GenerateX25519Identity()
	var buf bytes.Buffer
	if _, err := WriteBackup(ctx, &buf, BackupOptions{Store: st, DataDir: dir, Key: key, Recipients: []age.Recipient{id.Recipient()}, Logical: true}); err != nil {
		t.Fatal(err)
	}
	r, _ := age.Decrypt(bytes.NewReader(buf.Bytes()), id)
	plain, _ := io.ReadAll(r)
	entries := parseArchive(t, plain)
	for _, i := range []int{0, len(entries) - 1} {
		editJSON(t, &entries[i], func(m map[string]any) { m["format"] = 1; delete(m, "payload") })
	}
	backup := reencrypt(t, buildArchive(t, entries), id)
	res, err := RestoreBackup(ctx, RestoreOptions{Backup: bytes.NewReader(backup), Size: int64(len(backup)), Identities: []age.Identity{id},
		DataDir: filepath.Join(t.TempDir(), "restored"), KeyFile: filepath.Join(t.TempDir(), "k")})
	if err != nil || res.Manifest.Payload != PayloadLogical || !res.Audit.OK() {
		t.Fatalf("restore of a format 1 backup: %v %+v", err, res)
	}
}

// TestHashPipe passes bytes through the pipe and stops on a failing
// writer without hanging.
func TestHashPipe(t *testing.T) {
	data := make([]byte, 3*pipeBuf+12345)
	rand.Read(data)
	var out bytes.Buffer
	n, sum, err := copyHashed(&out, bytes.NewReader(data))
	want := sha256.Sum256(data)
	if err != nil || n != int64(len(data)) || sum != hex.EncodeToString(want[:]) || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("copy: %d %v", n, err)
	}
	p := newHashPipe(&out)
	for _, b := range [][]byte{data[:10], data[10 : pipeBuf+7], data[pipeBuf+7:]} {
		if _, err := p.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if n, sum2, err := p.Close(); err != nil || n != int64(len(data)) || sum2 != sum {
		t.Fatalf("write: %d %v", n, err)
	}
	broken := errors.New("the disk is full")
	if _, _, err := copyHashed(&failAfter{n: pipeBuf, err: broken}, bytes.NewReader(data)); !errors.Is(err, broken) {
		t.Fatalf("copy to a failing writer: %v", err)
	}
}

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, f.err
	}
	f.n -= len(p)
	return len(p), nil
}
