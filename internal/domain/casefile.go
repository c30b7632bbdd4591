package domain

// Identity holds the restricted fields of a person. Only roles granted
// identity access ever see them; everything else works with the pseudonym.
type Identity struct {
	Name        string `json:"name,omitempty"`
	DateOfBirth Date   `json:"date_of_birth,omitempty"`
	Phone       string `json:"phone,omitempty"`
}

// Person is someone followed through the asylum procedure.
type Person struct {
	Meta
	Pseudonym   string   `json:"pseudonym"`
	Nationality string   `json:"nationality"`
	BirthYear   *int     `json:"birth_year"` // approximate
	Gender      string   `json:"gender"`
	Identity    Identity `json:"identity"`
}

// Normalize tidies free text.
func (pe *Person) Normalize() {
	pe.Pseudonym = CleanText(pe.Pseudonym)
	pe.Identity.Name = CleanText(pe.Identity.Name)
	pe.Identity.Phone = CleanText(pe.Identity.Phone)
	if pe.Gender == "" {
		pe.Gender = Unknown
	}
}

// Validate reports every problem at once.
func (pe *Person) Validate() error {
	var p Problems
	pe.validate(&p, "")
	return p.Err()
}

func (pe *Person) validate(p *Problems, prefix string) {
	if pe.Pseudonym == "" {
		p.Add(prefix+"pseudonym", "is required")
	}
	checkText(p, prefix+"pseudonym", pe.Pseudonym, MaxShortText)
	checkCountry(p, prefix+"nationality", &pe.Nationality)
	if pe.BirthYear != nil && (*pe.BirthYear < 1900 || *pe.BirthYear > 2200) {
		p.Add(prefix+"birth_year", "must be between 1900 and 2200")
	}
	checkVocab(p, prefix+"gender", Genders, pe.Gender, true)
	checkText(p, prefix+"identity_name", pe.Identity.Name, MaxShortText)
	checkText(p, prefix+"identity_phone", pe.Identity.Phone, 50)
	checkPlausible(p, prefix+"identity_date_of_birth", pe.Identity.DateOfBirth)
}

// ProcedureEvent is one dated step of an asylum case.
type ProcedureEvent struct {
	ID   int64  `json:"id"`
	On   Date   `json:"on"`
	Kind string `json:"kind"`
	Note string `json:"note"`
}

// AsylumCase follows one person's wait through the asylum procedure.
// Waiting times are derived from the events, never typed in.
type AsylumCase struct {
	Meta
	Person             Person `json:"person"`
	ArrivedOn          Date   `json:"arrived_on"`
	CrossingPoint      string `json:"crossing_point"`
	AssignedTo         int64  `json:"assigned_to,omitempty"`
	ReceptionAllowance *int   `json:"reception_allowance_eur_month"` // euros a month, where known
	// StatusKnownOn is the last day the procedure's state was checked with
	// the person or their file. A wait with no interview yet is counted to
	// this day, not to today: after it, nobody knows whether it went on.
	StatusKnownOn Date             `json:"status_known_on"`
	Notes         string           `json:"notes"`
	Events        []ProcedureEvent `json:"events"`
}

// Normalize tidies free text.
func (c *AsylumCase) Normalize() {
	c.Person.Normalize()
	c.Notes = CleanText(c.Notes)
	c.CrossingPoint = CleanText(c.CrossingPoint)
	for i := range c.Events {
		c.Events[i].Note = CleanText(c.Events[i].Note)
	}
}

// Validate reports every problem at once.
func (c *AsylumCase) Validate() error {
	var p Problems
	c.Person.validate(&p, "person_")
	checkPlausible(&p, "arrived_on", c.ArrivedOn)
	checkPlausible(&p, "status_known_on", c.StatusKnownOn)
	if !c.StatusKnownOn.IsZero() && !c.ArrivedOn.IsZero() && c.StatusKnownOn.Before(c.ArrivedOn) {
		p.Add("status_known_on", "is before the arrival date")
	}
	if c.CrossingPoint != "" && !slugRE.MatchString(c.CrossingPoint) {
		p.Add("crossing_point", "%q is not a crossing point code", c.CrossingPoint)
	}
	if c.ReceptionAllowance != nil && (*c.ReceptionAllowance < 0 || *c.ReceptionAllowance > 100_000) {
		p.Add("reception_allowance_eur_month", "must be between 0 and 100000")
	}
	checkText(&p, "notes", c.Notes, MaxText)
	for _, e := range c.Events {
		if e.On.IsZero() {
			p.Add("events", "every procedure event needs a date")
		}
		checkPlausible(&p, "events", e.On)
		checkVocab(&p, "events", ProcedureEventKinds, e.Kind, true)
		checkText(&p, "events", e.Note, MaxText)
		if !c.ArrivedOn.IsZero() && !e.On.IsZero() && e.On.Before(c.ArrivedOn) {
			p.Add("events", "%s on %s is before the arrival date", e.Kind, e.On)
		}
	}
	return p.Err()
}

// Wait is a derived waiting time: from the start (application, else
// arrival) to the event waited for, or to today when it has not happened
// yet; Censored then says the wait is still going on.
type Wait struct {
	From     Date
	To       Date
	Days     int
	Censored bool
}

// InterviewWait derives how long the person has waited, or waited, for the
// asylum interview. A wait still open is censored at the day the status was
// last known, or today when that is not recorded.
func (c AsylumCase) InterviewWait(today Date) (Wait, bool) {
	if !c.StatusKnownOn.IsZero() && c.StatusKnownOn.Before(today) {
		today = c.StatusKnownOn
	}
	start := c.ArrivedOn
	for _, e := range c.Events {
		if e.Kind == "applied" && (start.IsZero() || e.On.Before(start)) {
			start = e.On
		}
	}
	if start.IsZero() {
		return Wait{}, false
	}
	for _, e := range c.Events {
		if e.Kind == "interviewed" {
			return Wait{From: start, To: e.On, Days: start.DaysUntil(e.On)}, true
		}
	}
	return Wait{From: start, To: today, Days: start.DaysUntil(today), Censored: true}, true
}
