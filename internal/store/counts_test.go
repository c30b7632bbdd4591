package store

import (
	"fmt"
	"testing"

	"vigil/internal/domain"
)

// truth counts straight from the tables, to check the kept counters.
func truth(t *testing.T, s *Store) Counts {
	t.Helper()
	r := s.reader()
	c := Counts{IncidentsByVerification: map[string]int64{}}
	mustOK(t, r.queryRow(ctx, `SELECT (SELECT count(*) FROM testimonies), (SELECT count(*) FROM incidents),
		(SELECT count(*) FROM asylum_cases), (SELECT count(*) FROM users)`).Scan(&c.Testimonies, &c.Incidents, &c.Cases, &c.Users))
	rows, err := r.query(ctx, `SELECT verification_status, count(*) FROM incidents GROUP BY verification_status`)
	mustOK(t, err)
	for rows.Next() {
		var (
			k string
			n int64
		)
		mustOK(t, rows.Scan(&k, &n))
		c.IncidentsByVerification[k] = n
	}
	rows.Close()
	rows, err = r.query(ctx, `SELECT substr(when_from, 1, 7) AS m, count(*) FROM incidents WHERE when_from <> ''
		GROUP BY substr(when_from, 1, 7) ORDER BY m`)
	mustOK(t, err)
	for rows.Next() {
		var mc MonthCount
		mustOK(t, rows.Scan(&mc.Month, &mc.N))
		c.IncidentsByMonth = append(c.IncidentsByMonth, mc)
	}
	rows.Close()
	if len(c.IncidentsByMonth) > monthsShown {
		c.IncidentsByMonth = c.IncidentsByMonth[len(c.IncidentsByMonth)-monthsShown:]
	}
	return c
}

func TestCounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		c, err := s.Counts(ctx)
		mustOK(t, err)
		same(t, "empty", c, Counts{IncidentsByVerification: map[string]int64{}})

		mustOK(t, s.CreateUser(ctx, newUser("aino")))
		mustOK(t, s.CreateCase(ctx, newCase("A", "SO", 1)))
		for i := range 5 {
			mustOK(t, s.CreateTestimony(ctx, newTestimony("2023-11-20", fmt.Sprint(i))))
		}
		// Thirty months of incidents: only the latest 24 are shown.
		var ins []*domain.Incident
		for i := range 30 {
			in := newIncident(fmt.Sprintf("%04d-%02d-15", 2022+i/12, 1+i%12), "x")
			in.Verification.Status = []string{"unverified", "corroborated", "confirmed"}[i%3]
			mustOK(t, s.CreateIncident(ctx, in))
			ins = append(ins, in)
		}
		undated := newIncident("2023-01-01", "undated")
		undated.When = domain.FuzzyDate{Precision: "unknown"}
		mustOK(t, s.CreateIncident(ctx, undated))

		// Updates move an incident between statuses and months.
		ins[0].Verification.Status = "disputed"
		ins[0].When.From, ins[0].When.To = domain.MustDate("2024-06-01"), domain.Date{}
		mustOK(t, s.UpdateIncident(ctx, ins[0]))
		undated.When = domain.FuzzyDate{From: domain.MustDate("2024-06-02"), Precision: "day"}
		mustOK(t, s.UpdateIncident(ctx, undated))
		ins[1].Title = "retitled only"
		mustOK(t, s.UpdateIncident(ctx, ins[1]))
		stale := *ins[2]
		stale.Version = 9
		stale.Verification.Status = "disputed"
		wantCode(t, s.UpdateIncident(ctx, &stale), domain.EConflict) // a refused update counts nothing

		// Bulk loads count too.
		mustOK(t, s.BulkInsertTestimonies(ctx, []domain.Testimony{*newTestimony("2023-12-01", "b1"), *newTestimony("2023-12-02", "b2")}))
		mustOK(t, s.BulkInsertIncidents(ctx, []domain.Incident{*newIncident("2024-07-01", "b1"), *newIncident("2024-07-02", "b2")}))

		c, err = s.Counts(ctx)
		mustOK(t, err)
		want := truth(t, s)
		same(t, "counts", c, want)
		checkTextIndex(t, s)
		if c.Testimonies != 7 || c.Incidents != 33 || c.Cases != 1 || c.Users != 1 || len(c.IncidentsByMonth) != monthsShown {
			t.Fatalf("counts: %+v", c)
		}
		if c.IncidentsByMonth[len(c.IncidentsByMonth)-1] != (MonthCount{"2024-07", 2}) || c.IncidentsByVerification["disputed"] != 1 {
			t.Fatalf("counts: %+v", c)
		}
	})
}
