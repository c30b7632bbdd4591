package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/ext/fts5"

	"vigil/internal/app"
	"vigil/internal/demo"
	"vigil/internal/domain"
	"vigil/internal/store"
)

// queryProfile is an in-process look at the searches, made when
// --profile-search names words: the store calls the search page makes,
// timed and CPU-profiled, and the SQL steps behind them timed one by one
// on the raw handle, to show which step costs what.
type queryProfile struct {
	Calls []queryTiming
	Steps []queryTiming
	File  string
	Top   string
	Note  string
	Sweep *wordSweep
}

// wordSweep is the word-filtered lists timed for every word the generator
// writes, so that no word is left out by choosing a few to measure.
type wordSweep struct {
	Words           int
	Slowest         []sweptWord // the slowest ten, slowest first
	OverTestimonies int         // words whose testimony list took more than 50 ms
	OverIncidents   int
	Note            string
}

type sweptWord struct {
	Word                   string
	Testimonies, Incidents time.Duration
}

type queryTiming struct {
	What   string
	N      int
	Median time.Duration
	Max    time.Duration
	Rows   int
}

func timeIt(n int, f func() (int, error)) (queryTiming, error) {
	var ds []time.Duration
	rows := 0
	for range n {
		t0 := time.Now()
		r, err := f()
		if err != nil {
			return queryTiming{}, err
		}
		ds = append(ds, time.Since(t0))
		rows = r
	}
	slices.Sort(ds)
	return queryTiming{N: n, Median: ds[len(ds)/2], Max: ds[len(ds)-1], Rows: rows}, nil
}

// latestMigration is the newest schema version this tool's store knows,
// read from a throwaway database.
func latestMigration(ctx context.Context, dir string) (int, error) {
	tmp, err := os.MkdirTemp(dir, "schema-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	key := make([]byte, store.KeySize)
	st, err := store.Open(ctx, store.Config{Dir: tmp, Key: key})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	v := 0
	for _, m := range ms {
		v = max(v, m.Version)
	}
	return v, nil
}

func profileSearch(ctx context.Context, o options, ds *dataset, words []string) (*queryProfile, error) {
	key, err := app.ReadKeyFile(ds.KeyFile)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(ds.Dir, store.DBFile)
	db, err := driver.Open(sqliteDSN(path, hex.EncodeToString(key), "query_only(1)"), func(c *sqlite3.Conn) error { return fts5.Register(c) })
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	qp := &queryProfile{File: filepath.Join(o.work, "search.cpu.pprof")}

	// store.Open migrates, so the store calls are made only when this
	// tool's store has the data set's schema version: profiling must not
	// change the data set under the binary being measured.
	var dsVersion int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&dsVersion); err != nil {
		return nil, err
	}
	toolVersion, err := latestMigration(ctx, o.work)
	if err != nil {
		return nil, err
	}
	if dsVersion == toolVersion {
		if err := profileStoreCalls(ctx, ds, key, words, qp); err != nil {
			return nil, err
		}
	} else {
		qp.Note = fmt.Sprintf("The store calls were skipped: the data set has schema version %d and this tool's store %d (build the tool from the same source as the binary).", dsVersion, toolVersion)
		log.Print(qp.Note)
	}

	// The SQL steps on a read-only connection, with each word quoted as the
	// store quotes it ("word").
	count := func(q string, args ...any) func() (int, error) {
		return func() (int, error) {
			var c int
			return c, db.QueryRowContext(ctx, q, args...).Scan(&c)
		}
	}
	list := func(q string, args ...any) func() (int, error) {
		return func() (int, error) {
			rows, err := db.QueryContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			c := 0
			for rows.Next() {
				c++
			}
			return c, rows.Err()
		}
	}
	for _, w := range words {
		for _, table := range []string{"testimonies", "incidents"} {
			order, date := "t.received_on DESC, t.id DESC", "t.received_on"
			if table == "incidents" {
				order, date = "t.when_from DESC, t.id DESC", "t.when_from"
			}
			fts := table + "_fts"
			// The index's rowid is the record's sort key (store.sortKeySQL).
			key := store.SortKeySQL(date, "t.id")
			for _, m := range []string{`"` + w + `"`} {
				type step struct {
					what string
					f    func() (int, error)
				}
				steps := []step{
					{fmt.Sprintf("count(*) of %s MATCH '%s' (all matches)", fts, m), count(`SELECT count(*) FROM `+fts+` WHERE `+fts+` MATCH ?`, m)},
					{fmt.Sprintf("%s MATCH '%s': the index read in its own order, which is list order, first 51 (the window of store.listByText, no other condition)", table, m),
						list(`SELECT t.* FROM `+fts+` JOIN `+table+` t ON t.id = (`+fts+`.rowid & 4294967295) WHERE `+fts+` MATCH ? ORDER BY `+fts+`.rowid DESC LIMIT 51`, m)},
					{fmt.Sprintf("%s MATCH '%s': matches sorted into list order, first 51 (general plan, “IN”)", table, m),
						list(`SELECT t.* FROM `+table+` t WHERE t.id IN (SELECT rowid & 4294967295 FROM `+fts+` WHERE `+fts+` MATCH ?) ORDER BY `+order+` LIMIT 51`, m)},
					{fmt.Sprintf("%s MATCH '%s': list order, MATCH asked per row, first 51 (general plan, “EXISTS”)", table, m),
						list(`SELECT t.* FROM `+table+` t WHERE EXISTS (SELECT 1 FROM `+fts+` WHERE `+fts+` MATCH ? AND rowid = `+key+`) ORDER BY `+order+` LIMIT 51`, m)},
				}
				for _, s := range steps {
					// A step slower than a second is timed once.
					t, err := timeIt(1, s.f)
					if err == nil && t.Median < time.Second {
						t, err = timeIt(3, s.f)
					}
					if err != nil {
						return nil, fmt.Errorf("%s: %w", s.what, err)
					}
					t.What = s.what
					qp.Steps = append(qp.Steps, t)
					log.Printf("search step %-110s median %s rows %d", t.What, ms(t.Median), t.Rows)
				}
			}
		}
	}
	return qp, nil
}

