package store

import (
	"cmp"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/domain"
)

// The lists filtered by words must give exactly the pages that filtering
// and sorting every record would: on SQLite through the index keyed in list
// order (listByText), with a window small enough that most pages need the
// general plan behind it too, and through both of the general plan's ways;
// on PostgreSQL through its own. Words are chosen so that some cluster in
// time (like month names) and some are spread; other conditions are chosen
// so that some pass most records and some few.
func TestTextFilteredListsMatchAnOracle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		rng := rand.New(rand.NewPCG(7, 11))
		day0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
		// Dates from 1969 (before the key's epoch) to 2025, most in 2023,
		// several records per day, a few undated.
		dateOf := func(i int) domain.Date {
			switch {
			case i%41 == 0:
				return domain.Date{}
			case i%37 == 0:
				return domain.MustDate("1969-12-31")
			}
			d := day0.AddDate(0, 0, rng.IntN(3*365)-30)
			return domain.MustDate(d.Format(time.DateOnly))
		}
		// "winter" only in records of December to February, "common" in
		// most, "rare" in few, "every" in all.
		textOf := func(d domain.Date) string {
			words := []string{"every"}
			if !d.IsZero() && (d.Month == 12 || d.Month <= 2) {
				words = append(words, "winter")
			}
			if rng.IntN(10) < 8 {
				words = append(words, "common")
			}
			if rng.IntN(30) == 0 {
				words = append(words, "rare")
			}
			return strings.Join(words, " ")
		}
		var tes []*domain.Testimony
		for i := range 400 {
			d := dateOf(i)
			te := newTestimony("2023-01-01", textOf(d))
			te.ReceivedOn = d
			// Records on both ends of the date range below, in every list.
			switch i {
			case 1, 2:
				te.ReceivedOn, te.Narrative = domain.MustDate("2023-11-15"), "every winter common rare"
			case 3:
				te.ReceivedOn, te.Narrative = domain.MustDate("2024-01-10"), "every winter common rare"
			}
			te.RecordedBy = int64(1 + i%9)
			if i%4 == 0 {
				te.Narrator.Nationality = "SO"
			}
			mustOK(t, s.CreateTestimony(ctx, te))
			tes = append(tes, te)
		}
		// An update that moves a record in time must move it in the index.
		tes[5].ReceivedOn, tes[5].Narrative = domain.MustDate("2023-12-24"), "every winter common rare"
		mustOK(t, s.UpdateTestimony(ctx, tes[5]))
		tes[5].Version++
		checkTextIndex(t, s)

		type tcase struct {
			name string
			f    TestimonyFilter
			keep func(*domain.Testimony) bool
		}
		has := func(te *domain.Testimony, w string) bool { return slices.Contains(strings.Fields(te.Narrative), w) }
		var cases []tcase
		for _, w := range []string{"winter", "common", "rare", "every", "winter common"} {
			ws := strings.Fields(w)
			match := func(te *domain.Testimony) bool {
				for _, x := range ws {
					if !has(te, x) {
						return false
					}
				}
				return true
			}
			cases = append(cases,
				tcase{w, TestimonyFilter{Query: w}, match},
				tcase{w + ", recorder 3", TestimonyFilter{Query: w, RecordedBy: 3}, func(te *domain.Testimony) bool { return match(te) && te.RecordedBy == 3 }},
				tcase{w + ", SO", TestimonyFilter{Query: w, Nationality: "SO"}, func(te *domain.Testimony) bool { return match(te) && te.Narrator.Nationality == "SO" }},
				tcase{w + ", ER (nobody)", TestimonyFilter{Query: w, Nationality: "ER"}, func(te *domain.Testimony) bool { return false }},
				tcase{w + ", SO, recorder 2", TestimonyFilter{Query: w, Nationality: "SO", RecordedBy: 2},
					func(te *domain.Testimony) bool {
						return match(te) && te.Narrator.Nationality == "SO" && te.RecordedBy == 2
					}},
				tcase{w + ", 2023-11-15..2024-01-10", TestimonyFilter{Query: w, ReceivedFrom: domain.MustDate("2023-11-15"), ReceivedTo: domain.MustDate("2024-01-10")},
					func(te *domain.Testimony) bool {
						d := te.ReceivedOn.String()
						return match(te) && d != "" && d >= "2023-11-15" && d <= "2024-01-10"
					}},
			)
		}
		want := func(c tcase) []int64 {
			return inListOrder(tes, c.keep, func(te *domain.Testimony) (string, int64) { return te.ReceivedOn.String(), te.ID })
		}
		walk := func(f TestimonyFilter, size int) []int64 {
			return walkPages(t, size, func(p domain.Page) ([]domain.Testimony, string, error) { return s.ListTestimonies(ctx, f, p) },
				func(te domain.Testimony) int64 { return te.ID })
		}
		plans := []struct {
			name   string
			window int
			walk   bool
		}{{"default", 0, false}}
		if s.Dialect() == "sqlite" {
			plans = append(plans, struct {
				name   string
				window int
				walk   bool
			}{"window 5", 5, false}, struct {
				name   string
				window int
				walk   bool
			}{"window 1, walking", 1, true})
		}
		for _, p := range plans {
			s.textWindow = p.window
			if s.Dialect() == "sqlite" {
				s.d = sqliteDialect{alwaysWalk: p.walk}
			}
			for _, c := range cases {
				for _, size := range []int{7, 50} {
					same(t, fmt.Sprintf("%s, %s, pages of %d", p.name, c.name, size), walk(c.f, size), want(c))
				}
			}
		}
		s.textWindow = 0
		if s.Dialect() == "sqlite" {
			s.d = sqliteDialect{}
		}

		// The search page reads the same first page.
		got, err := s.SearchTestimonies(ctx, "winter", 10)
		mustOK(t, err)
		var ids []int64
		for _, te := range got {
			ids = append(ids, te.ID)
		}
		same(t, "search page", ids, want(cases[0])[:10])
	})
}

