// Command bench measures Vigil against the budgets of DESIGN.md §8 and
// prints a markdown report: bulk load (`vigil gen`) against the bare engine
// inserting the same rows, p95 latency of staff pages and API calls against
// a real `vigil serve`, the server's RSS under that load, and cold start.
//
// It is not part of `go test`; `make bench` (scripts/bench.sh) runs it at
// full scale. Every request loop is bounded in count and time, and every
// request goes to loopback.
//
//	go build -o bin/vigil ./cmd/vigil
//	go run ./tools/bench --vigil bin/vigil --work /var/tmp/vigil-bench \
//	    --incidents 1000000 --testimonies 2000000 > bench-results.md
//
// The data set in --work is reused when it was made with the same counts and
// seed, together with the bulk-load times measured when it was made, so the
// long generation is not repeated for every run (--fresh makes it again;
// the report says which build made it). Progress goes to stderr, the report
// to stdout. Optional parts: --profile-search WORDS (the search's store
// calls and SQL steps, in-process and read-only unless the schema versions
// match) and --pg URL (the bulk-load ratio on PostgreSQL, in fresh schemas
// that are dropped afterwards).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	incidents   int
	testimonies int
	seed        int64
	work        string
	vigil       string
	fresh       bool

	requests    int           // per request kind
	concurrency int           // client workers
	kindBudget  time.Duration // wall-clock cap per request kind
	coldRuns    int

	profileIncidents   int // in-process profile of the bulk path (0: skip)
	profileTestimonies int

	pgURL         string // optional PostgreSQL comparison ("" skips it)
	pgIncidents   int
	pgTestimonies int

	skipLoad      bool
	profile       bool
	profileSearch string
	retries       int
	backupRuns    int
}

func main() {
	var o options
	flag.IntVar(&o.incidents, "incidents", 1_000_000, "incidents to generate")
	flag.IntVar(&o.testimonies, "testimonies", 2_000_000, "testimonies to generate")
	flag.Int64Var(&o.seed, "seed", 1, "generator seed")
	flag.StringVar(&o.work, "work", "", "work directory; a data set made earlier with the same counts and seed is reused (required)")
	flag.StringVar(&o.vigil, "vigil", "bin/vigil", "the vigil binary under test")
	flag.BoolVar(&o.fresh, "fresh", false, "discard a data set in --work and generate it again")
	flag.IntVar(&o.requests, "requests", 500, "measured requests per request kind")
	flag.IntVar(&o.concurrency, "concurrency", 2, "concurrent client connections")
	flag.DurationVar(&o.kindBudget, "kind-timeout", 3*time.Minute, "stop a request kind after this long, measured or not")
	flag.IntVar(&o.coldRuns, "cold-runs", 5, "cold starts to time (median is reported)")
	flag.IntVar(&o.profileIncidents, "profile-incidents", 100_000, "incidents for the in-process CPU profile of the bulk path (0 skips profiling)")
	flag.IntVar(&o.profileTestimonies, "profile-testimonies", 200_000, "testimonies for the CPU profile")
	flag.StringVar(&o.pgURL, "pg", "", "PostgreSQL URL for the optional bulk-load comparison on PostgreSQL (a fresh schema is created and dropped)")
	flag.IntVar(&o.pgIncidents, "pg-incidents", 0, "incidents for the PostgreSQL comparison (0: same as --incidents)")
	flag.IntVar(&o.pgTestimonies, "pg-testimonies", 0, "testimonies for the PostgreSQL comparison (0: same as --testimonies)")
	flag.BoolVar(&o.skipLoad, "skip-load", false, "only the bulk load and profiles; no server measurements")
	flag.BoolVar(&o.profile, "profile", true, "make the in-process CPU profiles of the bulk path")
	flag.StringVar(&o.profileSearch, "profile-search", "", "comma-separated words: time and profile the search's store calls and SQL steps in-process")
	flag.IntVar(&o.retries, "retries", 2, "run a request kind again (up to this many times) when other processes took more than a quarter of a core meanwhile; the least disturbed run is kept")
	flag.IntVar(&o.backupRuns, "backup-runs", 3, "rounds of cp, vigil backup and vigil restore of the data set (0 skips them; each round needs about three times the database's size on disk)")
	flag.Parse()
	if o.work == "" || o.incidents < 1 || o.testimonies < 1 || o.requests < 1 || o.concurrency < 1 || o.coldRuns < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if o.pgIncidents == 0 {
		o.pgIncidents = o.incidents
	}
	if o.pgTestimonies == 0 {
		o.pgTestimonies = o.testimonies
	}
	var err error
	if o.vigil, err = filepath.Abs(o.vigil); err != nil {
		log.Fatal(err)
	}
	if o.work, err = filepath.Abs(o.work); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(o.work, 0o700); err != nil {
		log.Fatal(err)
	}
	log.SetFlags(log.Ltime)
	log.SetPrefix("bench: ")
	// Run a private copy, so that rebuilding bin/vigil during a long run
	// cannot change the binary half-way.
	if o.vigil, err = copyBinary(o.vigil, filepath.Join(o.work, "vigil-under-test")); err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := run(ctx, o)
	if r != nil {
		r.write(os.Stdout)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, o options) (*report, error) {
	r := &report{opts: o, machine: machineFacts(o.vigil), started: time.Now()}

	ds, err := prepareDataset(ctx, o, r.machine)
	if err != nil {
		return r, fmt.Errorf("data set: %w", err)
	}
	r.ds = ds

	if o.profile && (o.profileIncidents > 0 || o.profileTestimonies > 0) {
		log.Printf("profiling the bulk path in-process (%d incidents, %d testimonies)", o.profileIncidents, o.profileTestimonies)
		r.profiles, err = profileBulk(ctx, o)
		if err != nil {
			return r, fmt.Errorf("profile: %w", err)
		}
	}

	if o.profileSearch != "" {
		log.Printf("profiling the searches in-process")
		if r.search, err = profileSearch(ctx, o, ds, strings.Split(o.profileSearch, ",")); err != nil {
			return r, fmt.Errorf("search profile: %w", err)
		}
	}

	if !o.skipLoad {
		if r.load, err = measureServer(ctx, o, ds); err != nil {
			return r, fmt.Errorf("server load: %w", err)
		}
		if r.cold, err = measureColdStart(ctx, o, ds); err != nil {
			return r, fmt.Errorf("cold start: %w", err)
		}
	}

	if o.backupRuns > 0 {
		log.Printf("backup and restore, %d rounds", o.backupRuns)
		if r.backup, err = measureBackup(ctx, o, ds); err != nil {
			return r, fmt.Errorf("backup: %w", err)
		}
	}

	if o.pgURL != "" {
		log.Printf("PostgreSQL comparison (%d incidents, %d testimonies)", o.pgIncidents, o.pgTestimonies)
		pg, err := measurePostgres(ctx, o)
		if err != nil {
			// Optional: the report says it failed rather than losing the rest.
			r.pgErr = err
			log.Printf("PostgreSQL comparison failed: %v", err)
		}
		r.pg = pg
	}
	r.finished = time.Now()
	return r, nil
}

// logTo returns a file under the work directory for a subprocess's output.
func logTo(o options, name string) (io.WriteCloser, error) {
	dir := filepath.Join(o.work, "logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.Create(filepath.Join(dir, name))
}

func copyBinary(src, dst string) (string, error) {
	if a, err := os.Stat(src); err == nil {
		if b, err := os.Stat(dst); err == nil && os.SameFile(a, b) {
			return dst, nil
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return "", err
	}
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	if err := os.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
		return "", err
	}
	return dst, os.Rename(tmp, dst)
}
