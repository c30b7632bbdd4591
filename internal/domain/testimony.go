package domain

// Consent is what the narrator agreed to. Nothing is quoted or shared
// without the matching flag.
type Consent struct {
	Store             bool `json:"store"`
	QuotePublicly     bool `json:"quote_publicly"`
	ShareWithPartners bool `json:"share_with_partners"`
	LegalAction       bool `json:"legal_action"`
}

// Narrator describes who told the testimony. Every field is optional and the
// name is a pseudonym: Vigil never asks for a narrator's real name.
type Narrator struct {
	Pseudonym   string `json:"pseudonym"`
	Nationality string `json:"nationality"` // ISO 3166-1 alpha-2
	AgeBand     string `json:"age_band"`
	Gender      string `json:"gender"`
}

// Testimony is one account given by one narrator (ESF Information + source).
type Testimony struct {
	Meta
	ReceivedOn   Date     `json:"received_on"`
	RecordedBy   int64    `json:"recorded_by"`
	Mode         string   `json:"mode"`
	Language     string   `json:"language"` // BCP 47, the language the narrator spoke
	Interpreter  bool     `json:"interpreter"`
	Narrator     Narrator `json:"narrator"`
	Consent      Consent  `json:"consent"`
	Narrative    string   `json:"narrative"` // sensitive
	PublicQuotes string   `json:"public_quotes"`
	Reliability  string   `json:"reliability"`
}

// Normalize tidies free text and fills the "unknown" defaults.
func (t *Testimony) Normalize() {
	t.Narrator.Pseudonym = CleanText(t.Narrator.Pseudonym)
	t.Narrative = CleanText(t.Narrative)
	t.PublicQuotes = CleanText(t.PublicQuotes)
	t.Language = CleanText(t.Language)
	t.Narrator.Nationality = CleanText(t.Narrator.Nationality)
	for _, s := range []*string{&t.Mode, &t.Narrator.AgeBand, &t.Narrator.Gender, &t.Reliability} {
		if *s == "" {
			*s = Unknown
		}
	}
}

// Validate reports every problem at once.
func (t *Testimony) Validate() error {
	var p Problems
	if t.ReceivedOn.IsZero() {
		p.Add("received_on", "is required")
	}
	checkPlausible(&p, "received_on", t.ReceivedOn)
	checkVocab(&p, "mode", TestimonyModes, t.Mode, true)
	if t.Language != "" {
		if l, ok := NormalizeLanguage(t.Language); ok {
			t.Language = l
		} else {
			p.Add("language", "%q is not a language code such as ar, so or fi", t.Language)
		}
	}
	checkText(&p, "narrator_pseudonym", t.Narrator.Pseudonym, MaxShortText)
	checkCountry(&p, "narrator_nationality", &t.Narrator.Nationality)
	checkVocab(&p, "narrator_age_band", AgeBands, t.Narrator.AgeBand, true)
	checkVocab(&p, "narrator_gender", Genders, t.Narrator.Gender, true)
	if t.Narrative == "" {
		p.Add("narrative", "is required")
	}
	checkText(&p, "narrative", t.Narrative, MaxNarrative)
	checkText(&p, "public_quotes", t.PublicQuotes, MaxText)
	if t.PublicQuotes != "" && !t.Consent.QuotePublicly {
		p.Add("public_quotes", "the narrator has not consented to being quoted publicly")
	}
	if !t.Consent.Store {
		p.Add("consent_store", "a testimony can only be kept with the narrator's consent to store it")
	}
	checkVocab(&p, "reliability", Reliabilities, t.Reliability, true)
	return p.Err()
}

// Link ties a testimony to an incident it speaks of. Relation says how the
// narrator knows: it decides whether two testimonies are independent.
type Link struct {
	TestimonyID int64  `json:"testimony_id"`
	IncidentID  int64  `json:"incident_id"`
	Relation    string `json:"relation"`
	Note        string `json:"note"`
	CreatedBy   int64  `json:"created_by"`
}

// Validate reports every problem at once.
func (l *Link) Validate() error {
	var p Problems
	l.Note = CleanText(l.Note)
	if l.TestimonyID <= 0 {
		p.Add("testimony_id", "is required")
	}
	if l.IncidentID <= 0 {
		p.Add("incident_id", "is required")
	}
	checkVocab(&p, "relation", Relations, l.Relation, true)
	checkText(&p, "note", l.Note, MaxText)
	return p.Err()
}
