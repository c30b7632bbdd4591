package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSearchWords: whatever a user types, the engines only ever receive
// quoted words that cannot act as query syntax.
func FuzzSearchWords(f *testing.F) {
	for _, s := range []string{`handcuffed`, `"x" OR y`, `NEAR(a b)`, `'; DROP TABLE testimonies; --`, `a*`, `مزلجة`, `снегоход -x`, "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		words := searchWords(q)
		if len(words) > maxSearchWords {
			t.Fatalf("%d words", len(words))
		}
		for _, w := range words {
			if w == "" || strings.ContainsAny(w, "\"'*():^-\\ ") || !utf8.ValidString(w) && utf8.ValidString(q) {
				t.Fatalf("word %q from %q could be syntax", w, q)
			}
		}
		fq, tq := fts5Query(words), tsQuery(words)
		if strings.Count(fq, `"`)%2 != 0 || strings.Count(tq, `'`)%2 != 0 {
			t.Fatalf("unbalanced quotes: %s / %s", fq, tq)
		}
	})
}

// FuzzDecodeCursor: a cursor comes from the URL; any string must either
// decode or give an error, never panic.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("")
	f.Add(encodeCursor("2023-11-24", 42))
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		k, ok, err := decodeCursor(s)
		if err == nil && ok && encodeCursor(k.K, k.ID) == "" {
			t.Fatalf("decoded %q to an empty cursor", s)
		}
	})
}
