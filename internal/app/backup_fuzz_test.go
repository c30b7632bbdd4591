package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"vigil/internal/store"
)

// FuzzBackupArchive feeds arbitrary archives to the backup reader, behind
// real age encryption (each input is encrypted to a test identity first, so
// the fuzzer works on the archive inside rather than on age's own
// authentication, which refuses any changed byte). Reading must never
// panic; it either accepts an archive whose manifest has the current
// format, or refuses it as damaged or of another format.
func FuzzBackupArchive(f *testing.F) {
	ctx := context.Background()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	key := make([]byte, store.KeySize)
	_, _ = rand.Read(key)
	dir := f.TempDir()
	st, err := store.Open(ctx, store.Config{Dir: dir, Key: key})
	if err != nil {
		f.Fatal(err)
	}
	// Both kinds of backup: rows, and the database file as a file stream.
	for _, logical := range []bool{true, false} {
		var ct bytes.Buffer
		_, err = WriteBackup(ctx, &ct, BackupOptions{Store: st, DataDir: dir, Key: key, Recipients: []age.Recipient{id.Recipient()}, Logical: logical})
		if err != nil {
			f.Fatal(err)
		}
		// Control: the real backup passes the check this target runs.
		if _, err := RestoreBackup(ctx, RestoreOptions{Backup: bytes.NewReader(ct.Bytes()), Size: int64(ct.Len()),
			Identities: []age.Identity{id}, CheckOnly: true}); err != nil {
			f.Fatalf("a fresh backup does not pass the check: %v", err)
		}
		r, err := age.Decrypt(&ct, id)
		if err != nil {
			f.Fatal(err)
		}
		plain, err := io.ReadAll(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(plain)
		f.Add(plain[:len(plain)/2])
	}
	st.Close()
	// A small archive with one table and one file, written by hand from
	// the format described in backup.go: mutations of it reach every
	// kind of entry, where the real ones are mostly table rows.
	small := smallArchive(key)
	enc := encryptTo(f, id, small)
	if _, err := RestoreBackup(ctx, RestoreOptions{Backup: bytes.NewReader(enc), Size: int64(len(enc)),
		Identities: []age.Identity{id}, CheckOnly: true}); err != nil {
		f.Logf("the hand-made archive is refused (%v); it is still a seed", err)
	}
	f.Add(small)
	f.Add([]byte("VIGIL-BACKUP 1\n"))
	f.Add([]byte("VIGIL-BACKUP 1\n{\"entry\":\"header\"}\n\x00VIGIL-BACKUP-END\n"))
	f.Add([]byte("VIGIL-BACKUP 2\n"))
	f.Fuzz(func(t *testing.T, archive []byte) {
		enc := encryptTo(t, id, archive)
		res, err := RestoreBackup(ctx, RestoreOptions{Backup: bytes.NewReader(enc), Size: int64(len(enc)),
			Identities: []age.Identity{id}, CheckOnly: true})
		if err != nil {
			if !errors.Is(err, ErrBackupDamaged) && !strings.Contains(err.Error(), "cannot read") {
				t.Fatalf("refused without saying it is damaged: %v", err)
			}
			return
		}
		if res == nil || res.Manifest == nil || (res.Manifest.Format != BackupFormat && res.Manifest.Format != 1) {
			t.Fatalf("accepted without a manifest: %+v", res)
		}
	})
}

func encryptTo(tb testing.TB, id *age.X25519Identity, plain []byte) []byte {
	var enc bytes.Buffer
	w, err := age.Encrypt(&enc, id.Recipient())
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = w.Write(plain)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return enc.Bytes()
}

// smallArchive is a logical backup of one two-row table and one file.
func smallArchive(key []byte) []byte {
	var b bytes.Buffer
	b.WriteString("VIGIL-BACKUP 1\n")
	entry := func(h map[string]string, body []byte) {
		line, _ := json.Marshal(h)
		b.Write(append(line, '\n'))
		if len(body) > 0 {
			b.Write(binary.AppendUvarint(nil, uint64(len(body))))
			b.Write(body)
		}
		b.WriteByte(0)
	}
	rows, blob := []byte("{\"id\":1}\n{\"id\":2}\n"), []byte("evidence bytes")
	sum := func(p []byte) string { s := sha256.Sum256(p); return hex.EncodeToString(s[:]) }
	m := BackupManifest{Format: BackupFormat, Payload: PayloadLogical, CreatedAt: time.Unix(1700000000, 0).UTC(), Engine: "sqlite",
		KeyID: KeyID(key), Tables: []ManifestTable{{Name: "t", Columns: []store.DumpColumn{}}}}
	header, _ := json.Marshal(m)
	entry(map[string]string{"entry": "header"}, header)
	entry(map[string]string{"entry": "key"}, key)
	entry(map[string]string{"entry": "table", "name": "t"}, rows)
	entry(map[string]string{"entry": "blob", "name": "ab/cdef"}, blob)
	m.Tables[0].Rows, m.Tables[0].SHA256 = 2, sum(rows)
	m.Blobs = []ManifestBlob{{Path: "ab/cdef", Size: int64(len(blob)), SHA256: sum(blob)}}
	manifest, _ := json.Marshal(m)
	entry(map[string]string{"entry": "manifest"}, manifest)
	b.WriteString("VIGIL-BACKUP-END\n")
	return b.Bytes()
}
