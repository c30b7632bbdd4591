// Package i18n holds the staff interface's message catalogs. Each feature
// has its own pair of files (NAME.en.json, NAME.fi.json) so features can be
// added without touching one big file; a test fails when a key is missing
// from either language or a template uses a key no catalog has.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed locales/*.json
var files embed.FS

// Langs are the staff interface languages, the first is the default.
var Langs = []string{"en", "fi"}

// Catalog maps language → key → message.
type Catalog map[string]map[string]string

var catalog = mustLoad()

func mustLoad() Catalog {
	c, err := Load(files)
	if err != nil {
		panic(err)
	}
	return c
}

// Load reads every locales/NAME.LANG.json file of fsys. A key defined twice
// in one language is an error, so two features cannot silently collide.
func Load(fsys fs.FS) (Catalog, error) {
	c := Catalog{}
	for _, l := range Langs {
		c[l] = map[string]string{}
	}
	names, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".json")
		dot := strings.LastIndexByte(base, '.')
		if dot < 0 {
			return nil, fmt.Errorf("i18n: %s: name must be FEATURE.LANG.json", name)
		}
		lang := base[dot+1:]
		m, ok := c[lang]
		if !ok {
			return nil, fmt.Errorf("i18n: %s: unknown language %q", name, lang)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var kv map[string]string
		if err := json.Unmarshal(b, &kv); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		for k, v := range kv {
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q is defined twice", name, k)
			}
			m[k] = v
		}
	}
	return c, nil
}

// T returns the message for key in lang, formatted with args. A missing
// message shows the key in brackets, which tests catch.
func T(lang, key string, args ...any) string {
	m, ok := catalog[lang]
	if !ok {
		m = catalog[Langs[0]]
	}
	msg, ok := m[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key exists in lang.
func Has(lang, key string) bool {
	_, ok := catalog[lang][key]
	return ok
}

// Keys lists the keys of lang, sorted.
func Keys(lang string) []string {
	var ks []string
	for k := range catalog[lang] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Supported returns lang if it is a staff language, else the default.
func Supported(lang string) string {
	for _, l := range Langs {
		if l == lang {
			return l
		}
	}
	return Langs[0]
}
