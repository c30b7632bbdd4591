package main

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"vigil/internal/demo"
	"vigil/internal/store"
)

// pgResult is the optional bulk-load comparison on PostgreSQL.
type pgResult struct {
	Incidents, Testimonies int
	Where                  string
	Gen                    time.Duration // `vigil gen` with VIGIL_DATABASE_URL
	Baseline               time.Duration // prepared INSERTs, pipelined, one transaction
	BaselineHow            string
	Copy                   time.Duration // COPY, one transaction (reference)
	Check                  string        // row counts in each schema afterwards
}

// withSearchPath returns u with the schema as the connection's search_path,
// which pgx sends as a startup parameter.
func withSearchPath(u, schema string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	q := p.Query()
	q.Set("search_path", schema)
	p.RawQuery = q.Encode()
	return p.String(), nil
}

// measurePostgres runs `vigil gen` into a fresh schema, then the baseline
// into another fresh schema (migrated by store.Open) and, for reference,
// COPY into a third. The schemas are dropped afterwards.
func measurePostgres(ctx context.Context, o options) (*pgResult, error) {
	r := &pgResult{Incidents: o.pgIncidents, Testimonies: o.pgTestimonies}
	admin, err := pgx.Connect(ctx, o.pgURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close(context.Background())
	schemas := []string{"vigil_bench_gen", "vigil_bench_raw", "vigil_bench_copy"}
	r.Where = fmt.Sprintf("database %q (schemas %v)", admin.Config().Database, schemas)
	for _, s := range schemas {
		if _, err := admin.Exec(ctx, `DROP SCHEMA IF EXISTS `+s+` CASCADE; CREATE SCHEMA `+s); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, s := range schemas {
			admin.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+s+` CASCADE`)
		}
	}()

	// Vigil.
	genURL, err := withSearchPath(o.pgURL, schemas[0])
	if err != nil {
		return nil, err
	}
	// An instance on PostgreSQL still has a data directory and key (for
	// what is not in the database), made by vigil init; not timed.
	pgData, pgKey := filepath.Join(o.work, "pg-data"), filepath.Join(o.work, "pg.key")
	for _, p := range []string{pgData, pgKey} {
		if err := os.RemoveAll(p); err != nil {
			return r, err
		}
	}
	env := append(vigilEnv(), "VIGIL_DATABASE_URL="+genURL)
	if _, err := runVigilWith(ctx, o, env, "init", "--data", pgData, "--key-file", pgKey); err != nil {
		return r, err
	}
	log.Printf("PostgreSQL: vigil gen")
	t, err := runVigilWith(ctx, o, env, "gen", "--data", pgData, "--key-file", pgKey,
		"--incidents", fmt.Sprint(r.Incidents), "--testimonies", fmt.Sprint(r.Testimonies), "--seed", fmt.Sprint(o.seed))
	if err != nil {
		return r, err
	}
	r.Gen = t.Wall
	log.Printf("PostgreSQL: vigil gen took %s", t.Wall.Round(time.Millisecond))

	// The rows, encoded once for both baselines.
	g := demo.NewGenerator(demo.GenConfig{Seed: o.seed, Incidents: r.Incidents, Testimonies: r.Testimonies})
	now := time.Now().UTC().Truncate(time.Millisecond).UnixMilli()
	incs := make([]incRow, r.Incidents)
	for i := range incs {
		incs[i] = encodeIncident(g.NextIncident(), now)
	}
	tess := make([]tesRow, r.Testimonies)
	for i := range tess {
		tess[i] = encodeTestimony(g.NextTestimony(), now)
	}
	runtime.GC()

	for i, s := range schemas[1:] {
		u, err := withSearchPath(o.pgURL, s)
		if err != nil {
			return r, err
		}
		st, err := store.Open(ctx, store.Config{DatabaseURL: u}) // the schema, by Vigil's migrations
		if err != nil {
			return r, err
		}
		st.Close()
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			return r, err
		}
		t0 := time.Now()
		if i == 0 {
			err = pgInsertBaseline(ctx, c, incs, tess)
		} else {
			err = pgCopyBaseline(ctx, c, incs, tess)
		}
		d := time.Since(t0)
		c.Close(ctx)
		if err != nil {
			return r, fmt.Errorf("%s: %w", s, err)
		}
		if i == 0 {
			r.Baseline = d
			r.BaselineHow = "one prepared INSERT per table, pipelined 1,000 rows per round trip, one transaction"
		} else {
			r.Copy = d
		}
		log.Printf("PostgreSQL: %s took %s", s, d.Round(time.Millisecond))
	}
	runtime.KeepAlive(incs)
	runtime.KeepAlive(tess)
	// Each schema must hold the same rows.
	var parts []string
	for _, sc := range schemas {
		var ni, ng, nt, nc int64
		if err := admin.QueryRow(ctx, `SELECT (SELECT count(*) FROM `+sc+`.incidents), (SELECT count(*) FROM `+sc+`.incident_tags),
			(SELECT count(*) FROM `+sc+`.testimonies), (SELECT coalesce(sum(n), 0) FROM `+sc+`.counters)`).Scan(&ni, &ng, &nt, &nc); err != nil {
			return r, err
		}
		parts = append(parts, fmt.Sprintf("%s: %d incidents, %d tags, %d testimonies, counter sum %d", sc, ni, ng, nt, nc))
	}
	r.Check = strings.Join(parts, "; ")
	return r, nil
}

