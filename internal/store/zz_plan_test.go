package store

import (
	"fmt"
	"os"
	"testing"
	"time"

	"vigil/internal/domain"
)

func TestZZPlan(t *testing.T) {
	var s *Store
	if u := os.Getenv("ZZ_PG"); u != "" {
		s = openTestPostgres(t, u)
	} else {
		s = openTestSQLite(t)
	}
	n := 200_000
	kinds := []string{"pushback", "violence", "detention", "death", "injury"}
	nats := []string{"SY", "SO", "YE", "IQ", "TR", "AF", "MA", "ER"}
	t0 := time.Now()
	for b := 0; b < n; b += 10000 {
		batch := make([]domain.Incident, 10000)
		for i := range batch {
			j := b + i
			in := newIncident(fmt.Sprintf("%04d-%02d-%02d", 2015+j%10, 1+j%12, 1+j%28), fmt.Sprintf("incident %d", j))
			in.Kinds = []string{kinds[j%5]}
			if j%1000 == 0 {
				in.Kinds = append(in.Kinds, "family_separation")
			}
			in.Group.Nationalities = []domain.NationalityCount{{Country: nats[j%8]}}
			in.Published = j%3 == 0
			in.Verification.Status = []string{"unverified", "corroborated", "confirmed", "disputed"}[j%4]
			batch[i] = *in
		}
		mustOK(t, s.BulkInsertIncidents(ctx, batch))
	}
	t.Logf("%s bulk %d incidents: %v", s.Dialect(), n, time.Since(t0))
	if s.Dialect() == "postgres" {
		_, err := s.w.ExecContext(ctx, "ANALYZE")
		mustOK(t, err)
	}
	yes := true
	for _, f := range []IncidentFilter{{}, {Kind: "pushback"}, {Kind: "family_separation"}, {Nationality: "SY", Kind: "death"},
		{Published: &yes}, {Verification: "disputed"}, {CrossingPoint: "vaalimaa"}, {Query: "incident"}, {Query: "incident 12345"},
		{From: domain.MustDate("2020-01-01"), To: domain.MustDate("2020-03-01")}, {Kind: "family_separation", Published: &yes}} {
		var cursor string
		var worst time.Duration
		for p := 0; p < 5; p++ {
			t1 := time.Now()
			_, next, err := s.ListIncidents(ctx, f, domain.Page{Limit: 50, Cursor: cursor})
			mustOK(t, err)
			if d := time.Since(t1); d > worst {
				worst = d
			}
			cursor = next
			if next == "" {
				break
			}
		}
		t.Logf("%+v worst page %v", f, worst)
	}
	t1 := time.Now()
	c, err := s.Counts(ctx)
	mustOK(t, err)
	t.Logf("counts %v %d", time.Since(t1), c.Incidents)
}
