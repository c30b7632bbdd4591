package main

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/ext/fts5"
	_ "github.com/ncruces/go-sqlite3/vfs/adiantum"

	"vigil/internal/app"
	"vigil/internal/demo"
	"vigil/internal/domain"
	"vigil/internal/store"
)

// The baseline is "the raw engine inserting the same rows in one
// transaction": a separate database file opened the way the store opens its
// writer (same driver, Adiantum VFS, key and pragmas) with the same schema
// (store.Open applies the migrations, then it is closed), into which this
// code inserts the rows `vigil gen` makes (same generator and seed), encoded
// beforehand exactly as the store encodes them, with one prepared INSERT per
// table through the driver's own sqlite3 API, all in one transaction.
// Incident ids come from last_insert_rowid() for the tag rows. The FTS5
// triggers of the schema run, as they do for Vigil: they are part of the
// schema, not of Vigil's code.

type baselineRun struct {
	Started time.Time     `json:"started"`
	Encode  time.Duration `json:"encode"`   // generating and encoding the rows; not part of Wall
	Wall    time.Duration `json:"wall"`     // open → begin → inserts → commit → close
	Insert  time.Duration `json:"insert"`   // begin → commit
	CPU     time.Duration `json:"cpu"`      // user+sys of this process during Wall
	Rows    int64         `json:"rows"`     // incidents + tags + testimonies + counters
	FTSRows int64         `json:"fts_rows"` // full-text index rows inserted explicitly (the schema has no insert trigger)
	Check   string        `json:"check"`    // comparison of the two databases' contents
	Pragmas string        `json:"pragmas"`  // as read from the store's writer and applied to the baseline's connection
	DBBytes int64         `json:"db_bytes"`
	// OtherCPU is CPU time other processes used during Wall.
	OtherCPU time.Duration `json:"other_cpu"`
}

// writerPragmas are read from the store's own writer connection, so that
// the baseline is opened the way the store opens it whatever the store
// sets. page_size is a property of the file (both files are made by
// store.Open).
var writerPragmas = []string{"journal_mode", "synchronous", "temp_store", "foreign_keys", "cache_size",
	"wal_autocheckpoint", "mmap_size", "cache_spill", "secure_delete", "automatic_index", "locking_mode"}

// sqliteDSN repeats store.sqliteDSN: key first, by PRAGMA.
func sqliteDSN(path, hexKey string, pragmas ...string) string {
	v := url.Values{}
	v.Set("vfs", "adiantum")
	v.Add("_pragma", "hexkey('"+hexKey+"')")
	v.Add("_pragma", "busy_timeout(10000)")
	for _, p := range pragmas {
		v.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + v.Encode()
}

type nullInt struct {
	v  int64
	ok bool
}

type nullFloat struct {
	v  float64
	ok bool
}

// incRow is one incidents row, encoded as the store encodes it
// (store.incidentArgs), plus its tag rows.
type incRow struct {
	version                                              int64
	createdAt, updatedAt, createdBy, updatedBy           int64
	title, whenFrom, whenTo, whenPrecision, crossing     string
	place                                                string
	lat, lon                                             nullFloat
	placePrecision, pushedFrom, pushedTo, kinds          string
	sizeMin, sizeMax, minors, women                      nullInt
	nationalities, violence                              string
	perpetrator, perpetratorUnit, asylumRequested, outcm string
	vStatus, vReason                                     string
	vSetBy                                               int64
	vSetAt                                               nullInt
	summary, publicSummary                               string
	published                                            bool
	tags                                                 [][2]string // dim, value
}

// tesRow is one testimonies row (store.testimonyArgs).
type tesRow struct {
	version                                    int64
	createdAt, updatedAt, createdBy, updatedBy int64
	receivedOn                                 string
	recordedBy                                 int64
	mode, language                             string
	interpreter                                bool
	pseudonym, nationality, ageBand, gender    string
	cStore, cQuote, cShare, cLegal             bool
	narrative, publicQuotes, reliability       string
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "[]"
	}
	return string(b)
}

