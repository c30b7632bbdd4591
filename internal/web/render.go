package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"vigil/internal/domain"
	"vigil/internal/i18n"
)

//go:embed templates static
var assets embed.FS

type pages struct {
	byName map[string]*template.Template
}

// parsePages parses each page template together with the layout and the
// partials, once, at start-up.
func parsePages() (*pages, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).Option("missingkey=error").
			ParseFS(assets, "templates/layout.html", "templates/partials/*.html", name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

func withNonce(ctx context.Context, nonce string) context.Context {
	return context.WithValue(ctx, nonceKey, nonce)
}

// View is what every page template receives: the request's language, user
// and nonce, plus the page's own typed data in Data.
type View struct {
	Lang      string
	Title     string
	Nonce     string
	Path      string
	User      *domain.User
	Demo      bool
	Flash     string
	FormError string
	Fields    map[string]string
	Data      any
}

// view starts a View for r with the title key translated.
func (s *Server) view(r *http.Request, titleKey string) View {
	v := View{Lang: langOf(r), Path: r.URL.Path, Demo: s.Demo, Fields: map[string]string{}}
	if u, ok := userOf(r); ok {
		v.User = &u
	}
	v.Nonce, _ = r.Context().Value(nonceKey).(string)
	v.Title = i18n.T(v.Lang, titleKey)
	if m := r.URL.Query().Get("msg"); m != "" && i18n.Has(v.Lang, "flash."+m) {
		v.Flash = i18n.T(v.Lang, "flash."+m)
	}
	return v
}

// withError puts a validation or conflict error on the form.
func (v *View) withError(err error) {
	v.FormError = domain.ErrorMessage(err)
	for _, f := range domain.ErrorFields(err) {
		if v.Fields[f.Field] == "" {
			v.Fields[f.Field] = f.Message
		} else {
			v.Fields[f.Field] += "; " + f.Message
		}
	}
}

// langOf picks the language: the user's choice, else the lang cookie, else
// the browser's first supported preference.
func langOf(r *http.Request) string {
	if u, ok := userOf(r); ok && u.Lang != "" {
		return i18n.Supported(u.Lang)
	}
	if c, err := r.Cookie(langCookie); err == nil {
		return i18n.Supported(c.Value)
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		for _, l := range i18n.Langs {
			if base == l {
				return l
			}
		}
	}
	return i18n.Langs[0]
}

// T translates key into the view's language.
func (v View) T(key string, args ...any) string { return i18n.T(v.Lang, key, args...) }

// L labels a vocabulary code in the view's language.
func (v View) L(vocab, code string) string {
	if voc, ok := vocabByName[vocab]; ok {
		return voc.Label(code, v.Lang)
	}
	return code
}

// Terms lists a vocabulary for a select.
func (v View) Terms(vocab string) []domain.Term { return vocabByName[vocab].Terms }

// Country names an ISO country in the view's language.
func (v View) Country(code string) string {
	if code == "" {
		return ""
	}
	return domain.CountryName(code, v.Lang)
}

// Countries lists all countries for a select, in the view's language.
func (v View) Countries() []domain.Country { return countryList(v.Lang) }

// Language names a language tag in the view's language.
func (v View) Language(code string) string {
	if code == "" {
		return ""
	}
	return domain.LanguageName(code, v.Lang)
}

// Can reports whether the signed-in user has a permission.
func (v View) Can(perm string) bool {
	return v.User != nil && domain.Can(v.User.Role, domain.Permission(perm))
}

// Err returns the error message for a form field.
func (v View) Err(field string) string { return v.Fields[field] }

var vocabByName = func() map[string]domain.Vocabulary {
	m := map[string]domain.Vocabulary{}
	for _, v := range domain.AllVocabularies() {
		m[v.Name] = v
	}
	return m
}()

var countryCache = map[string][]domain.Country{}

func init() {
	for _, l := range i18n.Langs {
		countryCache[l] = domain.Countries(l)
	}
}

func countryList(lang string) []domain.Country { return countryCache[i18n.Supported(lang)] }

var funcs = template.FuncMap{
	"asset": assetURL,
	"date":  func(d domain.Date) string { return d.String() },
	"fuzzy": func(f domain.FuzzyDate) string {
		return f.Text()
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"whenp": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"has": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
	"intp":   intText,
	"floatp": floatText,
	"num":    func(n int64) string { return groupDigits(n) },
	"excerpt": func(s string, n int) string {
		r := []rune(s)
		if len(r) <= n {
			return s
		}
		return string(r[:n]) + "…"
	},
	"add":  func(a, b int) int { return a + b },
	"join": strings.Join,
}

// groupDigits writes 1271 as "1 271"-style with a thin space, which reads
// correctly in both English and Finnish.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v View) {
	t, ok := s.pages.byName[page]
	if !ok {
		s.Log.Error("no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.Log.Error("render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var assetHashes = map[string]string{}

func init() {
	_ = fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := assets.ReadFile(p)
		sum := sha256.Sum256(b)
		assetHashes[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
}

// assetURL adds a content hash so static files can be cached forever.
func assetURL(name string) string { return "/static/" + name + "?v=" + assetHashes[name] }

func staticHandler() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	fsrv := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		fsrv.ServeHTTP(w, r)
	})
}
