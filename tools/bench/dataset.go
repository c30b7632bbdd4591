package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// dataset is the generated instance in the work directory and what was
// measured when it was made. It is saved as dataset.json so that a later
// run can reuse it.
type dataset struct {
	Incidents   int    `json:"incidents"`
	Testimonies int    `json:"testimonies"`
	Seed        int64  `json:"seed"`
	Dir         string `json:"dir"`      // vigil data directory
	KeyFile     string `json:"key_file"` // outside Dir, as vigil init requires

	Gen      *procTiming  `json:"gen,omitempty"`      // `vigil gen`
	Baseline *baselineRun `json:"baseline,omitempty"` // the bare engine, same rows
	DBBytes  int64        `json:"db_bytes"`

	Username string `json:"username"`
	Password string `json:"password"`
	Token    string `json:"token"`

	// The binary and store source that generated the data set and made the
	// bulk-load measurements.
	GenVigilBuilt time.Time `json:"gen_vigil_built"`
	GenVigilBuild string    `json:"gen_vigil_build"`
	GenStoreHash  string    `json:"gen_store_hash"`

	// Reused is set (not saved) when this run found the data set ready.
	Reused bool `json:"-"`
}

// procTiming is how long a subprocess took and what it cost.
type procTiming struct {
	Started time.Time     `json:"started"`
	Wall    time.Duration `json:"wall"`
	User    time.Duration `json:"user"`
	Sys     time.Duration `json:"sys"`
	MaxRSS  int64         `json:"max_rss_bytes"`
	Output  string        `json:"output"`
	// OtherCPU is CPU time other processes used meanwhile (all of the
	// machine's busy time minus this process's): other work disturbing
	// the measurement.
	OtherCPU time.Duration `json:"other_cpu"`
}

func (d *dataset) path(o options) string { return filepath.Join(o.work, "dataset.json") }

func (d *dataset) save(o options) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	tmp := d.path(o) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, d.path(o))
}

// prepareDataset reuses a finished data set with the same counts and seed,
// or makes one: vigil init, vigil gen (timed), the baseline (timed, right
// after, on the same machine), then a staff account and an API token.
func prepareDataset(ctx context.Context, o options, m machine) (*dataset, error) {
	d := &dataset{Incidents: o.incidents, Testimonies: o.testimonies, Seed: o.seed,
		Dir: filepath.Join(o.work, "data"), KeyFile: filepath.Join(o.work, "vigil.key"),
		GenVigilBuilt: m.VigilBuilt, GenVigilBuild: m.VigilBuild, GenStoreHash: m.StoreHash}
	if b, err := os.ReadFile(d.path(o)); err == nil && !o.fresh {
		var old dataset
		if err := json.Unmarshal(b, &old); err != nil {
			return nil, fmt.Errorf("%s: %w", d.path(o), err)
		}
		if old.Incidents != o.incidents || old.Testimonies != o.testimonies || old.Seed != o.seed {
			return nil, fmt.Errorf("%s holds a data set of %d incidents, %d testimonies, seed %d; use another --work or --fresh",
				o.work, old.Incidents, old.Testimonies, old.Seed)
		}
		if old.Gen != nil && old.Token != "" {
			if _, err := os.Stat(filepath.Join(old.Dir, "vigil.db")); err == nil {
				old.Reused = true
				log.Printf("reusing the data set in %s (generated %s)", old.Dir, old.Gen.Started.Format(time.RFC3339))
				if old.Baseline == nil {
					if err := runBaseline(ctx, o, &old); err != nil {
						return nil, err
					}
				}
				return &old, nil
			}
		}
	}
	// Start clean: a half-made data set cannot be trusted.
	for _, p := range []string{d.Dir, d.KeyFile, d.path(o), filepath.Join(o.work, "baseline")} {
		if err := os.RemoveAll(p); err != nil {
			return nil, err
		}
	}
	log.Printf("vigil init in %s", d.Dir)
	if _, err := runVigil(ctx, o, "init", "--data", d.Dir, "--key-file", d.KeyFile); err != nil {
		return nil, err
	}
	log.Printf("vigil gen: %d incidents, %d testimonies, seed %d (this is the long part)", o.incidents, o.testimonies, o.seed)
	t, err := runVigil(ctx, o, "gen", "--data", d.Dir, "--key-file", d.KeyFile,
		"--incidents", fmt.Sprint(o.incidents), "--testimonies", fmt.Sprint(o.testimonies), "--seed", fmt.Sprint(o.seed))
	if err != nil {
		return nil, err
	}
	d.Gen = t
	d.DBBytes = dirBytes(d.Dir)
	log.Printf("vigil gen took %s (user %s, sys %s; other processes %s); database %.0f MB", t.Wall.Round(time.Millisecond), t.User.Round(time.Millisecond),
		t.Sys.Round(time.Millisecond), t.OtherCPU.Round(time.Millisecond), float64(d.DBBytes)/1e6)
	if err := d.save(o); err != nil {
		return nil, err
	}
	if err := runBaseline(ctx, o, d); err != nil {
		return nil, err
	}

	d.Username = "bench"
	out, err := runVigil(ctx, o, "user", "add", "--data", d.Dir, "--key-file", d.KeyFile, "--username", d.Username, "--role", "coordinator", "--name", "Benchmark")
	if err != nil {
		return nil, err
	}
	d.Password = lastLine(out.Output)
	out, err = runVigil(ctx, o, "token", "create", "--data", d.Dir, "--key-file", d.KeyFile, "--user", d.Username, "--name", "bench")
	if err != nil {
		return nil, err
	}
	d.Token = lastLine(out.Output)
	if d.Password == "" || d.Token == "" {
		return nil, errors.New("could not read the password or token that vigil printed")
	}
	return d, d.save(o)
}

