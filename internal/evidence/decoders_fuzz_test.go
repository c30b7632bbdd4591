package evidence

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Fuzz targets for the evidence package's other decoders of untrusted
// input (FuzzInspect covers the files themselves): the uploader's file
// name, and the encrypted blobs and sealed records read back from disk and
// database, which whoever holds the disk can alter.

// FuzzSafeName: any uploaded name becomes one that is valid text, cannot
// act as a path or disguise its extension, has no characters reserved on
// common file systems, ends in an extension of the detected type and is
// stable when made safe again.
func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"photo.jpg", "../../etc/passwd", `..\..\boot.ini`, "photo\u202Egpj.exe", "a\x00b\r\nc.JPG",
		`"quoted"; name=x.jpg`, "....", ".htaccess", "kuva äö.jpeg", strings.Repeat("a", 300) + ".jpg", " . _-x. ", "\xff\xfe.pdf",
		"x\u200b\ufeff.png", "CON.jpg", "a" + strings.Repeat("\u0301", 200) + ".jpg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, format := range Formats {
			got := SafeName(name, format)
			if !utf8.ValidString(got) || got == "" {
				t.Fatalf("SafeName(%q, %s) = %q", name, format.Type, got)
			}
			if strings.ContainsAny(got, "/\\<>:\"|?*;%") || strings.HasPrefix(got, ".") || strings.HasPrefix(got, " ") {
				t.Fatalf("SafeName(%q, %s) = %q is not harmless", name, format.Type, got)
			}
			for _, r := range got {
				if unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF' || r == '\u200B' {
					t.Fatalf("SafeName(%q, %s) = %q keeps %U", name, format.Type, got, r)
				}
			}
			ext := ""
			for _, e := range format.Ext {
				if strings.HasSuffix(got, e) {
					ext = e
				}
			}
			if ext == "" {
				t.Fatalf("SafeName(%q, %s) = %q does not end in the type's extension", name, format.Type, got)
			}
			if n := utf8.RuneCountInString(strings.TrimSuffix(got, ext)); n > 100 {
				t.Fatalf("SafeName(%q, %s) keeps %d characters", name, format.Type, n)
			}
			if again := SafeName(got, format); again != got {
				t.Fatalf("SafeName is not stable: %q → %q → %q", name, got, again)
			}
		}
	})
}

// fuzzBlobs is a blob store under a fixed key, so that ciphertexts a fuzz
// run saved in its corpus still open in the next run.
func fuzzBlobs(f *testing.F) *Blobs {
	b, err := OpenBlobs(f.TempDir(), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

const fuzzBlobName = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// FuzzBlobReader: a stored file changed in any way fails to decrypt. A
// read that succeeds gives back exactly one of the files that were written,
// from a ciphertext of exactly the right length: nothing cut off, nothing
// appended, nothing reordered.
func FuzzBlobReader(f *testing.F) {
	b := fuzzBlobs(f)
	plains := [][]byte{nil, []byte("x"), []byte("a statement photographed at the border"), bytes.Repeat([]byte("0123456789abcdef"), chunkSize/16+3)}
	lengths := map[string]int{}
	for _, p := range plains {
		var ct bytes.Buffer
		w, err := b.NewWriter(&ct, fuzzBlobName)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := w.Write(p); err != nil {
			f.Fatal(err)
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		lengths[string(p)] = ct.Len()
		if len(p) < chunkSize {
			f.Add(ct.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, ct []byte) {
		r, err := b.NewReader(bytes.NewReader(ct), fuzzBlobName)
		if err != nil {
			return
		}
		got, err := io.ReadAll(io.LimitReader(r, 4*chunkSize))
		if err != nil {
			return
		}
		want, ok := lengths[string(got)]
		if !ok || want != len(ct) {
			t.Fatalf("a changed blob of %d bytes decrypted to %d bytes", len(ct), len(got))
		}
	})
}

// FuzzUnseal: a sealed attachment record changed in any way does not open;
// one that opens is one that was sealed.
func FuzzUnseal(f *testing.F) {
	b := fuzzBlobs(f)
	known := map[string]bool{}
	for _, p := range []Private{{Name: "photo.jpg"}, {Name: "scan.pdf", Metadata: Metadata{}}} {
		sealed, err := b.Seal(p, fuzzBlobName)
		if err != nil {
			f.Fatal(err)
		}
		j, _ := json.Marshal(p)
		known[string(j)] = true
		f.Add(sealed)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, sealed []byte) {
		p, err := b.Unseal(sealed, fuzzBlobName)
		if err != nil {
			return
		}
		if j, _ := json.Marshal(p); !known[string(j)] {
			t.Fatalf("a changed record opened: %s", j)
		}
	})
}
