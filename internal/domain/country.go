package domain

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// NormalizeCountry returns the ISO 3166-1 alpha-2 code for s (alpha-2,
// alpha-3 or numeric), upper-case, and whether it names a country. The list
// comes from the CLDR data in golang.org/x/text, never from a hand-typed table.
func NormalizeCountry(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	r, err := language.ParseRegion(s)
	if err != nil || !r.IsCountry() {
		return "", false
	}
	// Deprecated codes with one successor (BU → MM) become the successor.
	r = r.Canonicalize()
	if !isCurrentCountry(r) {
		return "", false
	}
	return r.String(), true
}

// dissolved lists former countries whose code has no single successor;
// CLDR still calls them countries, but a record made today cannot be about
// a person of Yugoslav or Soviet nationality in the ISO sense.
var dissolved = map[string]bool{"AN": true, "CS": true, "SU": true, "YU": true}

// isCurrentCountry keeps what ISO 3166-1 currently assigns (plus XK for
// Kosovo, which agencies use): CLDR's region list also holds groupings and
// reserved codes (EZ, UN, EA, IC), which have no UN M49 number.
func isCurrentCountry(r language.Region) bool {
	return r.IsCountry() && r.Canonicalize() == r && r.M49() != 0 && !dissolved[r.String()]
}

// CountryName returns the name of an ISO 3166-1 country in lang ("fi", "en",
// "ar", ...), or the code itself when it is not a country.
func CountryName(code, lang string) string {
	r, err := language.ParseRegion(code)
	if err != nil || !r.IsCountry() {
		return code
	}
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	if n := display.Regions(tag).Name(r); n != "" {
		return n
	}
	return code
}

// LanguageName returns the name of a BCP 47 language tag in lang.
func LanguageName(code, lang string) string {
	t, err := language.Parse(code)
	if err != nil {
		return code
	}
	in, err := language.Parse(lang)
	if err != nil {
		in = language.English
	}
	if n := display.Tags(in).Name(t); n != "" {
		return n
	}
	return code
}

// NormalizeLanguage returns the canonical BCP 47 form of a language tag such
// as "ar", "so", "fi" or "ar-SY", and whether it is valid.
func NormalizeLanguage(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	t, err := language.Parse(s)
	if err != nil || t == language.Und {
		return "", false
	}
	return t.String(), true
}

// Country is one entry of the localized country list offered in forms.
type Country struct{ Code, Name string }

// Countries lists every ISO 3166-1 country with its name in lang, sorted by
// code. It walks the two-letter code space and keeps what CLDR calls a
// country, so the list follows the library, not this file.
func Countries(lang string) []Country {
	var out []Country
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || !isCurrentCountry(r) || r.String() != code {
				continue
			}
			out = append(out, Country{code, CountryName(code, lang)})
		}
	}
	return out
}
