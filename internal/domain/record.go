package domain

import "time"

// Meta is what every stored record carries. Version starts at 1 and grows by
// one per save; a save naming an older version is refused (optimistic
// concurrency), so two people editing at once cannot silently overwrite
// each other.
type Meta struct {
	ID        int64     `json:"id"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy int64     `json:"created_by,omitempty"`
	UpdatedBy int64     `json:"updated_by,omitempty"`
}

// Source is where a published fact comes from.
type Source struct {
	Publisher   string `json:"publisher"`
	URL         string `json:"url,omitempty"`
	RetrievedOn Date   `json:"retrieved_on"`
}

func (s *Source) normalize() {
	s.Publisher = CleanText(s.Publisher)
	s.URL = CleanText(s.URL)
}

func (s Source) validate(p *Problems, prefix string, required bool) {
	if required && s.Publisher == "" {
		p.Add(prefix+"publisher", "is required: say who published this")
	}
	checkText(p, prefix+"publisher", s.Publisher, MaxShortText)
	checkURL(p, prefix+"url", s.URL)
	checkPlausible(p, prefix+"retrieved_on", s.RetrievedOn)
}

// Page asks for one page of a keyset-paginated list: items after the
// cursor, newest first. Cursor is opaque to callers.
type Page struct {
	Limit  int
	Cursor string
}

// DefaultPageSize and MaxPageSize bound every list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Normalized returns the page with its limit clamped.
func (p Page) Normalized() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageSize
	}
	if p.Limit > MaxPageSize {
		p.Limit = MaxPageSize
	}
	return p
}