func runBaseline(ctx context.Context, o options, d *dataset) error {
	log.Printf("baseline: the bare engine inserting the same rows in one transaction")
	b, err := sqliteBaseline(ctx, o, d.KeyFile, filepath.Join(d.Dir, "vigil.db"))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	d.Baseline = b
	log.Printf("baseline took %s (insert %s, CPU %s; other processes %s); contents %s", b.Wall.Round(time.Millisecond), b.Insert.Round(time.Millisecond),
		b.CPU.Round(time.Millisecond), b.OtherCPU.Round(time.Millisecond), b.Check)
	return d.save(o)
}

// runVigil runs the binary under test with a clean environment (no
// PostgreSQL URL or passphrase leaking in) and returns its stdout and costs.
func runVigil(ctx context.Context, o options, args ...string) (*procTiming, error) {
	return runVigilWith(ctx, o, vigilEnv(), args...)
}

func runVigilWith(ctx context.Context, o options, env []string, args ...string) (*procTiming, error) {
	cmd := exec.CommandContext(ctx, o.vigil, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	busy0 := systemBusy()
	t := &procTiming{Started: time.Now()}
	err := cmd.Start()
	// The peak RSS comes from the child's own VmHWM, read until it exits:
	// the rusage maximum also counts this process's memory, which the
	// child shares between fork and exec.
	var hwm atomic.Int64
	done := make(chan struct{})
	if err == nil {
		go func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				if _, h, err := procStatus(cmd.Process.Pid); err == nil && h > hwm.Load() {
					hwm.Store(h)
				}
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
		err = cmd.Wait()
		close(done)
	}
	t.Wall = time.Since(t.Started)
	busy := systemBusy() - busy0
	if err != nil {
		return nil, fmt.Errorf("vigil %s: %v\n%s%s", strings.Join(args[:1], " "), err, stdout.String(), stderr.String())
	}
	t.User, t.Sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
	t.OtherCPU = max(busy-t.User-t.Sys, 0)
	t.MaxRSS = hwm.Load()
	t.Output = strings.TrimSpace(stdout.String())
	return t, nil
}

func vigilEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VIGIL_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

// dirBytes is the size of the files in dir (database, WAL, shm).
func dirBytes(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}