func optInt(p *int) nullInt {
	if p == nil {
		return nullInt{}
	}
	return nullInt{int64(*p), true}
}

func optFloat(p *float64) nullFloat {
	if p == nil {
		return nullFloat{}
	}
	return nullFloat{*p, true}
}

// incidentTags repeats store.incidentTags.
func incidentTags(in *domain.Incident) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	add := func(dim string, values ...string) {
		for _, v := range values {
			t := [2]string{dim, v}
			if v == "" || seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
		}
	}
	add("kind", in.Kinds...)
	add("violence", in.ViolenceTypes...)
	for _, n := range in.Group.Nationalities {
		add("nationality", n.Country)
	}
	add("pushed_from", in.PushedFrom...)
	add("pushed_to", in.PushedTo...)
	return out
}

func encodeIncident(in domain.Incident, now int64) incRow {
	r := incRow{version: 1, createdAt: now, updatedAt: now, createdBy: in.CreatedBy, updatedBy: in.CreatedBy,
		title: in.Title, whenFrom: in.When.From.String(), whenTo: in.When.To.String(), whenPrecision: in.When.Precision,
		crossing: in.CrossingPoint, place: in.Place, lat: optFloat(in.Lat), lon: optFloat(in.Lon), placePrecision: in.PlacePrecision,
		pushedFrom: jsonText(in.PushedFrom), pushedTo: jsonText(in.PushedTo), kinds: jsonText(in.Kinds),
		sizeMin: optInt(in.Group.SizeMin), sizeMax: optInt(in.Group.SizeMax), minors: optInt(in.Group.Minors), women: optInt(in.Group.Women),
		nationalities: jsonText(in.Group.Nationalities), violence: jsonText(in.ViolenceTypes),
		perpetrator: in.Perpetrator, perpetratorUnit: in.PerpetratorUnit, asylumRequested: in.AsylumRequested, outcm: in.Outcome,
		vStatus: in.Verification.Status, vReason: in.Verification.Reason, vSetBy: in.Verification.SetBy,
		summary: in.Summary, publicSummary: in.PublicSummary, published: in.Published, tags: incidentTags(&in)}
	if in.Verification.SetAt != nil {
		r.vSetAt = nullInt{in.Verification.SetAt.UnixMilli(), true}
	}
	if in.UpdatedBy != 0 {
		r.updatedBy = in.UpdatedBy
	}
	return r
}

func encodeTestimony(t domain.Testimony, now int64) tesRow {
	r := tesRow{version: 1, createdAt: now, updatedAt: now, createdBy: t.CreatedBy, updatedBy: t.CreatedBy,
		receivedOn: t.ReceivedOn.String(), recordedBy: t.RecordedBy, mode: t.Mode, language: t.Language, interpreter: t.Interpreter,
		pseudonym: t.Narrator.Pseudonym, nationality: t.Narrator.Nationality, ageBand: t.Narrator.AgeBand, gender: t.Narrator.Gender,
		cStore: t.Consent.Store, cQuote: t.Consent.QuotePublicly, cShare: t.Consent.ShareWithPartners, cLegal: t.Consent.LegalAction,
		narrative: t.Narrative, publicQuotes: t.PublicQuotes, reliability: t.Reliability}
	if t.UpdatedBy != 0 {
		r.updatedBy = t.UpdatedBy
	}
	return r
}

const baseIncidentSQL = `INSERT INTO incidents (version, created_at, updated_at, created_by, updated_by,
	title, when_from, when_to, when_precision, crossing_point, place, lat, lon, place_precision,
	pushed_from, pushed_to, kinds, group_size_min, group_size_max, group_minors, group_women,
	group_nationalities, violence_types, perpetrator, perpetrator_unit, asylum_requested, outcome,
	verification_status, verification_reason, verification_set_by, verification_set_at,
	summary, public_summary, published)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const baseTagSQL = `INSERT INTO incident_tags (incident_id, dim, value, when_from) VALUES (?, ?, ?, ?)`

const baseTestimonySQL = `INSERT INTO testimonies (version, created_at, updated_at, created_by, updated_by,
	received_on, recorded_by, mode, language, interpreter,
	narrator_pseudonym, narrator_nationality, narrator_age_band, narrator_gender,
	consent_store, consent_quote_publicly, consent_share_with_partners, consent_legal_action,
	narrative, public_quotes, reliability)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// The full-text index rows are keyed by the record's sort key, as the store
