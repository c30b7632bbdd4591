package evidence

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func testBlobs(t *testing.T) (*Blobs, string) {
	t.Helper()
	dir := t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	b, err := OpenBlobs(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	return b, dir
}

func readAll(t *testing.T, b *Blobs, name string) ([]byte, error) {
	t.Helper()
	rc, err := b.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestBlobRoundTripSizes(t *testing.T) {
	b, _ := testBlobs(t)
	for _, n := range []int{0, 1, 100, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17} {
		content := make([]byte, n)
		rand.Read(content)
		name, sum, created, err := b.Put(content)
		if err != nil || !created {
			t.Fatalf("put %d: %v %v", n, created, err)
		}
		if sum != sha256.Sum256(content) {
			t.Fatalf("sum of %d bytes", n)
		}
		got, err := readAll(t, b, name)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("read back %d bytes: %d, %v", n, len(got), err)
		}
	}
}

func TestBlobEncryptedAtRestAndDeduplicated(t *testing.T) {
	b, dir := testBlobs(t)
	marker := []byte("PLAINTEXT-MARKER-Jane-Witness-60.1750N")
	content := bytes.Repeat(marker, 5000) // spans several chunks
	name, sum, created, err := b.Put(content)
	if err != nil || !created {
		t.Fatal(err)
	}
	// The name is neither the content's hash nor anything derived from it
	// without the key.
	if name == hex.EncodeToString(sum[:]) {
		t.Fatal("blob named by its plain hash")
	}
	name2, _, created, err := b.Put(append([]byte{}, content...))
	if err != nil || created || name2 != name {
		t.Fatalf("second put: %s %v %v", name2, created, err)
	}
	files := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		raw, _ := os.ReadFile(p)
		if bytes.Contains(raw, marker[:16]) || bytes.Contains(raw, []byte(hex.EncodeToString(sum[:]))) {
			t.Errorf("%s holds plaintext", p)
		}
		return nil
	})
	if files != 1 {
		t.Fatalf("%d files after two puts of one content, want 1", files)
	}
	// Another key names the same content differently.
	other, err := OpenBlobs(t.TempDir(), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if other.Name(sum[:]) == name {
		t.Fatal("blob names do not depend on the key")
	}
}

func TestBlobTamperingDetected(t *testing.T) {
	b, _ := testBlobs(t)
	content := make([]byte, 2*chunkSize+100)
	rand.Read(content)
	name, _, _, err := b.Put(content)
	if err != nil {
		t.Fatal(err)
	}
	path, _ := b.path(name)
	orig, _ := os.ReadFile(path)
	other, _, _, err := b.Put([]byte("another file"))
	if err != nil {
		t.Fatal(err)
	}
	otherPath, _ := b.path(other)
	otherRaw, _ := os.ReadFile(otherPath)
	overhead := b.content.Overhead()
	cases := map[string][]byte{
		"flipped byte":        func() []byte { x := append([]byte{}, orig...); x[headerSize+10] ^= 1; return x }(),
		"last chunk cut":      orig[:headerSize+2*(chunkSize+overhead)],
		"truncated inside":    orig[:len(orig)-5],
		"chunks swapped":      append(append(append([]byte{}, orig[:headerSize]...), orig[headerSize+chunkSize+overhead:headerSize+2*(chunkSize+overhead)]...), append(orig[headerSize:headerSize+chunkSize+overhead], orig[headerSize+2*(chunkSize+overhead):]...)...),
		"another blob's data": otherRaw,
		"header only":         orig[:headerSize],
	}
	for what, raw := range cases {
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := readAll(t, b, name); err == nil {
			t.Errorf("%s: read %d bytes without error", what, len(got))
		}
	}
}

func TestSealedRecord(t *testing.T) {
	b, _ := testBlobs(t)
	p := Private{Name: "witness-ahmed.jpg", Metadata: Metadata{GPS: &GPS{Lat: 60.1, Lon: 24.9, Source: "EXIF"}}}
	sealed, err := b.Seal(p, "abc")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("ahmed")) {
		t.Fatal("sealed record holds the name in clear")
	}
	got, err := b.Unseal(sealed, "abc")
	if err != nil || got.Name != p.Name || got.Metadata.GPS == nil || got.Metadata.GPS.Lat != 60.1 {
		t.Fatalf("unseal: %+v %v", got, err)
	}
	if _, err := b.Unseal(sealed, "abd"); err == nil {
		t.Fatal("a record moved to another file opened")
	}
}