// profileStoreCalls times and profiles the store calls of the search page
// (service.Search: testimonies, then incidents, 50 each) and of the list
// pages filtered by the same words.
func profileStoreCalls(ctx context.Context, ds *dataset, key []byte, words []string, qp *queryProfile) error {
	st, err := store.Open(ctx, store.Config{Dir: ds.Dir, Key: key})
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := os.Create(qp.File)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	const n = 15
	for _, w := range words {
		// What the search page calls.
		t, err := timeIt(n, func() (int, error) {
			items, err := st.SearchTestimonies(ctx, w, 50)
			return len(items), err
		})
		if err != nil {
			return err
		}
		t.What = fmt.Sprintf("store.SearchTestimonies(%q, 50) (search page)", w)
		qp.Calls = append(qp.Calls, t)
		t, err = timeIt(n, func() (int, error) {
			items, err := st.SearchIncidents(ctx, w, 50)
			return len(items), err
		})
		if err != nil {
			return err
		}
		t.What = fmt.Sprintf("store.SearchIncidents(%q, 50) (search page)", w)
		qp.Calls = append(qp.Calls, t)
		// What the list pages call when filtered by words (?q=).
		t, err = timeIt(n, func() (int, error) {
			items, _, err := st.ListTestimonies(ctx, store.TestimonyFilter{Query: w}, domain.Page{Limit: 50})
			return len(items), err
		})
		if err != nil {
			return err
		}
		t.What = fmt.Sprintf("store.ListTestimonies(Query: %q, Limit: 50) (list page ?q=)", w)
		qp.Calls = append(qp.Calls, t)
		t, err = timeIt(n, func() (int, error) {
			items, _, err := st.ListIncidents(ctx, store.IncidentFilter{Query: w}, domain.Page{Limit: 50})
			return len(items), err
		})
		if err != nil {
			return err
		}
		t.What = fmt.Sprintf("store.ListIncidents(Query: %q, Limit: 50) (list page ?q=)", w)
		qp.Calls = append(qp.Calls, t)
	}
	// A word with another filter that few or none of its matches pass: the
	// first 2,000 matches do not fill the page, and the rest comes from the
	// merge with the filter's index (store.mergeByText). Median of 5.
	for _, c := range []struct {
		word, nationality string
	}{{"november", "YE"}, {"november", "MA"}, {"border", "YE"}, {"border", "MA"}, {demo.RareWordEN, "YE"}, {"november", "SY"}} {
		t, err := timeIt(5, func() (int, error) {
			items, _, err := st.ListTestimonies(ctx, store.TestimonyFilter{Query: c.word, Nationality: c.nationality}, domain.Page{Limit: 50})
			return len(items), err
		})
		if err != nil {
			return err
		}
		t.What = fmt.Sprintf("store.ListTestimonies(Query: %q, Nationality: %q, Limit: 50) (a word and another filter)", c.word, c.nationality)
		qp.Calls = append(qp.Calls, t)
	}
	for _, c := range []struct{ word, kind string }{{"november", "death"}, {"border", "death"}} {
		t, err := timeIt(5, func() (int, error) {
			items, _, err := st.ListIncidents(ctx, store.IncidentFilter{Query: c.word, Kind: c.kind}, domain.Page{Limit: 50})
			return len(items), err
		})
		if err != nil {
			return err
		}
		t.What = fmt.Sprintf("store.ListIncidents(Query: %q, Kind: %q, Limit: 50) (a word and another filter)", c.word, c.kind)
		qp.Calls = append(qp.Calls, t)
	}
	pprof.StopCPUProfile()
	qp.Top = pprofTop(qp.File, true)
	qp.Sweep = sweepWords(ctx, st)
	return nil
}