// Incidents: the same, with the tag conditions, which the general plan
// drives from their own index and listByText checks per row.
func TestTextFilteredIncidentListsMatchAnOracle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		rng := rand.New(rand.NewPCG(3, 5))
		var ins []*domain.Incident
		for i := range 300 {
			d := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(700))
			words := []string{"every"}
			if d.Month() == 11 {
				words = append(words, "november")
			}
			if rng.IntN(3) > 0 {
				words = append(words, "common")
			}
			in := newIncident(d.Format(time.DateOnly), strings.Join(words, " "))
			if i%3 == 0 {
				in.Kinds = []string{"pushback", "violence"}
			}
			if i%5 == 0 {
				in.CrossingPoint = "vartius"
			}
			if i%23 == 0 {
				in.When = domain.FuzzyDate{}
			}
			mustOK(t, s.CreateIncident(ctx, in))
			ins = append(ins, in)
		}
		checkTextIndex(t, s)
		type icase struct {
			name string
			f    IncidentFilter
			keep func(*domain.Incident) bool
		}
		var cases []icase
		for _, w := range []string{"november", "common", "every"} {
			has := func(in *domain.Incident) bool { return slices.Contains(strings.Fields(in.Title), w) }
			cases = append(cases,
				icase{w, IncidentFilter{Query: w}, has},
				icase{w + ", violence", IncidentFilter{Query: w, Kind: "violence"}, func(in *domain.Incident) bool { return has(in) && slices.Contains(in.Kinds, "violence") }},
				icase{w + ", vartius", IncidentFilter{Query: w, CrossingPoint: "vartius"}, func(in *domain.Incident) bool { return has(in) && in.CrossingPoint == "vartius" }},
				icase{w + ", to 2023-12-01", IncidentFilter{Query: w, To: domain.MustDate("2023-12-01")}, func(in *domain.Incident) bool {
					return has(in) && !in.When.From.IsZero() && in.When.From.String() <= "2023-12-01"
				}},
			)
		}
		want := func(c icase) []int64 {
			return inListOrder(ins, c.keep, func(in *domain.Incident) (string, int64) { return in.When.From.String(), in.ID })
		}
		walk := func(f IncidentFilter, size int) []int64 {
			return walkPages(t, size, func(p domain.Page) ([]domain.Incident, string, error) { return s.ListIncidents(ctx, f, p) },
				func(in domain.Incident) int64 { return in.ID })
		}
		for _, window := range []int{0, 4} {
			s.textWindow = window
			for _, c := range cases {
				same(t, fmt.Sprintf("window %d, %s", window, c.name), walk(c.f, 6), want(c))
			}
		}
		s.textWindow = 0
	})
}

// inListOrder is the oracle: the ids of the records that keep keeps, in
// list order (date, then id, both descending).
func inListOrder[T any](recs []T, keep func(T) bool, key func(T) (string, int64)) []int64 {
	var kept []T
	for _, r := range recs {
		if keep(r) {
			kept = append(kept, r)
		}
	}
	slices.SortFunc(kept, func(a, b T) int {
		da, ia := key(a)
		db, ib := key(b)
		return cmp.Or(cmp.Compare(db, da), cmp.Compare(ib, ia))
	})
	ids := []int64{}
	for _, r := range kept {
		_, id := key(r)
		ids = append(ids, id)
	}
	return ids
}

