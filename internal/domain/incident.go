package domain

import "time"

// NationalityCount is how many people of one nationality were in a group;
// Count is nil when the nationality is known but not the number.
type NationalityCount struct {
	Country string `json:"country"`
	Count   *int   `json:"count"`
}

// Group describes the people an incident happened to, without identities
// (ESF person-as-group).
type Group struct {
	SizeMin       *int               `json:"size_min"`
	SizeMax       *int               `json:"size_max"`
	Minors        *int               `json:"minors"`
	Women         *int               `json:"women"`
	Nationalities []NationalityCount `json:"nationalities"`
}

// Verification is how well an incident is corroborated, who decided and why.
type Verification struct {
	Status string     `json:"status"`
	Reason string     `json:"reason"`
	SetBy  int64      `json:"set_by,omitempty"`
	SetAt  *time.Time `json:"set_at,omitempty"`
}

// Incident is one event at the border (ESF Event with its acts).
type Incident struct {
	Meta
	Title           string       `json:"title"` // short internal label
	When            FuzzyDate    `json:"when"`
	CrossingPoint   string       `json:"crossing_point"` // code; empty when not at a crossing point
	Place           string       `json:"place"`
	Lat             *float64     `json:"lat"`
	Lon             *float64     `json:"lon"`
	PlacePrecision  string       `json:"place_precision"`
	PushedFrom      []string     `json:"pushed_from"` // ISO countries; more than one = chain
	PushedTo        []string     `json:"pushed_to"`
	Kinds           []string     `json:"kinds"`
	Group           Group        `json:"group"`
	ViolenceTypes   []string     `json:"violence_types"`
	Perpetrator     string       `json:"perpetrator"`
	PerpetratorUnit string       `json:"perpetrator_unit"`
	AsylumRequested string       `json:"asylum_requested"`
	Outcome         string       `json:"outcome"`
	Verification    Verification `json:"verification"`
	Summary         string       `json:"summary"`        // internal
	PublicSummary   string       `json:"public_summary"` // written for publication
	Published       bool         `json:"published"`
}

// Normalize tidies free text and fills the "unknown" defaults.
func (in *Incident) Normalize() {
	for _, s := range []*string{&in.Title, &in.Place, &in.PerpetratorUnit, &in.Summary, &in.PublicSummary, &in.Verification.Reason, &in.CrossingPoint} {
		*s = CleanText(*s)
	}
	for _, s := range []*string{&in.PlacePrecision, &in.Perpetrator, &in.AsylumRequested, &in.Outcome} {
		if *s == "" {
			*s = Unknown
		}
	}
	if in.Verification.Status == "" {
		in.Verification.Status = "unverified"
	}
	if in.When.Precision == "" {
		in.When.Precision = Unknown
	}
}

// Validate reports every problem at once.
func (in *Incident) Validate() error {
	var p Problems
	if in.Title == "" {
		p.Add("title", "is required: a short label for lists")
	}
	checkText(&p, "title", in.Title, MaxShortText)
	in.When.Validate(&p, "when", false)
	if in.CrossingPoint != "" && !slugRE.MatchString(in.CrossingPoint) {
		p.Add("crossing_point", "%q is not a crossing point code", in.CrossingPoint)
	}
	checkText(&p, "place", in.Place, MaxShortText)
	checkLatLon(&p, in.Lat, in.Lon)
	checkVocab(&p, "place_precision", PlacePrecisions, in.PlacePrecision, true)
	for i := range in.PushedFrom {
		checkCountry(&p, "pushed_from", &in.PushedFrom[i])
	}
	for i := range in.PushedTo {
		checkCountry(&p, "pushed_to", &in.PushedTo[i])
	}
	if len(in.Kinds) == 0 {
		p.Add("kinds", "choose at least one kind")
	}
	checkVocabList(&p, "kinds", IncidentKinds, in.Kinds)
	checkVocabList(&p, "violence_types", ViolenceTypes, in.ViolenceTypes)
	in.Group.validate(&p)
	checkVocab(&p, "perpetrator", Authorities, in.Perpetrator, true)
	checkText(&p, "perpetrator_unit", in.PerpetratorUnit, MaxShortText)
	checkVocab(&p, "asylum_requested", TriStates, in.AsylumRequested, true)
	checkVocab(&p, "outcome", Outcomes, in.Outcome, true)
	checkVocab(&p, "verification_status", Verifications, in.Verification.Status, true)
	checkText(&p, "verification_reason", in.Verification.Reason, MaxText)
	checkText(&p, "summary", in.Summary, MaxText)
	checkText(&p, "public_summary", in.PublicSummary, MaxText)
	if in.Published && in.PublicSummary == "" {
		p.Add("public_summary", "write a public summary before publishing")
	}
	return p.Err()
}

func (g *Group) validate(p *Problems) {
	for name, v := range map[string]*int{"group_size_min": g.SizeMin, "group_size_max": g.SizeMax, "group_minors": g.Minors, "group_women": g.Women} {
		if v != nil && (*v < 0 || *v > 100_000) {
			p.Add(name, "must be between 0 and 100000")
		}
	}
	if g.SizeMin != nil && g.SizeMax != nil && *g.SizeMax < *g.SizeMin {
		p.Add("group_size_max", "is smaller than the minimum")
	}
	seen := map[string]bool{}
	for i := range g.Nationalities {
		n := &g.Nationalities[i]
		checkCountry(p, "group_nationalities", &n.Country)
		if n.Country == "" {
			p.Add("group_nationalities", "a nationality entry has no country")
		}
		if seen[n.Country] {
			p.Add("group_nationalities", "%s is listed twice", n.Country)
		}
		seen[n.Country] = true
		if n.Count != nil && *n.Count < 0 {
			p.Add("group_nationalities", "a count cannot be negative")
		}
	}
}

// LinkedSource is what verification needs to know about one linked testimony.
type LinkedSource struct {
	Relation string
	Narrator string // pseudonym or another key telling narrators apart
}

// ProposeVerification suggests a status from the linked testimonies
// (DESIGN §5): corroborated needs at least two independent narrators with at
// least one victim or eyewitness; hearsay alone stays unverified. Confirmed
// and disputed need a coordinator's judgement and are never proposed.
func ProposeVerification(sources []LinkedSource) (status, reason string) {
	narrators := map[string]bool{}
	direct := false
	for _, s := range sources {
		if s.Relation == "hearsay" {
			continue
		}
		narrators[s.Narrator] = true
		if s.Relation == "victim" || s.Relation == "eyewitness" {
			direct = true
		}
	}
	switch {
	case len(sources) == 0:
		return "unverified", "no linked testimony"
	case len(narrators) == 0:
		return "unverified", "only hearsay"
	case len(narrators) >= 2 && direct:
		return "corroborated", "two or more independent narrators, at least one direct"
	}
	return "unverified", "a single source"
}
