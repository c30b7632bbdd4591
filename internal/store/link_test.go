package store

import (
	"testing"

	"vigil/internal/domain"
)

func TestLinks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		t1 := newTestimony("2023-11-20", "first")
		t2 := newTestimony("2023-11-22", "second")
		in1 := newIncident("2023-11-18", "one")
		in2 := newIncident("2023-11-19", "two")
		for _, te := range []*domain.Testimony{t1, t2} {
			mustOK(t, s.CreateTestimony(ctx, te))
		}
		for _, in := range []*domain.Incident{in1, in2} {
			mustOK(t, s.CreateIncident(ctx, in))
		}

		l := domain.Link{TestimonyID: t1.ID, IncidentID: in1.ID, Relation: "victim", Note: "first hand", CreatedBy: 7}
		mustOK(t, s.Link(ctx, l))
		mustOK(t, s.Link(ctx, domain.Link{TestimonyID: t2.ID, IncidentID: in1.ID, Relation: "hearsay", CreatedBy: 8}))
		mustOK(t, s.Link(ctx, domain.Link{TestimonyID: t1.ID, IncidentID: in2.ID, Relation: "eyewitness", CreatedBy: 7}))

		li, err := s.LinksOfIncident(ctx, in1.ID)
		mustOK(t, err)
		if len(li) != 2 || li[0].Testimony.ID != t2.ID || li[1].Testimony.ID != t1.ID {
			t.Fatalf("links of incident: %+v", li)
		}
		same(t, "link", li[1].Link, l)
		same(t, "linked testimony", li[1].Testimony, *t1)

		lt, err := s.LinksOfTestimony(ctx, t1.ID)
		mustOK(t, err)
		if len(lt) != 2 || lt[0].Incident.ID != in2.ID || lt[1].Incident.ID != in1.ID {
			t.Fatalf("links of testimony: %+v", lt)
		}
		same(t, "linked incident", lt[1].Incident, *in1)
		same(t, "link relation", lt[0].Link.Relation, "eyewitness")

		// Linking again changes the relation and note, and keeps the creator.
		mustOK(t, s.Link(ctx, domain.Link{TestimonyID: t1.ID, IncidentID: in1.ID, Relation: "eyewitness", Note: "", CreatedBy: 99}))
		li, _ = s.LinksOfIncident(ctx, in1.ID)
		same(t, "updated link", li[1].Link, domain.Link{TestimonyID: t1.ID, IncidentID: in1.ID, Relation: "eyewitness", CreatedBy: 7})

		wantCode(t, s.Link(ctx, domain.Link{TestimonyID: 999, IncidentID: in1.ID, Relation: "victim"}), domain.ENotFound)
		err = s.Link(ctx, domain.Link{TestimonyID: t1.ID, IncidentID: 999, Relation: "victim"})
		wantCode(t, err, domain.ENotFound)
		if domain.ErrorMessage(err) != "incident not found" {
			t.Fatalf("message %q", domain.ErrorMessage(err))
		}

		mustOK(t, s.Unlink(ctx, t2.ID, in1.ID))
		wantCode(t, s.Unlink(ctx, t2.ID, in1.ID), domain.ENotFound)
		wantCode(t, s.Unlink(ctx, 999, 999), domain.ENotFound)
		li, _ = s.LinksOfIncident(ctx, in1.ID)
		if len(li) != 1 || li[0].Testimony.ID != t1.ID {
			t.Fatalf("after unlink: %+v", li)
		}
		li, err = s.LinksOfIncident(ctx, 999)
		mustOK(t, err)
		if len(li) != 0 {
			t.Fatal("links of a missing incident")
		}
	})
}