// walkPages reads every page of a list, following the cursors, and returns
// the ids in the order read.
func walkPages[T any](t *testing.T, size int, list func(domain.Page) ([]T, string, error), id func(T) int64) []int64 {
	t.Helper()
	ids, cursor := []int64{}, ""
	for range 1000 {
		items, next, err := list(domain.Page{Limit: size, Cursor: cursor})
		mustOK(t, err)
		for _, it := range items {
			ids = append(ids, id(it))
		}
		if next == "" {
			return ids
		}
		cursor = next
	}
	t.Fatal("the pages never ended")
	return nil
}

// A sort key read back from the index names the list position it was made
// from, before and after 1970 and without a date.
func TestSortKeyCursor(t *testing.T) {
	s := openTestSQLite(t)
	for _, c := range []cursorKey{{K: "2023-11-24", ID: 42}, {K: "1969-12-31", ID: 1}, {K: "1900-02-28", ID: 7}, {K: "", ID: 9}, {K: "2099-12-31", ID: 1<<32 - 1}} {
		var key int64
		mustOK(t, s.r.QueryRowContext(ctx, `SELECT `+sortKeySQL("?", "?"), c.K, c.ID).Scan(&key))
		same(t, "cursor of the key of "+c.K, sortKeyCursor(key), c)
	}
}

