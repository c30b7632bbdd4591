package store

import (
	"fmt"
	"testing"

	"vigil/internal/domain"
)

func TestCases(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		c := newCase("Amina", "SO", 5)
		mustOK(t, s.CreateCase(ctx, c))
		checkCreated(t, c.Meta)
		checkCreated(t, c.Person.Meta)
		if c.Events[0].Kind != "applied" || c.Events[0].ID <= 0 || c.Events[1].ID <= c.Events[0].ID {
			t.Fatalf("events after create are not in date order with IDs: %+v", c.Events)
		}
		got, err := s.GetCase(ctx, c.ID)
		mustOK(t, err)
		same(t, "get", got, *c)

		before, personBefore := c.Meta, c.Person.Meta
		c.Notes, c.ReceptionAllowance, c.UpdatedBy = "moved to Oulu", nil, 6
		c.Person.Identity.Phone, c.Person.BirthYear = "", nil
		c.Events = append(c.Events,
			domain.ProcedureEvent{On: domain.MustDate("2024-02-01"), Kind: "interviewed"},
			domain.ProcedureEvent{On: domain.MustDate("2023-11-22"), Kind: "registered"})
		c.Events = c.Events[1:] // drop "applied"
		mustOK(t, s.UpdateCase(ctx, c))
		checkUpdated(t, before, c.Meta)
		checkUpdated(t, personBefore, c.Person.Meta)
		got, err = s.GetCase(ctx, c.ID)
		mustOK(t, err)
		same(t, "after update", got, *c)
		var kinds []string
		for _, e := range got.Events {
			kinds = append(kinds, e.Kind)
		}
		same(t, "event order", kinds, []string{"registered", "interview_scheduled", "interviewed"})

		stale := *c
		stale.Version = 1
		wantCode(t, s.UpdateCase(ctx, &stale), domain.EConflict)
		stale.ID = 4040
		wantCode(t, s.UpdateCase(ctx, &stale), domain.ENotFound)
		_, err = s.GetCase(ctx, 4040)
		wantCode(t, err, domain.ENotFound)

		// A case whose events were all removed reads back without events.
		c.Events = nil
		mustOK(t, s.UpdateCase(ctx, c))
		got, _ = s.GetCase(ctx, c.ID)
		if len(got.Events) != 0 {
			t.Fatalf("events after removing them all: %+v", got.Events)
		}
	})
}

func TestListCases(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		var all []*domain.AsylumCase
		for i := range 12 {
			c := newCase(fmt.Sprintf("Person_%d%s", i, []string{"a", "B"}[i%2]), []string{"SO", "SY", "IQ"}[i%3], int64(1+i%2))
			if i == 4 {
				c.Events = nil
			}
			mustOK(t, s.CreateCase(ctx, c))
			all = append(all, c)
		}
		ids := func(keep func(i int) bool) []int64 {
			var out []int64
			for i := len(all) - 1; i >= 0; i-- {
				if keep(i) {
					out = append(out, all[i].ID)
				}
			}
			return out
		}
		for _, c := range []struct {
			name string
			f    CaseFilter
			keep func(i int) bool
		}{
			{"all", CaseFilter{}, func(int) bool { return true }},
			{"assigned", CaseFilter{AssignedTo: 2}, func(i int) bool { return i%2 == 1 }},
			{"nationality", CaseFilter{Nationality: "SY"}, func(i int) bool { return i%3 == 1 }},
			{"pseudonym", CaseFilter{Query: "son_1"}, func(i int) bool { return i == 1 || i == 10 || i == 11 }},
			{"pseudonym, any case", CaseFilter{Query: "PERSON_1"}, func(i int) bool { return i == 1 || i == 10 || i == 11 }},
			{"pseudonym, suffix", CaseFilter{Query: "b"}, func(i int) bool { return i%2 == 1 }},
			{"like wildcards are literal", CaseFilter{Query: "%"}, func(int) bool { return false }},
			{"underscore is literal", CaseFilter{Query: "n_"}, func(i int) bool { return true }},
			{"combined", CaseFilter{AssignedTo: 1, Nationality: "SO"}, func(i int) bool { return i%2 == 0 && i%3 == 0 }},
		} {
			for _, limit := range []int{1, 5, 100} {
				got := pageThrough(t, limit, func(p domain.Page) ([]domain.AsylumCase, string, error) {
					return s.ListCases(ctx, c.f, p)
				}, func(c domain.AsylumCase) int64 { return c.ID })
				same(t, fmt.Sprintf("%s, pages of %d", c.name, limit), got, ids(c.keep))
			}
		}
		list, _, err := s.ListCases(ctx, CaseFilter{}, domain.Page{Limit: 100})
		mustOK(t, err)
		for _, got := range list {
			for _, want := range all {
				if want.ID == got.ID {
					same(t, "listed case", got, *want)
				}
			}
		}
	})
}