func nInt(v nullInt) any {
	if !v.ok {
		return nil
	}
	return v.v
}

func nFloat(v nullFloat) any {
	if !v.ok {
		return nil
	}
	return v.v
}

func incArgs(id int64, r *incRow) []any {
	return []any{id, r.version, r.createdAt, r.updatedAt, r.createdBy, r.updatedBy,
		r.title, r.whenFrom, r.whenTo, r.whenPrecision, r.crossing, r.place, nFloat(r.lat), nFloat(r.lon), r.placePrecision,
		r.pushedFrom, r.pushedTo, r.kinds, nInt(r.sizeMin), nInt(r.sizeMax), nInt(r.minors), nInt(r.women),
		r.nationalities, r.violence, r.perpetrator, r.perpetratorUnit, r.asylumRequested, r.outcm,
		r.vStatus, r.vReason, r.vSetBy, nInt(r.vSetAt), r.summary, r.publicSummary, r.published}
}

func tesArgs(r *tesRow) []any {
	return []any{r.version, r.createdAt, r.updatedAt, r.createdBy, r.updatedBy,
		r.receivedOn, r.recordedBy, r.mode, r.language, r.interpreter,
		r.pseudonym, r.nationality, r.ageBand, r.gender,
		r.cStore, r.cQuote, r.cShare, r.cLegal, r.narrative, r.publicQuotes, r.reliability}
}

var pgIncidentCols = []string{"id", "version", "created_at", "updated_at", "created_by", "updated_by",
	"title", "when_from", "when_to", "when_precision", "crossing_point", "place", "lat", "lon", "place_precision",
	"pushed_from", "pushed_to", "kinds", "group_size_min", "group_size_max", "group_minors", "group_women",
	"group_nationalities", "violence_types", "perpetrator", "perpetrator_unit", "asylum_requested", "outcome",
	"verification_status", "verification_reason", "verification_set_by", "verification_set_at",
	"summary", "public_summary", "published"}

var pgTestimonyCols = []string{"version", "created_at", "updated_at", "created_by", "updated_by",
	"received_on", "recorded_by", "mode", "language", "interpreter",
	"narrator_pseudonym", "narrator_nationality", "narrator_age_band", "narrator_gender",
	"consent_store", "consent_quote_publicly", "consent_share_with_partners", "consent_legal_action",
	"narrative", "public_quotes", "reliability"}

func placeholders(n int) string {
	s := ""
	for i := 1; i <= n; i++ {
		if i > 1 {
			s += ", "
		}
		s += fmt.Sprintf("$%d", i)
	}
	return s
}