// keys them (store.sortKeySQL: list date and id; migration 0007).
var baseIncidentFTSSQL = `INSERT INTO incidents_fts (rowid, title, summary, public_summary, place)
	VALUES (` + store.SortKeySQL("?", "?") + `, ?, ?, ?, ?)`

var baseTestimonyFTSSQL = `INSERT INTO testimonies_fts (rowid, narrative, narrator_pseudonym, public_quotes)
	VALUES (` + store.SortKeySQL("?", "?") + `, ?, ?, ?)`

const baseCounterSQL = `INSERT INTO counters (kind, key, n) VALUES (?, ?, ?)
	ON CONFLICT (kind, key) DO UPDATE SET n = counters.n + excluded.n`

// binder binds positional parameters in order and keeps the first error.
type binder struct {
	s   *sqlite3.Stmt
	i   int
	err error
}

func (b *binder) reset(s *sqlite3.Stmt) { b.s, b.i = s, 0 }
func (b *binder) next() int             { b.i++; return b.i }
func (b *binder) keep(err error) {
	if b.err == nil {
		b.err = err
	}
}
func (b *binder) int(v int64)   { b.keep(b.s.BindInt64(b.next(), v)) }
func (b *binder) text(v string) { b.keep(b.s.BindText(b.next(), v)) }
func (b *binder) bool(v bool)   { b.keep(b.s.BindBool(b.next(), v)) }
func (b *binder) nint(v nullInt) {
	if v.ok {
		b.int(v.v)
	} else {
		b.keep(b.s.BindNull(b.next()))
	}
}
func (b *binder) nfloat(v nullFloat) {
	if v.ok {
		b.keep(b.s.BindFloat(b.next(), v.v))
	} else {
		b.keep(b.s.BindNull(b.next()))
	}
}

