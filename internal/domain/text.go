package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field size limits, in bytes. They are documented in the README; the web
// layer also caps whole request bodies.
const (
	MaxShortText = 200     // names, pseudonyms, labels
	MaxURL       = 2000    // source links
	MaxText      = 10_000  // summaries, notes, quotes
	MaxNarrative = 200_000 // a testimony narrative (about 30,000 words)
)

// CleanText trims surrounding white space and removes control characters
// other than newline and tab. It does not escape HTML: templates do that at
// output, so stored text stays what the person wrote.
func CleanText(s string) string {
	s = strings.TrimSpace(s)
	if strings.IndexFunc(s, isDroppedControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isDroppedControl(r) {
			return -1
		}
		return r
	}, s)
}

func isDroppedControl(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r'
}

// checkText reports invalid UTF-8 and oversize text.
func checkText(p *Problems, field, s string, max int) {
	if !utf8.ValidString(s) {
		p.Add(field, "contains invalid UTF-8 text")
		return
	}
	if len(s) > max {
		p.Add(field, "is too long (%d bytes; the limit is %d)", len(s), max)
	}
}

func checkVocab(p *Problems, field string, v Vocabulary, code string, required bool) {
	if code == "" {
		if required {
			p.Add(field, "is required")
		}
		return
	}
	if !v.Has(code) {
		p.Add(field, "unknown value %q", code)
	}
}

func checkVocabList(p *Problems, field string, v Vocabulary, codes []string) {
	seen := map[string]bool{}
	for _, c := range codes {
		if !v.Has(c) {
			p.Add(field, "unknown value %q", c)
		}
		if seen[c] {
			p.Add(field, "%q is listed twice", c)
		}
		seen[c] = true
	}
}

func checkCountry(p *Problems, field string, code *string) {
	if *code == "" {
		return
	}
	c, ok := NormalizeCountry(*code)
	if !ok {
		p.Add(field, "%q is not an ISO 3166-1 country code", *code)
		return
	}
	*code = c
}

func checkURL(p *Problems, field, u string) {
	if u == "" {
		return
	}
	checkText(p, field, u, MaxURL)
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		p.Add(field, "must be an http or https address")
	}
}
