package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	"vigil/internal/domain"
)

// FuzzListFilters runs the list queries with whatever a client can put in
// the search box and the cursor, on a real database: SQLite always, and
// PostgreSQL too when TEST_POSTGRES_URL is set. The engine must accept every query the store builds: a
// search is answered or refused as invalid input, never a database error,
// and the need-to-know filter holds whatever the text.
func FuzzListFilters(f *testing.F) {
	type engine struct {
		s            *Store
		owner, other int64
	}
	open := func(cfg Config) engine {
		s, err := Open(context.Background(), cfg)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { s.Close() })
		owner, other := newUser("owner"), newUser("other")
		for _, u := range []*domain.User{owner, other} {
			if err := s.CreateUser(ctx, u); err != nil {
				f.Fatal(err)
			}
		}
		for i, by := range []int64{owner.ID, other.ID, other.ID} {
			tm := newTestimony(fmt.Sprintf("2024-02-%02d", i+1), "we were pushed back across the river at night")
			tm.RecordedBy = by
			if err := s.CreateTestimony(ctx, tm); err != nil {
				f.Fatal(err)
			}
		}
		if err := s.CreateIncident(ctx, newIncident("2023-11-24", "group turned back at the river")); err != nil {
			f.Fatal(err)
		}
		// Control: the search finds the owner's testimony and only it.
		if ts, _, err := s.ListTestimonies(ctx, TestimonyFilter{Query: "river", VisibleTo: owner.ID}, domain.Page{Limit: 10}); err != nil || len(ts) != 1 {
			f.Fatalf("%s: search for the owner: %d results, %v", s.Dialect(), len(ts), err)
		}
		return engine{s, owner.ID, other.ID}
	}
	key := make([]byte, KeySize)
	_, _ = rand.Read(key)
	engines := []engine{open(Config{Dir: f.TempDir(), Key: key, Now: testClock()})}
	if base := os.Getenv("TEST_POSTGRES_URL"); base != "" {
		engines = append(engines, open(Config{DatabaseURL: pgSchemaURL(f, base), Now: testClock(), AuditKey: key}))
	}
	for _, s := range []string{"river", "RIVER night", `"river`, "river*", "NEAR(river night)", "river OR 1=1", `'; DROP TABLE testimonies; --`,
		`\`, "%", "_", "\x00", "\xff", "a:b", "-river", "river^2", "()", "مزلجة", ""} {
		f.Add(s, "")
	}
	f.Add("river", encodeCursor("2024-02-03", 3))
	f.Add("", encodeCursor("' OR '1'='1", 1))
	f.Add("", encodeCursor("\x00", 9))
	f.Add("", "not a cursor")
	f.Fuzz(func(t *testing.T, q, cursor string) {
		for _, e := range engines {
			ok := func(what string, err error) bool {
				if err == nil {
					return true
				}
				if domain.ErrorCode(err) != domain.EInvalid {
					t.Fatalf("%s %s q=%q cursor=%q: %v", e.s.Dialect(), what, q, cursor, err)
				}
				return false
			}
			page := domain.Page{Cursor: cursor, Limit: 10}
			ts, _, err := e.s.ListTestimonies(ctx, TestimonyFilter{Query: q, VisibleTo: e.owner}, page)
			if ok("testimonies", err) {
				for _, tm := range ts {
					if tm.RecordedBy != e.owner {
						t.Fatalf("%s q=%q cursor=%q: testimony %d of another user listed", e.s.Dialect(), q, cursor, tm.ID)
					}
				}
			}
			_, _, err = e.s.ListIncidents(ctx, IncidentFilter{Query: q}, page)
			ok("incidents", err)
			_, _, err = e.s.ListCases(ctx, CaseFilter{Query: q, AssignedTo: e.other}, page)
			ok("cases", err)
		}
	})
}

// pgSchemaURL is pgTestURL for any test or fuzz target: a schema of its
// own, dropped at the end.
func pgSchemaURL(tb testing.TB, base string) string {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_fz_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		tb.Fatalf("create test schema (is TEST_POSTGRES_URL right?): %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop test schema: %v", err)
		}
		admin.Close()
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
