package domain

import (
	"regexp"
	"sort"
)

// CrossingPoint is a place where a border can be crossed, or a named stretch
// of green border.
type CrossingPoint struct {
	Meta
	Code         string   `json:"code"` // stable slug, e.g. "vaalimaa"
	NameEN       string   `json:"name_en"`
	NameFI       string   `json:"name_fi"`
	NameRU       string   `json:"name_ru"`
	Country      string   `json:"country"`       // ISO 3166-1 of the side it belongs to
	OtherCountry string   `json:"other_country"` // the neighbour
	Counterpart  string   `json:"counterpart"`   // the crossing point on the other side
	Municipality string   `json:"municipality"`
	Mode         string   `json:"mode"`
	Lat          *float64 `json:"lat"`
	Lon          *float64 `json:"lon"`
	AccuracyKM   *float64 `json:"accuracy_km"`
	Notes        string   `json:"notes"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Name returns the crossing point's name in lang.
func (c CrossingPoint) Name(lang string) string {
	if lang == "fi" && c.NameFI != "" {
		return c.NameFI
	}
	if c.NameEN != "" {
		return c.NameEN
	}
	return c.Code
}

// Normalize tidies free text and codes before validation.
func (c *CrossingPoint) Normalize() {
	for _, s := range []*string{&c.Code, &c.NameEN, &c.NameFI, &c.NameRU, &c.Counterpart, &c.Municipality, &c.Notes} {
		*s = CleanText(*s)
	}
}

// Validate reports every problem at once.
func (c *CrossingPoint) Validate() error {
	var p Problems
	if !slugRE.MatchString(c.Code) {
		p.Add("code", "must be lower-case letters, digits and dashes, e.g. \"vaalimaa\"")
	}
	if c.NameEN == "" && c.NameFI == "" {
		p.Add("name_en", "give a name in English or Finnish")
	}
	for f, s := range map[string]string{"name_en": c.NameEN, "name_fi": c.NameFI, "name_ru": c.NameRU, "counterpart": c.Counterpart, "municipality": c.Municipality} {
		checkText(&p, f, s, MaxShortText)
	}
	checkText(&p, "notes", c.Notes, MaxText)
	if c.Country == "" {
		p.Add("country", "is required")
	}
	checkCountry(&p, "country", &c.Country)
	checkCountry(&p, "other_country", &c.OtherCountry)
	checkVocab(&p, "mode", CrossingModes, c.Mode, true)
	checkLatLon(&p, c.Lat, c.Lon)
	if c.AccuracyKM != nil && (*c.AccuracyKM < 0 || *c.AccuracyKM > 1000) {
		p.Add("accuracy_km", "must be between 0 and 1000")
	}
	return p.Err()
}

func checkLatLon(p *Problems, lat, lon *float64) {
	if (lat == nil) != (lon == nil) {
		p.Add("lat", "give both latitude and longitude, or neither")
		return
	}
	if lat != nil && (*lat < -90 || *lat > 90) {
		p.Add("lat", "latitude must be between -90 and 90")
	}
	if lon != nil && (*lon < -180 || *lon > 180) {
		p.Add("lon", "longitude must be between -180 and 180")
	}
}

// PolicyEvent is a dated decision or change at the border: a closure, a
// reopening, an extension, a law. Crossing point statuses are derived from
// these events, never typed in.
type PolicyEvent struct {
	Meta
	When           FuzzyDate `json:"when"`
	Time           string    `json:"time,omitempty"` // "HH:MM" local time where known
	Kind           string    `json:"kind"`
	CrossingPoints []string  `json:"crossing_points"` // crossing point codes; empty = not tied to points
	Detail         string    `json:"detail"`
	Source         Source    `json:"source"`
}

var hhmmRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Normalize tidies free text.
func (e *PolicyEvent) Normalize() {
	e.Detail = CleanText(e.Detail)
	e.Time = CleanText(e.Time)
	e.Source.normalize()
	sort.Strings(e.CrossingPoints)
}

// Validate reports every problem at once.
func (e *PolicyEvent) Validate() error {
	var p Problems
	e.When.Validate(&p, "when", true)
	if e.Time != "" && !hhmmRE.MatchString(e.Time) {
		p.Add("time", "use HH:MM, 24-hour clock")
	}
	checkVocab(&p, "kind", PolicyEventKinds, e.Kind, true)
	if e.Detail == "" {
		p.Add("detail", "is required: say what was decided or changed")
	}
	checkText(&p, "detail", e.Detail, MaxText)
	for _, c := range e.CrossingPoints {
		if !slugRE.MatchString(c) {
			p.Add("crossing_points", "%q is not a crossing point code", c)
		}
	}
	if (e.Kind == "closed" || e.Kind == "reopened" || e.Kind == "restricted") && len(e.CrossingPoints) == 0 {
		p.Add("crossing_points", "a closure, reopening or restriction must name the crossing points it affects")
	}
	e.Source.validate(&p, "source_", true)
	return p.Err()
}

// Effective returns the moment the event takes effect, as a sortable
// "YYYY-MM-DD HH:MM" string; events known only to the month count from the
// first day of that month.
func (e PolicyEvent) Effective() string {
	t := e.Time
	if t == "" {
		t = "00:00"
	}
	return e.When.From.String() + " " + t
}

// CrossingStatus is the derived status of one crossing point on one day.
type CrossingStatus struct {
	Status string       // a CrossingStatuses code
	Since  *PolicyEvent // the event that set it; nil when no event applies
}

// StatusOn derives the status of the crossing point code at the end of day
// from events (in any order). A point with no status-changing event is open.
// Decisions, extensions and laws announce or prolong; they do not change
// status by themselves, so a decision to close on the 24th leaves the point
// open on the 22nd.
func StatusOn(code string, day Date, events []PolicyEvent) CrossingStatus {
	evs := append([]PolicyEvent(nil), events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Effective() < evs[j].Effective() })
	st := CrossingStatus{Status: "open"}
	limit := day.String() + " 23:59"
	for i := range evs {
		e := &evs[i]
		if e.Effective() > limit || !affects(e, code) {
			continue
		}
		switch e.Kind {
		case "closed":
			st = CrossingStatus{Status: "closed", Since: e}
		case "reopened":
			st = CrossingStatus{Status: "open", Since: e}
		case "restricted":
			st = CrossingStatus{Status: "restricted", Since: e}
		}
	}
	return st
}

func affects(e *PolicyEvent, code string) bool {
	for _, c := range e.CrossingPoints {
		if c == code {
			return true
		}
	}
	return false
}
