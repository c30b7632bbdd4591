package store

import (
	"vigil/internal/domain"
)

// Fixtures are built in code: a valid record of each kind with the fields
// a test cares about as parameters.

func ptr[T any](v T) *T { return &v }

func newTestimony(received, narrative string) *domain.Testimony {
	t := &domain.Testimony{
		ReceivedOn:  domain.MustDate(received),
		Mode:        "in_person",
		Language:    "ar",
		Interpreter: true,
		Narrator:    domain.Narrator{Pseudonym: "A.", Nationality: "SY", AgeBand: "unknown", Gender: "man"},
		Consent:     domain.Consent{Store: true, QuotePublicly: true},
		Narrative:   narrative,
		Reliability: "unknown",
	}
	t.CreatedBy = 7
	return t
}

func newIncident(from, title string) *domain.Incident {
	in := &domain.Incident{
		Title:           title,
		When:            domain.FuzzyDate{From: domain.MustDate(from), To: domain.MustDate(from), Precision: "day"},
		CrossingPoint:   "vaalimaa",
		Place:           "forest north of the crossing",
		Lat:             ptr(60.6),
		Lon:             ptr(27.8),
		PlacePrecision:  "area",
		PushedFrom:      []string{"FI"},
		PushedTo:        []string{"RU"},
		Kinds:           []string{"pushback"},
		Group:           domain.Group{SizeMin: ptr(3), SizeMax: ptr(5), Nationalities: []domain.NationalityCount{{Country: "SY", Count: ptr(2)}, {Country: "SO"}}},
		ViolenceTypes:   []string{"beating"},
		Perpetrator:     "fi_border_guard",
		AsylumRequested: "yes",
		Outcome:         "pushed_back",
		Verification:    domain.Verification{Status: "unverified", Reason: "one source"},
		Summary:         "internal summary",
	}
	in.CreatedBy = 7
	return in
}

func newUser(name string) *domain.User {
	u := &domain.User{Username: name, DisplayName: "User " + name, Role: "monitor", Lang: "en", PasswordHash: "$argon2id$v=19$x"}
	u.CreatedBy = 1
	return u
}

func newCrossingPoint(code string) *domain.CrossingPoint {
	c := &domain.CrossingPoint{
		Code: code, NameEN: "Vaalimaa", NameFI: "Vaalimaa", NameRU: "Торфяновка",
		Country: "FI", OtherCountry: "RU", Counterpart: "Torfyanovka", Municipality: "Virolahti",
		Mode: "road", Lat: ptr(60.5868), Lon: ptr(27.8327), AccuracyKM: ptr(0.5),
	}
	c.CreatedBy = 1
	return c
}

func newPolicyEvent(from, kind string, points ...string) *domain.PolicyEvent {
	e := &domain.PolicyEvent{
		When:           domain.FuzzyDate{From: domain.MustDate(from), To: domain.MustDate(from), Precision: "day"},
		Time:           "00:00",
		Kind:           kind,
		CrossingPoints: points,
		Detail:         "Government decision",
		Source:         domain.Source{Publisher: "Finnish Government", URL: "https://valtioneuvosto.fi/x", RetrievedOn: domain.MustDate("2024-02-01")},
	}
	e.CreatedBy = 1
	return e
}

func newFigure(to, measure string, value int64) *domain.Figure {
	f := &domain.Figure{
		PeriodFrom: domain.MustDate("2023-08-01"), PeriodTo: domain.MustDate(to),
		Measure: measure, Breakdown: "total", Value: value, Unit: "persons", Approximation: "exact",
		Producer: "Finnish Border Guard",
		Source:   domain.Source{Publisher: "Yle", URL: "https://yle.fi/a", RetrievedOn: domain.MustDate("2024-01-10")},
	}
	f.CreatedBy = 1
	return f
}

func newCase(pseudonym, nationality string, assigned int64) *domain.AsylumCase {
	c := &domain.AsylumCase{
		Person: domain.Person{
			Pseudonym: pseudonym, Nationality: nationality, BirthYear: ptr(1995), Gender: "woman",
			Identity: domain.Identity{Name: "Real Name", DateOfBirth: domain.MustDate("1995-03-04"), Phone: "+358 40 000"},
		},
		ArrivedOn:          domain.MustDate("2023-11-20"),
		CrossingPoint:      "vaalimaa",
		AssignedTo:         assigned,
		ReceptionAllowance: ptr(320),
		Notes:              "note",
		Events: []domain.ProcedureEvent{
			{On: domain.MustDate("2023-12-01"), Kind: "interview_scheduled"},
			{On: domain.MustDate("2023-11-21"), Kind: "applied", Note: "at the border"},
		},
	}
	c.CreatedBy = 3
	return c
}
