package store

import (
	"fmt"
	"testing"
	"time"

	"vigil/internal/domain"
)

func TestZZBulk(t *testing.T) {
	s := openTestSQLite(t)
	n := 30_000
	for _, pragma := range []string{"", "PRAGMA cache_size=-64000"} {
		if pragma != "" {
			_, err := s.w.ExecContext(ctx, pragma)
			mustOK(t, err)
		}
		t0 := time.Now()
		for b := 0; b < n; b += 10000 {
			batch := make([]domain.Incident, 10000)
			for i := range batch {
				j := b + i
				in := newIncident(fmt.Sprintf("%04d-%02d-%02d", 2015+j%10, 1+j%12, 1+j%28), fmt.Sprintf("incident %d", j))
				batch[i] = *in
			}
			mustOK(t, s.BulkInsertIncidents(ctx, batch))
		}
		t.Logf("%q bulk %d incidents: %v", pragma, n, time.Since(t0))
		t0 = time.Now()
		for b := 0; b < n; b += 10000 {
			batch := make([]domain.Testimony, 10000)
			for i := range batch {
				batch[i] = *newTestimony(fmt.Sprintf("%04d-%02d-%02d", 2015+i%10, 1+i%12, 1+i%28), "some narrative text about what happened at the border in the forest")
			}
			mustOK(t, s.BulkInsertTestimonies(ctx, batch))
		}
		t.Logf("%q bulk %d testimonies: %v", pragma, n, time.Since(t0))
	}
	rows, err := s.w.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT "+incidentColumns+" FROM incident_tags g JOIN incidents i ON i.id = g.incident_id WHERE g.dim = ? AND g.value = ? AND EXISTS (SELECT 1 FROM incident_tags g2 WHERE g2.incident_id = i.id AND g2.dim = ? AND g2.value = ?) ORDER BY g.when_from DESC, g.incident_id DESC LIMIT 51", "kind", "death", "nationality", "SY")
	mustOK(t, err)
	for rows.Next() {
		var a, b, c int
		var d string
		rows.Scan(&a, &b, &c, &d)
		t.Log(a, b, d)
	}
}