func joinCols(cols []string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

// pgInsertBaseline: one prepared INSERT per table, sent in pipelined
// batches of 1,000, all in one transaction. Incident ids are given
// (1..n, the schema is fresh) so that tag rows need no round trip; the
// identity sequence is moved past them at the end.
func pgInsertBaseline(ctx context.Context, c *pgx.Conn, incs []incRow, tess []tesRow) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	qi := `INSERT INTO incidents (` + joinCols(pgIncidentCols) + `) OVERRIDING SYSTEM VALUE VALUES (` + placeholders(len(pgIncidentCols)) + `)`
	qg := `INSERT INTO incident_tags (incident_id, dim, value, when_from) VALUES ($1, $2, $3, $4)`
	qt := `INSERT INTO testimonies (` + joinCols(pgTestimonyCols) + `) VALUES (` + placeholders(len(pgTestimonyCols)) + `)`
	for name, q := range map[string]string{"inc": qi, "tag": qg, "tes": qt} {
		if _, err := tx.Prepare(ctx, name, q); err != nil {
			return err
		}
	}
	var b pgx.Batch
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := tx.SendBatch(ctx, &b).Close()
		b = pgx.Batch{}
		return err
	}
	for i := range incs {
		r := &incs[i]
		id := int64(i + 1)
		b.Queue("inc", incArgs(id, r)...)
		for _, t := range r.tags {
			b.Queue("tag", id, t[0], t[1], r.whenFrom)
		}
		if b.Len() >= 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for i := range tess {
		b.Queue("tes", tesArgs(&tess[i])...)
		if b.Len() >= 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := pgCounters(ctx, tx, incs, len(tess)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func pgCounters(ctx context.Context, tx pgx.Tx, incs []incRow, nTes int) error {
	if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('incidents', 'id'), $1)`, int64(max(len(incs), 1))); err != nil {
		return err
	}
	verif, months := map[string]int64{}, map[string]int64{}
	for i := range incs {
		verif[incs[i].vStatus]++
		if f := incs[i].whenFrom; f != "" {
			months[f[:7]]++
		}
	}
	add := func(kind, key string, n int64) error {
		_, err := tx.Exec(ctx, `INSERT INTO counters (kind, key, n) VALUES ($1, $2, $3)
			ON CONFLICT (kind, key) DO UPDATE SET n = counters.n + excluded.n`, kind, key, n)
		return err
	}
	if err := add("incidents", "", int64(len(incs))); err != nil {
		return err
	}
	if err := add("testimonies", "", int64(nTes)); err != nil {
		return err
	}
	for k, n := range verif {
		if err := add("incident_verification", k, n); err != nil {
			return err
		}
	}
	for k, n := range months {
		if err := add("incident_month", k, n); err != nil {
			return err
		}
	}
	return nil
}

// pgCopyBaseline: the same rows by COPY, one transaction.
func pgCopyBaseline(ctx context.Context, c *pgx.Conn, incs []incRow, tess []tesRow) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	i := 0
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incidents"}, pgIncidentCols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(incs) {
			return nil, nil
		}
		i++
		return incArgs(int64(i), &incs[i-1]), nil
	})); err != nil {
		return err
	}
	i, j := 0, 0
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incident_tags"}, []string{"incident_id", "dim", "value", "when_from"}, pgx.CopyFromFunc(func() ([]any, error) {
		for i < len(incs) && j >= len(incs[i].tags) {
			i, j = i+1, 0
		}
		if i == len(incs) {
			return nil, nil
		}
		t := incs[i].tags[j]
		j++
		return []any{int64(i + 1), t[0], t[1], incs[i].whenFrom}, nil
	})); err != nil {
		return err
	}
	i = 0
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"testimonies"}, pgTestimonyCols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(tess) {
			return nil, nil
		}
		i++
		return tesArgs(&tess[i-1]), nil
	})); err != nil {
		return err
	}
	if err := pgCounters(ctx, tx, incs, len(tess)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
