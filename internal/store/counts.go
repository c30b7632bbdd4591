package store

import (
	"cmp"
	"context"
	"slices"

	"vigil/internal/domain"
)

// Counts are the totals on the staff dashboard.
type Counts struct {
	Testimonies             int64
	Incidents               int64
	Cases                   int64
	Users                   int64
	IncidentsByVerification map[string]int64 // status → incidents; statuses with none are absent
	IncidentsByMonth        []MonthCount     // the latest 24 months that have incidents, oldest first
}

// MonthCount is the number of incidents that began in one month.
type MonthCount struct {
	Month string // YYYY-MM
	N     int64
}

// monthsShown is how many months of incidents the dashboard shows.
const monthsShown = 24

// Counter kinds in the counters table. Testimonies and incidents are
// counted as they are written, because counting millions of rows per
// dashboard view is too slow; cases and users are few and counted directly.
// The row totals are named after their tables: the SQLite full-text
// planner (dialect.go) looks them up by table name.
const (
	counterTestimonies  = "testimonies"
	counterIncidents    = "incidents"
	counterVerification = "incident_verification"
	counterMonth        = "incident_month"
)

type counterKey struct{ kind, key string }

// counterDeltas are the changes one write makes to the counters.
type counterDeltas map[counterKey]int64

// incident adds (sign 1) or removes (sign -1) what in contributes.
func (d counterDeltas) incident(in *domain.Incident, sign int64) {
	d[counterKey{counterIncidents, ""}] += sign
	d[counterKey{counterVerification, in.Verification.Status}] += sign
	if from := dateText(in.When.From); from != "" {
		d[counterKey{counterMonth, from[:7]}] += sign
	}
}

// addCounters applies d in the caller's transaction. Keys are applied in
// sorted order so that two concurrent PostgreSQL transactions lock counter
// rows in the same order and cannot deadlock.
func addCounters(ctx context.Context, c conn, d counterDeltas) error {
	keys := make([]counterKey, 0, len(d))
	for k, n := range d {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b counterKey) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.key, b.key))
	})
	for _, k := range keys {
		if _, err := c.exec(ctx, `INSERT INTO counters (kind, key, n) VALUES (?, ?, ?)
			ON CONFLICT (kind, key) DO UPDATE SET n = counters.n + excluded.n`, k.kind, k.key, d[k]); err != nil {
			return err
		}
	}
	return nil
}

// Counts returns the dashboard totals.
func (s *Store) Counts(ctx context.Context) (_ Counts, err error) {
	defer s.fail(&err)
	r := s.reader()
	out := Counts{IncidentsByVerification: map[string]int64{}}
	if err := r.queryRow(ctx, `SELECT
		(SELECT count(*) FROM asylum_cases), (SELECT count(*) FROM users)`).Scan(&out.Cases, &out.Users); err != nil {
		return out, err
	}
	rows, err := r.query(ctx, `SELECT kind, key, n FROM counters WHERE n > 0`)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind, key string
			n         int64
		)
		if err := rows.Scan(&kind, &key, &n); err != nil {
			return out, err
		}
		switch kind {
		case counterTestimonies:
			out.Testimonies = n
		case counterIncidents:
			out.Incidents = n
		case counterVerification:
			out.IncidentsByVerification[key] = n
		case counterMonth:
			out.IncidentsByMonth = append(out.IncidentsByMonth, MonthCount{Month: key, N: n})
		}
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	slices.SortFunc(out.IncidentsByMonth, func(a, b MonthCount) int { return cmp.Compare(a.Month, b.Month) })
	if len(out.IncidentsByMonth) > monthsShown {
		out.IncidentsByMonth = out.IncidentsByMonth[len(out.IncidentsByMonth)-monthsShown:]
	}
	return out, nil
}
