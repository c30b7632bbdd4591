package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"vigil/internal/domain"
	"vigil/internal/i18n"
)

// FuzzTestimonyJSON: any request body either fails to decode with a clear
// error or yields a testimony that validation accepts or rejects; nothing
// panics and invalid text never passes validation.
func FuzzTestimonyJSON(f *testing.F) {
	for _, s := range []string{`{"received_on":"2024-02-01","narrative":"x"}`, `{"received_on":"2023-02-30"}`, `{"narrator":{"nationality":"SYR"}}`, `[]`, `{"consent":null}`, "{\"narrative\":\"\xff\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/testimonies", strings.NewReader(body))
		var in testimonyInput
		if err := decodeJSON(r, &in); err != nil {
			if domain.ErrorCode(err) != domain.EInvalid && domain.ErrorCode(err) != domain.ETooLarge {
				t.Fatalf("decode error code %s", domain.ErrorCode(err))
			}
			return
		}
		var tm domain.Testimony
		in.apply(&tm)
		tm.Normalize()
		if err := tm.Validate(); err == nil {
			if tm.ReceivedOn.IsZero() || tm.ReceivedOn.Invalid() || tm.Narrative == "" || !tm.Consent.Store {
				t.Fatalf("accepted an incomplete testimony: %+v", tm)
			}
		}
	})
}

// FuzzAcceptLanguage: any header picks a supported language.
func FuzzAcceptLanguage(f *testing.F) {
	f.Add("fi-FI,fi;q=0.9,en;q=0.8")
	f.Add(";;;,,,q=")
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", h)
		if l := langOf(r); i18n.Supported(l) != l {
			t.Fatalf("langOf(%q) = %q", h, l)
		}
	})
}

// FuzzSafeNext: a post-login redirect never leaves the site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/incidents", "//evil.example", "/\\evil", "https://evil.example", "javascript:alert(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
	})
}
