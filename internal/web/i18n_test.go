package web

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/i18n"
)

// keyUseRE finds translation keys used in templates ({{.T "key"}},
// {{$.T "key"}}) and in Go code (i18n.T(lang, "key"), v.T("key")).
var keyUseRE = regexp.MustCompile(`(?:\.T|i18n\.T\(\w+,|\.T\()\s*"([a-z_]+\.[a-z0-9_.]+)"`)

// TestTranslationsComplete fails when a key exists in one language but not
// the other, or when a template or handler uses a key no catalog defines.
func TestTranslationsComplete(t *testing.T) {
	en, fi := i18n.Keys("en"), i18n.Keys("fi")
	inFI := map[string]bool{}
	for _, k := range fi {
		inFI[k] = true
	}
	inEN := map[string]bool{}
	for _, k := range en {
		inEN[k] = true
		if !inFI[k] {
			t.Errorf("key %q has no Finnish message", k)
		}
	}
	for _, k := range fi {
		if !inEN[k] {
			t.Errorf("key %q has no English message", k)
		}
	}
	for _, k := range en {
		if strings.TrimSpace(i18n.T("en", k)) == "" || strings.TrimSpace(i18n.T("fi", k)) == "" {
			t.Errorf("key %q has an empty message", k)
		}
	}
	used := 0
	check := func(name string, src []byte) {
		for _, m := range keyUseRE.FindAllSubmatch(src, -1) {
			used++
			if k := string(m[1]); !inEN[k] {
				t.Errorf("%s uses key %q, which no catalog defines", name, k)
			}
		}
	}
	_ = fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := assets.ReadFile(p)
			check(p, b)
		}
		return err
	})
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		check(f, b)
	}
	if used < 100 {
		t.Fatalf("found only %d key uses: the scan is broken", used)
	}
}

// TestCatalogFilesParse makes sure every catalog file is valid JSON with
// string values, so a broken file fails here rather than at start-up.
func TestCatalogFilesParse(t *testing.T) {
	files, _ := filepath.Glob("../i18n/locales/*.json")
	if len(files) < 4 {
		t.Fatalf("found %d catalog files", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
