package store

import "testing"

func TestSearchNewestFirst(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		var ids []int64
		for i, text := range []string{"the guard kicked him at the fence", "a quiet night, nothing happened", "another kicked man near the fence", "снегоход у границы"} {
			tm := newTestimony("2024-0"+string(rune('1'+i))+"-01", text)
			mustOK(t, s.CreateTestimony(ctx, tm))
			ids = append(ids, tm.ID)
		}
		got, err := s.SearchTestimonies(ctx, "Kicked FENCE", 10)
		mustOK(t, err)
		if len(got) != 2 || got[0].ID != ids[2] || got[1].ID != ids[0] {
			t.Fatalf("search found %+v", got)
		}
		if got, _ := s.SearchTestimonies(ctx, "снегоход", 10); len(got) != 1 || got[0].ID != ids[3] {
			t.Fatalf("cyrillic search found %d", len(got))
		}
		for _, q := range []string{`"`, `'; DROP TABLE testimonies; --`, `NEAR(`, `*`} {
			if _, err := s.SearchTestimonies(ctx, q, 10); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		}
		if got, _ := s.SearchTestimonies(ctx, "***", 10); got != nil {
			t.Fatalf("punctuation matched %d", len(got))
		}
		in := newIncident("2023-12-01", "Pushback at the fence")
		mustOK(t, s.CreateIncident(ctx, in))
		if got, err := s.SearchIncidents(ctx, "fence", 10); err != nil || len(got) != 1 || got[0].ID != in.ID {
			t.Fatalf("incident search %+v %v", got, err)
		}
	})
}

func TestOptimizeTextIndexKeepsMatches(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		tm := newTestimony("2024-02-01", "a cyclist kicked at the fence")
		mustOK(t, s.CreateTestimony(ctx, tm))
		mustOK(t, s.OptimizeTextIndex(ctx))
		if got, err := s.SearchTestimonies(ctx, "cyclist", 10); err != nil || len(got) != 1 {
			t.Fatalf("after optimize: %d, %v", len(got), err)
		}
	})
}
