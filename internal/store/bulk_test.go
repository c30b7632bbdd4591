package store

import (
	"fmt"
	"testing"
	"time"

	"vigil/internal/domain"
)

func TestBulkInsert(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		// Enough rows that PostgreSQL's multi-row statements split in chunks.
		const nt, ni = 1500, 1000
		ts := make([]domain.Testimony, nt)
		for i := range ts {
			ts[i] = *newTestimony(fmt.Sprintf("2023-%02d-%02d", 1+i%12, 1+i%28), fmt.Sprintf("bulk narrative word%d", i))
		}
		imported := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
		ts[0].CreatedAt, ts[0].Version = imported, 3
		mustOK(t, s.BulkInsertTestimonies(ctx, ts))
		seen := map[int64]bool{}
		for i := range ts {
			if ts[i].ID <= 0 || seen[ts[i].ID] || ts[i].Version == 0 || ts[i].CreatedAt.IsZero() {
				t.Fatalf("testimony %d after bulk insert: %+v", i, ts[i].Meta)
			}
			seen[ts[i].ID] = true
		}
		for _, i := range []int{0, 1, nt / 2, nt - 1} {
			got, err := s.GetTestimony(ctx, ts[i].ID)
			mustOK(t, err)
			same(t, fmt.Sprintf("testimony %d", i), got, ts[i])
		}
		if !ts[0].CreatedAt.Equal(imported) || ts[0].Version != 3 || !ts[0].UpdatedAt.Equal(imported) {
			t.Fatalf("an imported record lost its history: %+v", ts[0].Meta)
		}
		list, _, err := s.ListTestimonies(ctx, TestimonyFilter{Query: "word1234"}, domain.Page{})
		mustOK(t, err)
		if len(list) != 1 || list[0].ID != ts[1234].ID {
			t.Fatalf("search after bulk insert: %d results", len(list))
		}

		ins := make([]domain.Incident, ni)
		for i := range ins {
			ins[i] = *newIncident(fmt.Sprintf("2023-%02d-%02d", 1+i%12, 1+i%28), fmt.Sprintf("bulk incident title%d", i))
			if i%10 == 0 {
				ins[i].Kinds = []string{"death"}
			}
		}
		mustOK(t, s.BulkInsertIncidents(ctx, ins))
		for _, i := range []int{0, ni / 2, ni - 1} {
			got, err := s.GetIncident(ctx, ins[i].ID)
			mustOK(t, err)
			same(t, fmt.Sprintf("incident %d", i), got, ins[i])
		}
		got := pageThrough(t, 37, func(p domain.Page) ([]domain.Incident, string, error) {
			return s.ListIncidents(ctx, IncidentFilter{Kind: "death"}, p)
		}, func(in domain.Incident) int64 { return in.ID })
		if len(got) != ni/10 {
			t.Fatalf("kind filter after bulk insert: %d incidents, want %d", len(got), ni/10)
		}
		list2, _, err := s.ListIncidents(ctx, IncidentFilter{Query: "title777"}, domain.Page{})
		mustOK(t, err)
		if len(list2) != 1 || list2[0].ID != ins[777].ID {
			t.Fatalf("search after bulk insert: %+v", list2)
		}

		// A bad record stops the whole call before anything is written.
		bad := []domain.Testimony{*newTestimony("2023-01-01", "fine"), *newTestimony("2023-01-01", "bad")}
		bad[1].ReceivedOn = domain.Date{Year: 2023, Month: 2, Day: 30}
		wantCode(t, s.BulkInsertTestimonies(ctx, bad), domain.EInvalid)
		c, err := s.Counts(ctx)
		mustOK(t, err)
		if c.Testimonies != nt || c.Incidents != ni {
			t.Fatalf("counts after bulk: %+v", c)
		}
		mustOK(t, s.BulkInsertTestimonies(ctx, nil))
		checkTextIndex(t, s)
	})
}