// With no other condition, the page is read in the index's order and the
// engine sorts nothing: the cost does not grow with the matches.
func TestTextFilteredListReadsTheIndexInOrder(t *testing.T) {
	s := openTestSQLite(t)
	var plan []string
	rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT `+testimonyColumns+` FROM testimonies_fts JOIN testimonies t ON t.id = (testimonies_fts.rowid & 4294967295)
		WHERE testimonies_fts MATCH 'x' AND testimonies_fts.rowid >= 5 ORDER BY testimonies_fts.rowid DESC LIMIT 51`)
	mustOK(t, err)
	for rows.Next() {
		var id, parent, unused int
		var detail string
		mustOK(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	mustOK(t, rows.Err())
	text := strings.Join(plan, "; ")
	if strings.Contains(text, "TEMP B-TREE") || !strings.Contains(text, "VIRTUAL TABLE") || !strings.HasPrefix(plan[0], "SCAN testimonies_fts") {
		t.Fatalf("plan: %s", text)
	}
}

// Migration 0007 re-keys the indexes of an instance that already holds
// records: afterwards the index matches the records (integrity check
// against the views) and the lists find what they found before.
func TestMigrationRekeysExistingTextIndexes(t *testing.T) {
	s := openTestSQLite(t)
	for i := range 60 {
		te := newTestimony(fmt.Sprintf("2023-%02d-%02d", 1+i%12, 1+i%28), fmt.Sprintf("every word%d", i%3))
		mustOK(t, s.CreateTestimony(ctx, te))
		mustOK(t, s.CreateIncident(ctx, newIncident(fmt.Sprintf("2024-%02d-01", 1+i%12), fmt.Sprintf("every word%d", i%4))))
	}
	list := func() (te, in []int64) {
		a, _, err := s.ListTestimonies(ctx, TestimonyFilter{Query: "word1"}, domain.Page{Limit: 100})
		mustOK(t, err)
		b, _, err := s.ListIncidents(ctx, IncidentFilter{Query: "word2"}, domain.Page{Limit: 100})
		mustOK(t, err)
		for _, x := range a {
			te = append(te, x.ID)
		}
		for _, x := range b {
			in = append(in, x.ID)
		}
		return te, in
	}
	te0, in0 := list()
	if len(te0) != 20 || len(in0) != 15 {
		t.Fatalf("before: %d testimonies, %d incidents", len(te0), len(in0))
	}

	// Put the indexes back as migration 0001 made them (keyed by id),
	// filled from the records, and forget that 0007 ran.
	b, err := fs.ReadFile(migrationFiles(s.d), "0001_init.sql")
	mustOK(t, err)
	first := string(b)
	var old []string
	for _, table := range []string{"testimonies", "incidents"} {
		start := strings.Index(first, "CREATE VIRTUAL TABLE "+table+"_fts")
		end := strings.Index(first[start:], "END;\nCREATE TRIGGER")
		end += start + len("END;\n")
		end += strings.Index(first[end:], "END;") + len("END;")
		old = append(old, first[start:end])
	}
	_, err = s.w.ExecContext(ctx, `DROP TRIGGER testimonies_id_fits_the_key; DROP TRIGGER incidents_id_fits_the_key;
		DROP TRIGGER testimonies_fts_delete; DROP TRIGGER testimonies_fts_update; DROP TABLE testimonies_fts; DROP VIEW testimonies_fts_source;
		DROP TRIGGER incidents_fts_delete; DROP TRIGGER incidents_fts_update; DROP TABLE incidents_fts; DROP VIEW incidents_fts_source;
		`+strings.Join(old, "\n")+`
		INSERT INTO testimonies_fts (testimonies_fts) VALUES ('rebuild');
		INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild');
		DELETE FROM schema_migrations WHERE version = 7;`)
	mustOK(t, err)
	var key int64
	mustOK(t, s.r.QueryRowContext(ctx, `SELECT max(rowid) FROM testimonies_fts`).Scan(&key))
	if key > 1<<32 {
		t.Fatalf("the old index is keyed by id, yet its largest rowid is %d", key)
	}

	mustOK(t, migrate(ctx, s.w, s.d, migrationFiles(s.d), s.now))
	checkTextIndex(t, s)
	te1, in1 := list()
	same(t, "testimonies after the migration", te1, te0)
	same(t, "incidents after the migration", in1, in0)
}

// Every statement of a word-filtered list reads one snapshot: a record
// moved by a write between the window and the plan behind it appears on
// the page once, where it was when the list began.
func TestTextFilteredListReadsOneSnapshot(t *testing.T) {
	s := openTestSQLite(t)
	s.textWindow = 2
	var tes []*domain.Testimony
	for i := range 6 {
		te := newTestimony(fmt.Sprintf("2023-05-%02d", 10+i), "word")
		te.RecordedBy = int64(1 + i%2)
		mustOK(t, s.CreateTestimony(ctx, te))
		tes = append(tes, te)
	}
	var others where
	others.add("t.recorded_by = ?", 2)
	moved := false
	general := func(c conn, cur cursorKey, curOK bool, limit int) ([]domain.Testimony, error) {
		if !moved { // another writer moves the newest match far back
			moved = true
			newest := tes[5]
			newest.ReceivedOn = domain.MustDate("2023-01-01")
			if err := s.UpdateTestimony(ctx, newest); err != nil {
				return nil, err
			}
		}
		rows, err := c.query(ctx, `SELECT `+testimonyColumns+` FROM testimonies t WHERE t.recorded_by = 2 AND (t.received_on, t.id) < (?, ?)
			AND t.id IN (SELECT rowid & 4294967295 FROM testimonies_fts WHERE testimonies_fts MATCH 'word')
			ORDER BY t.received_on DESC, t.id DESC LIMIT ?`, cur.K, cur.ID, limit)
		return collect(rows, err, scanTestimony)
	}
	items, err := listByText(ctx, s, textListQuery[domain.Testimony]{table: "testimonies", alias: "t", cols: testimonyColumns,
		date: "t.received_on", scan: scanTestimony, others: others, general: general}, "word", cursorKey{}, false, 10)
	mustOK(t, err)
	var ids []int64
	for _, te := range items {
		ids = append(ids, te.ID)
	}
	if !moved {
		t.Fatal("the plan behind the window did not run")
	}
	same(t, "page", ids, []int64{tes[5].ID, tes[3].ID, tes[1].ID})
}

// An id that does not fit the key's 32 bits is refused, not misfiled.
func TestIDsAboveTheKeyAreRefused(t *testing.T) {
	s := openTestSQLite(t)
	mustOK(t, s.CreateTestimony(ctx, newTestimony("2023-05-01", "first")))
	_, err := s.w.ExecContext(ctx, `INSERT INTO testimonies SELECT 4294967296, received_on, recorded_by, mode, language, interpreter,
		narrator_pseudonym, narrator_nationality, narrator_age_band, narrator_gender, consent_store, consent_quote_publicly,
		consent_share_with_partners, consent_legal_action, narrative, public_quotes, reliability, version, created_at, updated_at,
		created_by, updated_by FROM testimonies LIMIT 1`)
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("a testimony with id 2^32 was stored: %v", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO testimonies SELECT 4294967295, received_on, recorded_by, mode, language, interpreter,
		narrator_pseudonym, narrator_nationality, narrator_age_band, narrator_gender, consent_store, consent_quote_publicly,
		consent_share_with_partners, consent_legal_action, narrative, public_quotes, reliability, version, created_at, updated_at,
		created_by, updated_by FROM testimonies LIMIT 1`)
	mustOK(t, err)
}
