package domain

import (
	"encoding/json"
	"testing"
)

// FuzzCountry: a typed nationality is either refused or becomes a current
// ISO 3166-1 code that stays itself when normalised again.
func FuzzCountry(f *testing.F) {
	for _, s := range []string{"sy", " SY ", "SYR", "760", "BU", "YU", "XK", "EU", "UN", "zz", "ıq", "\x00", "ＳＹ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := NormalizeCountry(s)
		if !ok {
			if c != "" {
				t.Fatalf("NormalizeCountry(%q) = %q but not ok", s, c)
			}
			return
		}
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			t.Fatalf("NormalizeCountry(%q) = %q", s, c)
		}
		if again, ok := NormalizeCountry(c); !ok || again != c {
			t.Fatalf("NormalizeCountry is not stable: %q → %q → %q", s, c, again)
		}
	})
}

// FuzzDate: a date from a form, a query or JSON is a real calendar date
// that reads back as itself, or it is refused (in JSON: marked invalid so
// validation reports it).
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31", "2024-1-1", " 2024-01-01 ", "+2024-01-01", "2024-01-01T00:00:00Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDate(s); err == nil && !d.IsZero() {
			back, err := ParseDate(d.String())
			if err != nil || back != d {
				t.Fatalf("%q → %+v → %q → %+v, %v", s, d, d.String(), back, err)
			}
		}
		raw, _ := json.Marshal(s)
		for _, b := range [][]byte{raw, []byte(s)} {
			var d Date
			if err := json.Unmarshal(b, &d); err != nil {
				continue
			}
			if !d.IsZero() && !d.Invalid() {
				if back, err := ParseDate(d.String()); err != nil || back != d {
					t.Fatalf("JSON %q decoded to %+v, which does not read back: %v", b, d, err)
				}
			}
		}
	})
}