// storeSetup opens dir with store.Open (creating the schema) and returns
// the crossing point codes `vigil gen` would spread incidents over and the
// pragmas of the store's writer connection, as _pragma values.
func storeSetup(ctx context.Context, dir string, key []byte) (codes, pragmas []string, err error) {
	st, err := store.Open(ctx, store.Config{Dir: dir, Key: key})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	points, err := st.ListCrossingPoints(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range points {
		codes = append(codes, p.Code)
	}
	db := st.DB() // the writer
	for _, name := range writerPragmas {
		var v string
		err := db.QueryRowContext(ctx, `PRAGMA `+name).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			continue // not available in this build (mmap_size without mmap)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("PRAGMA %s: %w", name, err)
		}
		pragmas = append(pragmas, name+"("+v+")")
	}
	return codes, pragmas, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sqliteBaseline(ctx context.Context, o options, keyFile, vigilDB string) (*baselineRun, error) {
	return sqliteBaselineProfiled(ctx, o, keyFile, "", vigilDB)
}

// sqliteBaselineProfiled is sqliteBaseline with a CPU profile of the timed
// part written to profFile (none when "").
// When vigilDB is given, the two databases' contents are compared.
func sqliteBaselineProfiled(ctx context.Context, o options, keyFile, profFile, vigilDB string) (*baselineRun, error) {
	dir := filepath.Join(o.work, "baseline")
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // only the numbers are kept; the file is as large as Vigil's
	key, err := app.ReadKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	codes, pragmas, err := storeSetup(ctx, dir, key)
	if err != nil {
		return nil, err
	}

	b := &baselineRun{Started: time.Now()}
	g := demo.NewGenerator(demo.GenConfig{Seed: o.seed, Incidents: o.incidents, Testimonies: o.testimonies, CrossingPoints: codes})
	now := time.Now().UTC().Truncate(time.Millisecond).UnixMilli()
	incs := make([]incRow, o.incidents)
	verif, months := map[string]int64{}, map[string]int64{}
	for i := range incs {
		incs[i] = encodeIncident(g.NextIncident(), now)
		verif[incs[i].vStatus]++
		if f := incs[i].whenFrom; f != "" {
			months[f[:7]]++
		}
		if i%100000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	tess := make([]tesRow, o.testimonies)
	for i := range tess {
		tess[i] = encodeTestimony(g.NextTestimony(), now)
		if i%100000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	b.Encode = time.Since(b.Started)
	runtime.GC() // the encoding's garbage is not the engine's cost

	path, err := filepath.Abs(filepath.Join(dir, store.DBFile))
	if err != nil {
		return nil, err
	}
	dsn := sqliteDSN(path, hex.EncodeToString(key), pragmas...)
	b.Pragmas = strings.Join(pragmas, ", ")

	if profFile != "" {
		f, err := os.Create(profFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	info, err := readSchemaInfo(dsn)
	if err != nil {
		return nil, err
	}
	cpu0, busy0 := cpuTime(), systemBusy()
	t0 := time.Now()
	c, err := sqlite3.Open(dsn)
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	if err := fts5.Register(c); err != nil {
		return nil, err
	}
	t1 := time.Now()
	if err := c.Exec(`BEGIN IMMEDIATE`); err != nil {
		return nil, err
	}
	// One pass per table, each with its one prepared INSERT.
	ids := make([]int64, len(incs))
	if err := insertEach(c, baseIncidentSQL, len(incs), func(bd *binder, i int) {
		r := &incs[i]
		bd.int(r.version)
		bd.int(r.createdAt)
		bd.int(r.updatedAt)
		bd.int(r.createdBy)
		bd.int(r.updatedBy)
		bd.text(r.title)
		bd.text(r.whenFrom)
		bd.text(r.whenTo)
		bd.text(r.whenPrecision)
		bd.text(r.crossing)
		bd.text(r.place)
		bd.nfloat(r.lat)
		bd.nfloat(r.lon)
		bd.text(r.placePrecision)
		bd.text(r.pushedFrom)
		bd.text(r.pushedTo)
		bd.text(r.kinds)
		bd.nint(r.sizeMin)
		bd.nint(r.sizeMax)
		bd.nint(r.minors)
		bd.nint(r.women)
		bd.text(r.nationalities)
		bd.text(r.violence)
		bd.text(r.perpetrator)
		bd.text(r.perpetratorUnit)
		bd.text(r.asylumRequested)
		bd.text(r.outcm)
		bd.text(r.vStatus)
		bd.text(r.vReason)
		bd.int(r.vSetBy)
		bd.nint(r.vSetAt)
		bd.text(r.summary)
		bd.text(r.publicSummary)
		bd.bool(r.published)
	}, func(i int) { ids[i] = c.LastInsertRowID() }); err != nil {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	b.Rows += int64(len(incs))
	if !info.insertTrigger["incidents"] {
		// In key order, as the store writes them (FTS5 writes out its
		// pending rows whenever a key is lower than the one before).
		order := keyOrder(len(incs), func(i int) (string, int64) { return incs[i].whenFrom, ids[i] })
		if err := insertEach(c, baseIncidentFTSSQL, len(incs), func(bd *binder, j int) {
			i := order[j]
			r := &incs[i]
			bd.text(r.whenFrom)
			bd.int(ids[i])
			bd.text(r.title)
			bd.text(r.summary)
			bd.text(r.publicSummary)
			bd.text(r.place)
		}, nil); err != nil {
			return nil, fmt.Errorf("incidents_fts: %w", err)
		}
		b.FTSRows += int64(len(incs))
	}
	type tagRef struct{ inc, tag int }
	var tags []tagRef
	for i := range incs {
		for j := range incs[i].tags {
			tags = append(tags, tagRef{i, j})
		}
	}
	if err := insertEach(c, baseTagSQL, len(tags), func(bd *binder, i int) {
		r := &incs[tags[i].inc]
		t := r.tags[tags[i].tag]
		bd.int(ids[tags[i].inc])
		bd.text(t[0])
		bd.text(t[1])
		bd.text(r.whenFrom)
	}, nil); err != nil {
		return nil, fmt.Errorf("incident_tags: %w", err)
	}
	b.Rows += int64(len(tags))
	tids := make([]int64, len(tess))
	if err := insertEach(c, baseTestimonySQL, len(tess), func(bd *binder, i int) {
		r := &tess[i]
		bd.int(r.version)
		bd.int(r.createdAt)
		bd.int(r.updatedAt)
		bd.int(r.createdBy)
		bd.int(r.updatedBy)
		bd.text(r.receivedOn)
		bd.int(r.recordedBy)
		bd.text(r.mode)
		bd.text(r.language)
		bd.bool(r.interpreter)
		bd.text(r.pseudonym)
		bd.text(r.nationality)
		bd.text(r.ageBand)
		bd.text(r.gender)
		bd.bool(r.cStore)
		bd.bool(r.cQuote)
		bd.bool(r.cShare)
		bd.bool(r.cLegal)
		bd.text(r.narrative)
		bd.text(r.publicQuotes)
		bd.text(r.reliability)
	}, func(i int) { tids[i] = c.LastInsertRowID() }); err != nil {
		return nil, fmt.Errorf("testimonies: %w", err)
	}
	b.Rows += int64(len(tess))
	if !info.insertTrigger["testimonies"] {
		order := keyOrder(len(tess), func(i int) (string, int64) { return tess[i].receivedOn, tids[i] })
		if err := insertEach(c, baseTestimonyFTSSQL, len(tess), func(bd *binder, j int) {
			i := order[j]
			r := &tess[i]
			bd.text(r.receivedOn)
			bd.int(tids[i])
			bd.text(r.narrative)
			bd.text(r.pseudonym)
			bd.text(r.publicQuotes)
		}, nil); err != nil {
			return nil, fmt.Errorf("testimonies_fts: %w", err)
		}
		b.FTSRows += int64(len(tess))
	}
	// The dashboard counters, which the store keeps in the same transactions.
	counters := [][3]any{{"incidents", "", int64(len(incs))}, {"testimonies", "", int64(len(tess))}}
	for k, n := range verif {
		counters = append(counters, [3]any{"incident_verification", k, n})
	}
	for k, n := range months {
		counters = append(counters, [3]any{"incident_month", k, n})
	}
	if err := insertEach(c, baseCounterSQL, len(counters), func(bd *binder, i int) {
		bd.text(counters[i][0].(string))
		bd.text(counters[i][1].(string))
		bd.int(counters[i][2].(int64))
	}, nil); err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	b.Rows += int64(len(counters))
	if err := c.Exec(`COMMIT`); err != nil {
		return nil, err
	}
	b.Insert = time.Since(t1)
	closed = true
	if err := c.Close(); err != nil {
		return nil, err
	}
	b.Wall = time.Since(t0)
	b.CPU = cpuTime() - cpu0
	b.OtherCPU = max(systemBusy()-busy0-b.CPU, 0)
	if profFile != "" {
		pprof.StopCPUProfile()
	}
	b.DBBytes = dirBytes(dir)
	if vigilDB != "" {
		if b.Check, err = compareDatabases(vigilDB, path, hex.EncodeToString(key)); err != nil {
			return nil, err
		}
	}
	runtime.KeepAlive(incs)
	runtime.KeepAlive(tess)
	return b, nil
}

// insertEach prepares query once and executes it for n rows, binding row i
// with bind; after(i) runs after row i is inserted.
func insertEach(c *sqlite3.Conn, query string, n int, bind func(bd *binder, i int), after func(i int)) error {
	stmt, _, err := c.Prepare(query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	var bd binder
	for i := range n {
		bd.reset(stmt)
		bind(&bd, i)
		if bd.err != nil {
			return bd.err
		}
		if err := stmt.Exec(); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		if after != nil {
			after(i)
		}
	}
	return stmt.Close()
}

// schemaInfo is what the baseline needs to know about the schema that the
// store's migrations made.
type schemaInfo struct {
	// insertTrigger[table] tells whether an AFTER INSERT trigger keeps the
	// table's full-text index; without one the store inserts the index rows
	// itself, and so does the baseline.
	insertTrigger map[string]bool
}

func readSchemaInfo(dsn string) (schemaInfo, error) {
	info := schemaInfo{insertTrigger: map[string]bool{}}
	c, err := sqlite3.Open(dsn)
	if err != nil {
		return info, err
	}
	defer c.Close()
	stmt, _, err := c.Prepare(`SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'`)
	if err != nil {
		return info, err
	}
	defer stmt.Close()
	for stmt.Step() {
		sql := strings.ToUpper(strings.Join(strings.Fields(stmt.ColumnText(1)), " "))
		if strings.Contains(sql, " AFTER INSERT ON ") && strings.Contains(sql, "_FTS") {
			info.insertTrigger[stmt.ColumnText(0)] = true
		}
	}
	return info, stmt.Err()
}

// compareDatabases counts the rows of every loaded table, and the matches
// of a rare and a common word in each full-text index, in Vigil's database
// and the baseline's: the two must hold the same data.
func compareDatabases(vigilPath, basePath, hexKey string) (string, error) {
	queries := []string{
		`SELECT count(*) FROM incidents`, `SELECT count(*) FROM incident_tags`, `SELECT count(*) FROM testimonies`,
		`SELECT count(*) FROM counters`, `SELECT coalesce(sum(n), 0) FROM counters`,
		`SELECT count(*) FROM incidents_fts WHERE incidents_fts MATCH '` + demo.RareWordEN + `'`,
		`SELECT count(*) FROM testimonies_fts WHERE testimonies_fts MATCH '` + demo.RareWordEN + `'`,
		`SELECT count(*) FROM testimonies_fts WHERE testimonies_fts MATCH 'border'`,
	}
	count := func(path string) ([]int64, error) {
		c, err := sqlite3.Open(sqliteDSN(path, hexKey, "query_only(1)"))
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if err := fts5.Register(c); err != nil {
			return nil, err
		}
		var out []int64
		for _, q := range queries {
			stmt, _, err := c.Prepare(q)
			if err != nil {
				return nil, err
			}
			if !stmt.Step() {
				stmt.Close()
				return nil, fmt.Errorf("%s: %w", q, stmt.Err())
			}
			out = append(out, stmt.ColumnInt64(0))
			stmt.Close()
		}
		return out, nil
	}
	v, err := count(vigilPath)
	if err != nil {
		return "", fmt.Errorf("vigil database: %w", err)
	}
	bl, err := count(basePath)
	if err != nil {
		return "", fmt.Errorf("baseline database: %w", err)
	}
	same := true
	var parts []string
	names := []string{"incidents", "incident_tags", "testimonies", "counter rows", "counter sum",
		"incidents_fts “" + demo.RareWordEN + "”", "testimonies_fts “" + demo.RareWordEN + "”", "testimonies_fts “border”"}
	for i := range queries {
		// Vigil's database also counts the users made after gen; counters
		// and records are what is compared.
		if v[i] != bl[i] {
			same = false
			parts = append(parts, fmt.Sprintf("%s %d vs %d", names[i], v[i], bl[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d", names[i], v[i]))
		}
	}
	verdict := "identical"
	if !same {
		verdict = "DIFFERENT"
	}
	return verdict + ": " + strings.Join(parts, ", "), nil
}

// keyOrder is 0..n-1 sorted by full-text index key (list date, then id).
func keyOrder(n int, key func(i int) (string, int64)) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		da, ia := key(a)
		db, ib := key(b)
		return cmp.Or(cmp.Compare(da, db), cmp.Compare(ia, ib))
	})
	return order
}
