package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"vigil/internal/demo"
	"vigil/internal/domain"
	"vigil/internal/store"
)

// profileRun is one CPU profile of a bulk load made in-process.
type profileRun struct {
	Name     string
	Rows     string
	Wall     time.Duration
	CPU      time.Duration
	File     string
	TopFlat  string // go tool pprof -top
	TopCum   string // go tool pprof -top -cum
	Baseline bool
	Check    string
}

// genBatch is `vigil gen`'s default --batch.
const genBatch = 5000

// profileBulk profiles, at a smaller scale, the store's bulk path exactly
// as `vigil gen` drives it (internal/cli/gen.go: one generator, batches of
// 5,000 rows through Store.BulkInsertIncidents / BulkInsertTestimonies) and
// the baseline inserting the same rows, so the two profiles can be put side
// by side.
func profileBulk(ctx context.Context, o options) ([]profileRun, error) {
	dir := filepath.Join(o.work, "profile")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	rows := fmt.Sprintf("%d incidents, %d testimonies", o.profileIncidents, o.profileTestimonies)

	// Vigil's bulk path.
	data := filepath.Join(dir, "data")
	if err := os.RemoveAll(data); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	defer os.RemoveAll(data)
	key := make([]byte, store.KeySize)
	rand.Read(key)
	st, err := store.Open(ctx, store.Config{Dir: data, Key: key})
	if err != nil {
		return nil, err
	}
	points, err := st.ListCrossingPoints(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	var codes []string
	for _, p := range points {
		codes = append(codes, p.Code)
	}
	vf := filepath.Join(dir, "gen.cpu.pprof")
	f, err := os.Create(vf)
	if err != nil {
		st.Close()
		return nil, err
	}
	cpu0, t0 := cpuTime(), time.Now()
	if err := pprof.StartCPUProfile(f); err != nil {
		st.Close()
		return nil, err
	}
	err = genLikeCLI(ctx, st, codes, o.seed, o.profileIncidents, o.profileTestimonies)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	pprof.StopCPUProfile()
	f.Close()
	vigilRun := profileRun{Name: "Vigil bulk path (store.BulkInsert*, batches of 5,000, as `vigil gen`)", Rows: rows,
		Wall: time.Since(t0), CPU: cpuTime() - cpu0, File: vf}
	if err != nil {
		return nil, err
	}

	// The baseline, same rows.
	bf := filepath.Join(dir, "baseline.cpu.pprof")
	bo := o
	bo.work, bo.incidents, bo.testimonies = dir, o.profileIncidents, o.profileTestimonies
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(fmt.Sprintf("%x\n", key)), 0o600); err != nil {
		return nil, err
	}
	b, err := sqliteBaselineProfiled(ctx, bo, keyFile, bf, filepath.Join(data, store.DBFile))
	if err != nil {
		return nil, err
	}
	baseRun := profileRun{Name: "Baseline (bare engine, one transaction)", Rows: rows, Wall: b.Wall, CPU: b.CPU, File: bf, Baseline: true, Check: b.Check}

	out := []profileRun{vigilRun, baseRun}
	for i := range out {
		out[i].TopFlat = pprofTop(out[i].File, false)
		out[i].TopCum = pprofTop(out[i].File, true)
	}
	return out, nil
}

// genLikeCLI is the loop of internal/cli/gen.go.
func genLikeCLI(ctx context.Context, st *store.Store, codes []string, seed int64, nInc, nTes int) error {
	g := demo.NewGenerator(demo.GenConfig{Seed: seed, Incidents: nInc, Testimonies: nTes, CrossingPoints: codes})
	for done := 0; done < nInc; {
		n := min(genBatch, nInc-done)
		rows := make([]domain.Incident, n)
		for i := range rows {
			rows[i] = g.NextIncident()
		}
		if err := st.BulkInsertIncidents(ctx, rows); err != nil {
			return err
		}
		done += n
	}
	for done := 0; done < nTes; {
		n := min(genBatch, nTes-done)
		rows := make([]domain.Testimony, n)
		for i := range rows {
			rows[i] = g.NextTestimony()
		}
		if err := st.BulkInsertTestimonies(ctx, rows); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// pprofTop runs `go tool pprof -top` on a profile and keeps the first
// lines. The go command is the one that built the tool.
func pprofTop(file string, cum bool) string {
	args := []string{"tool", "pprof", "-top", "-nodecount=25"}
	if cum {
		args = append(args, "-cum")
	}
	out, err := exec.Command("go", append(args, file)...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("(go tool pprof failed: %v)\n%s", err, out)
	}
	// Drop the header lines about the file and build.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "flat") {
			if i > 0 {
				lines = append(lines[i-1:i], lines[i:]...)
			}
			break
		}
	}
	return strings.Join(lines, "\n")
}
