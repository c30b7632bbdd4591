package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
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
// consistent across tables (rows, counters, the audit chain).
func TestOnlineBackupIsASnapshot(t *testing.T) {
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
	res, err := WriteBackup(ctx, gate, BackupOptions{Store: bst, DataDir: dir, Key: key, Recipients: []age.Recipient{id.Recipient()}})
	if err != nil {
		t.Fatal(err)
	}
	if written != 25 || count(t, srv.Store, "SELECT count(*) FROM testimonies") != before+25 {
		t.Fatalf("the writes during the backup did not happen: %d", written)
	}
	var inBackup int64 = -1
	for _, tb := range res.Manifest.Tables {
		if tb.Name == "testimonies" {
			inBackup = tb.Rows
		}
	}
	if inBackup != before {
		t.Fatalf("the backup holds %d testimonies; %d were there when it began", inBackup, before)
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