// sweepWords times the first page (50) of the testimony and incident lists
// filtered by each word of the generator's phrase banks, read from its
// source (the tool runs from the repository root), once each after one
// call to warm the pages it reads.
func sweepWords(ctx context.Context, st *store.Store) *wordSweep {
	sw := &wordSweep{}
	src, err := os.ReadFile(filepath.Join("internal", "demo", "gen_text.go"))
	if err != nil {
		sw.Note = "skipped: " + err.Error()
		return sw
	}
	seen := map[string]bool{}
	var words []string
	for _, lit := range regexp.MustCompile(`"([^"\\]*)"`).FindAllStringSubmatch(string(src), -1) {
		for _, w := range strings.FieldsFunc(strings.ToLower(lit[1]), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len([]rune(w)) >= 3 && !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	var all []sweptWord
	for _, w := range words {
		var r sweptWord
		r.Word = w
		for i := range 2 {
			t0 := time.Now()
			_, _, err1 := st.ListTestimonies(ctx, store.TestimonyFilter{Query: w}, domain.Page{Limit: 50})
			dt := time.Since(t0)
			t0 = time.Now()
			_, _, err2 := st.ListIncidents(ctx, store.IncidentFilter{Query: w}, domain.Page{Limit: 50})
			di := time.Since(t0)
			if err := errors.Join(err1, err2); err != nil {
				sw.Note = fmt.Sprintf("stopped at %q: %v", w, err)
				return sw
			}
			if i == 1 {
				r.Testimonies, r.Incidents = dt, di
			}
		}
		if r.Testimonies > 50*time.Millisecond {
			sw.OverTestimonies++
		}
		if r.Incidents > 50*time.Millisecond {
			sw.OverIncidents++
		}
		all = append(all, r)
	}
	sw.Words = len(all)
	slices.SortFunc(all, func(a, b sweptWord) int {
		return cmp.Compare(max(b.Testimonies, b.Incidents), max(a.Testimonies, a.Incidents))
	})
	sw.Slowest = all[:min(10, len(all))]
	return sw
}
