package main

import (
	"bufio"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type machine struct {
	CPU, Kernel, GoVersion, VigilVersion, VigilBuild string
	VigilBuilt                                       time.Time
	StoreHash                                        string
	Nice                                             int
	Cores                                            int
	MemGiB                                           float64
}

func machineFacts(vigil string) machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var kb int64
			if _, err := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); err == nil {
				m.MemGiB = float64(kb) / (1 << 20)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command(vigil, "version").Output(); err == nil {
		m.VigilVersion = strings.TrimSpace(string(out))
	}
	if bi, err := buildinfo.ReadFile(vigil); err == nil {
		var vcs []string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision", "vcs.time", "vcs.modified":
				vcs = append(vcs, s.Key+"="+s.Value)
			}
		}
		m.VigilBuild = bi.GoVersion
		if len(vcs) > 0 {
			m.VigilBuild += ", " + strings.Join(vcs, ", ")
		}
	}
	if fi, err := os.Stat(vigil); err == nil {
		m.VigilBuilt = fi.ModTime()
	}
	m.StoreHash = sourceHash("internal/store")
	m.Nice = selfNice()
	return m
}

type report struct {
	opts     options
	machine  machine
	started  time.Time
	finished time.Time
	ds       *dataset
	profiles []profileRun
	load     *loadResult
	cold     *coldResult
	pg       *pgResult
	search   *queryProfile
	backup   *backupResult
	pgErr    error
}

func verdict(ok bool) string {
	if ok {
		return "**within budget**"
	}
	return "**OVER BUDGET**"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func (r *report) write(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	m := r.machine
	p("# Vigil benchmark results\n\n")
	p("| | |\n|---|---|\n")
	p("| date | %s |\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	p("| CPU | %s |\n| cores | %d |\n| memory | %.1f GiB |\n| kernel | Linux %s |\n| Go | %s |\n| vigil binary | %s, built %s (%s) |\n",
		m.CPU, m.Cores, m.MemGiB, m.Kernel, m.GoVersion, m.VigilVersion, m.VigilBuilt.UTC().Format("2006-01-02 15:04 MST"), m.VigilBuild)
	p("| priority | this tool and the vigil processes it starts ran at nice %d |\n", m.Nice)
	if m.StoreHash != "" {
		p("| internal/store source | sha256 %s (non-test .go and .sql files, when this tool started) |\n", m.StoreHash)
	}
	p("| data set | %d incidents, %d testimonies, seed %d, made by `vigil gen` |\n", r.opts.incidents, r.opts.testimonies, r.opts.seed)
	if !r.finished.IsZero() {
		p("| run took | %s |\n", r.finished.Sub(r.started).Round(time.Second))
	}
	p("\n")

	type row struct{ what, measured, baseline, ratio, budget, verdict string }
	var rows []row

	if d := r.ds; d != nil && d.Gen != nil {
		p("## 1. Bulk load\n\n")
		if d.Reused {
			p("The data set in the work directory was reused; both times below were measured together when it was made (%s), ",
				d.Gen.Started.UTC().Format("2006-01-02 15:04 MST"))
			p("with the vigil binary built %s (internal/store sha256 %s).", d.GenVigilBuilt.UTC().Format("2006-01-02 15:04 MST"), orUnknown(d.GenStoreHash))
			if d.GenStoreHash != m.StoreHash || !d.GenVigilBuilt.Equal(m.VigilBuilt) {
				p(" **That is not the build measured in the sections below**; run with --fresh to measure the bulk load of this build.")
			}
			p("\n\n")
		}
		p("| | wall clock | CPU (user + sys) | other processes' CPU meanwhile | max RSS | database size |\n|---|---|---|---|---|---|\n")
		p("| `vigil gen --incidents %d --testimonies %d --seed %d` | %s | %s + %s | %s | %s | %s |\n", d.Incidents, d.Testimonies, d.Seed,
			secs(d.Gen.Wall), secs(d.Gen.User), secs(d.Gen.Sys), secs(d.Gen.OtherCPU), mb(d.Gen.MaxRSS), mb(d.DBBytes))
		if b := d.Baseline; b != nil {
			p("| baseline: bare engine, same rows, one transaction | %s | %s | %s | — | %s |\n\n", secs(b.Wall), secs(b.CPU), secs(b.OtherCPU), mb(b.DBBytes))
			ratio := d.Gen.Wall.Seconds() / b.Wall.Seconds()
			cpuRatio := (d.Gen.User + d.Gen.Sys).Seconds() / b.CPU.Seconds()
			p("Baseline: a separate database file opened like the store's writer (same driver ncruces/go-sqlite3 through its own sqlite3 API, "+
				"Adiantum VFS, key and pragmas), schema made by store.Open; the same %d generated rows (incidents, their tag rows, testimonies, "+
				"dashboard counters), encoded beforehand as the store encodes them (%s, not counted), then one prepared INSERT per table, "+
				"one table after another, in one transaction; the clock covers open → BEGIN → inserts → COMMIT → close (BEGIN→COMMIT alone: %s). ",
				b.Rows, secs(b.Encode), secs(b.Insert))
			if b.Pragmas != "" {
				p("Pragmas read from the store's writer connection and applied to the baseline's: %s. ", b.Pragmas)
			}
			if b.FTSRows > 0 {
				p("New rows reach the full-text indexes from the store rather than by trigger in this schema, so the baseline inserts the %d index rows too, with one prepared INSERT per index. ", b.FTSRows)
			}
			p("\n\n")
			if b.Check != "" {
				p("The two databases were compared after loading: %s.\n\n", b.Check)
			}
			p("**Ratio `vigil gen` / baseline: %.2f× wall clock** (budget ≤ 4×) — %s. By CPU time: %.2f×.\n\n", ratio, verdict(ratio <= 4), cpuRatio)
			if d.Gen.OtherCPU > d.Gen.Wall/10 || b.OtherCPU > b.Wall/10 {
				p("Note: other processes used noticeable CPU during these measurements (column above) on this %d-core machine, which lengthens wall-clock times.\n\n", m.Cores)
			}
			rows = append(rows, row{"bulk load (wall clock)", secs(d.Gen.Wall), secs(b.Wall), fmt.Sprintf("%.2f×", ratio), "≤ 4×", verdict(ratio <= 4)})
		}
	}

	if pg := r.pg; pg != nil || r.pgErr != nil {
		p("### Bulk load on PostgreSQL (optional)\n\n")
		if r.pgErr != nil {
			p("Failed: `%v`\n\n", r.pgErr)
		}
		if pg != nil && pg.Gen > 0 && pg.Baseline > 0 {
			ratio := pg.Gen.Seconds() / pg.Baseline.Seconds()
			p("%d incidents, %d testimonies, seed %d; fresh schemas in %s.\n\n", pg.Incidents, pg.Testimonies, r.opts.seed, pg.Where)
			p("| | wall clock |\n|---|---|\n| `vigil gen` (VIGIL_DATABASE_URL) | %s |\n| baseline: %s | %s |\n", secs(pg.Gen), pg.BaselineHow, secs(pg.Baseline))
			if pg.Copy > 0 {
				p("| for reference: the same rows by COPY, one transaction | %s |\n", secs(pg.Copy))
			}
			p("\nRows afterwards: %s.\n", pg.Check)
			p("\n**Ratio: %.2f×** (budget ≤ 4×) — %s\n\n", ratio, verdict(ratio <= 4))
			rows = append(rows, row{fmt.Sprintf("bulk load, PostgreSQL (%d/%d)", pg.Incidents, pg.Testimonies), secs(pg.Gen), secs(pg.Baseline),
				fmt.Sprintf("%.2f×", ratio), "≤ 4×", verdict(ratio <= 4)})
		}
	}

	if l := r.load; l != nil {
		p("## 2. Server time (p95), measured on the client over loopback\n\n")
		p("A real `vigil serve` subprocess on the data set; %d measured requests per kind after %d warm-up requests, %d concurrent keep-alive connections, "+
			"each kind capped at %s. The UI is signed in through POST /login (session cookie), the API with a token from `vigil token create`; "+
			"the account is a coordinator. Times run from sending the request to reading the last byte, so they bound server time from above "+
			"(the client shares the %d cores). Random record ids are drawn with seed %d. Page-50 cursor found by walking the API.\n\n",
			l.Requests, l.Warmup, l.Concurrency, r.opts.kindBudget, m.Cores, r.opts.seed)
		p("The column “others” is the CPU that other processes on the machine used while the kind ran, in cores (a kind is run again, up to %d more times, when it exceeds 0.25, and the least disturbed run is kept; “runs” counts them).\n\n", r.opts.retries)
		p("| request | n | p50 | p95 | p99 | max | mean size | others | runs | budget (p95) | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, k := range l.Kinds {
			v := verdict(k.N > 0 && k.Errors == 0 && k.P95 <= k.Budget)
			if k.N == 0 {
				v = "**no successful request**"
			}
			note := ""
			if k.Errors > 0 {
				note = fmt.Sprintf(" (%d errors: %s)", k.Errors, k.FirstErr)
			}
			if k.TimedOut {
				note += fmt.Sprintf(" (stopped after %s)", k.Elapsed.Round(time.Second))
			}
			p("| %s `%s`%s | %d | %s | %s | %s | %s | %.1f kB | %.2f | %d | ≤ %s | %s |\n", k.Name, shorten(k.Sample), note, k.N, ms(k.P50), ms(k.P95), ms(k.P99), ms(k.Max),
				float64(k.Bytes)/1e3, k.otherShare(), k.Attempts, ms(k.Budget), v)
			rows = append(rows, row{"p95 " + k.Name, ms(k.P95), "—", "—", "≤ " + ms(k.Budget), v})
		}
		p("\nCPU during the load (%s): server %s, this client %s, other processes %s.\n", l.LoadWall.Round(time.Second), secs(l.ServerCPU), secs(l.ClientCPU), secs(l.OtherCPU))
		p("\n## 3. Server memory under load\n\n")
		p("VmRSS of the server process from /proc/<pid>/status, sampled every 20 ms through all the requests above (%d samples).\n\n", l.RSSSamples)
		p("| | RSS |\n|---|---|\n| right after start | %s |\n| after one sign-in (POST /login) | %s |\n| after walking 49 pages of the API, before the load | %s |\n| **max sampled under load** | **%s** |\n| VmHWM (kernel's peak) at the end | %s |\n\n",
			mb(l.RSSStart), mb(l.RSSLogin), mb(l.RSSIdle), mb(l.RSSMax), mb(l.RSSHWM))
		p("Largest server RSS while each kind of request ran: ")
		for i, k := range l.Kinds {
			if i > 0 {
				p("; ")
			}
			p("%s %s", k.Name, mb(k.RSSMax))
		}
		p(".\n\n")
		if g := l.GC; g.Cycles > 0 {
			p("Go heap (GODEBUG=gctrace=1 on the server, %d collections over the whole run): largest heap at the start of a collection %d MB, largest live heap after one %d MB, largest heap goal %d MB.\n\n",
				g.Cycles, g.MaxHeapMB, g.MaxLiveMB, g.MaxGoalMB)
		}
		if sm := l.Smaps; sm.Total > 0 {
			p("Where the resident memory was after the load (/proc/<pid>/smaps): SQLite linear memories of %d connections %s (256 MiB reservations, committed as SQLite's heap grows, never returned); "+
				"the binary's mapped pages %s; other anonymous memory (Go heap, stacks, runtime) %s; other files %s; total %s.\n\n",
				sm.SQLiteConns, mb(sm.SQLiteRSS), mb(sm.BinaryRSS), mb(sm.OtherAnon), mb(sm.OtherFile), mb(sm.Total))
		}
		peak := max(l.RSSMax, l.RSSHWM)
		p("Budget ≤ 150 MB — %s\n\n", verdict(peak <= 150e6))
		rows = append(rows, row{"server RSS under load (max)", mb(peak), "—", "—", "≤ 150 MB", verdict(peak <= 150e6)})
	}

	if c := r.cold; c != nil {
		p("## 4. Cold start\n\n")
		p("Time from exec of `vigil serve` on the full data set to the first 200 from /healthz (polled every 1 ms), %d runs; page cache warm.\n\n", len(c.Runs))
		var runs []string
		for _, d := range c.Runs {
			runs = append(runs, ms(d))
		}
		p("Runs: %s. **Median %s** (budget ≤ 500 ms) — %s\n\n", strings.Join(runs, ", "), ms(c.Median), verdict(c.Median <= 500*time.Millisecond))
		rows = append(rows, row{"cold start (median of " + fmt.Sprint(len(c.Runs)) + ")", ms(c.Median), "—", "—", "≤ 500 ms", verdict(c.Median <= 500*time.Millisecond)})
	}

	if len(r.profiles) > 0 {
		p("## 5. CPU profiles of the bulk load\n\n")
		p("Both made in-process by this tool at a smaller scale; `go tool pprof -top` of each (profile files in the work directory).\n\n")
		if len(r.profiles) == 2 {
			v, b := r.profiles[0], r.profiles[1]
			p("| | rows | wall clock | CPU | ratio |\n|---|---|---|---|---|\n")
			p("| %s | %s | %s | %s | %.2f× |\n| %s | %s | %s | %s | 1× |\n\n", v.Name, v.Rows, secs(v.Wall), secs(v.CPU), v.Wall.Seconds()/b.Wall.Seconds(),
				b.Name, b.Rows, secs(b.Wall), secs(b.CPU))
		}
		for _, pr := range r.profiles {
			p("### %s\n\n`%s`\n\n```\n%s\n```\n\nBy cumulative time:\n\n```\n%s\n```\n\n", pr.Name, pr.File, pr.TopFlat, pr.TopCum)
		}
	}

	if q := r.search; q != nil {
		p("## 6. Search, in-process\n\n")
		p("The store calls behind the search page and behind the list pages filtered by words (?q=), on the same database with no server running (median of 15), then the SQL steps behind them on a read-only connection (median of 3; a step slower than 1 s is run once).\n\n")
		if q.Note != "" {
			p("%s\n\n", q.Note)
		}
		p("| call | rows | median | max |\n|---|---|---|---|\n")
		for _, t := range q.Calls {
			p("| %s | %d | %s | %s |\n", t.What, t.Rows, ms(t.Median), ms(t.Max))
		}
		if sw := q.Sweep; sw != nil {
			p("\n**Every word.** The first page (50) of the testimony and incident lists filtered by each of the %d words of the generator's phrase banks, timed once after one warm-up call", sw.Words)
			if sw.Note != "" {
				p(" (%s)", sw.Note)
			}
			p(": %d words took more than 50 ms on testimonies, %d on incidents. The slowest:\n\n| word | testimonies | incidents |\n|---|---|---|\n", sw.OverTestimonies, sw.OverIncidents)
			for _, w := range sw.Slowest {
				p("| %s | %s | %s |\n", w.Word, ms(w.Testimonies), ms(w.Incidents))
			}
			rows = append(rows, row{fmt.Sprintf("word-filtered lists over %d words (in-process, > 50 ms)", sw.Words),
				fmt.Sprintf("%d testimonies, %d incidents", sw.OverTestimonies, sw.OverIncidents), "—", "—", "0", verdict(sw.Words > 0 && sw.OverTestimonies+sw.OverIncidents == 0)})
		}
		p("\n| SQL step | rows | median |\n|---|---|---|\n")
		for _, t := range q.Steps {
			p("| %s | %d | %s |\n", t.What, t.Rows, ms(t.Median))
		}
		if q.Top != "" {
			p("\nCPU profile of the store calls (`%s`), by cumulative time:\n\n```\n%s\n```\n\n", q.File, q.Top)
		}
	}

	if b := r.backup; b != nil && len(b.Runs) > 0 {
		p("## 7. Backup and restore (issue 3: each within 3× copying the database file)\n\n")
		b.write(p, verdict)
		for _, x := range []struct {
			what string
			d    time.Duration
		}{{"`vigil backup`", b.Backup}, {"`vigil restore`", b.Restore}} {
			ratio := x.d.Seconds() / b.Copy.Seconds()
			rows = append(rows, row{x.what + " (median)", fmt.Sprintf("%.2f s", x.d.Seconds()), fmt.Sprintf("cp %.2f s", b.Copy.Seconds()),
				fmt.Sprintf("%.2f×", ratio), "≤ 3×", verdict(ratio <= 3)})
		}
	}

	if len(rows) > 0 {
		p("## Summary\n\n| measurement | measured | baseline | ratio | budget | verdict |\n|---|---|---|---|---|---|\n")
		for _, x := range rows {
			p("| %s | %s | %s | %s | %s | %s |\n", x.what, x.measured, x.baseline, x.ratio, x.budget, x.verdict)
		}
		p("\n")
	}
}

func shorten(s string) string {
	if len(s) > 70 {
		return s[:67] + "…"
	}
	return s
}

// sourceHash identifies the source of dir (relative to the working
// directory, the repository root under scripts/bench.sh): a short sha256
// over its non-test .go and .sql files, or "" outside the repository.
func sourceHash(dir string) string {
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, "_test.go") || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".sql")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(path), len(b))
		h.Write(b)
		n++
		return nil
	})
	if err != nil || n == 0 {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// systemBusy is the CPU time all processes have used since boot, from the
// first line of /proc/stat (user, nice, system, irq, softirq, steal).
func systemBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		var v int64
		fmt.Sscan(f[i], &v)
		ticks += v
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// procCPU is the user+sys time of pid so far, from /proc/<pid>/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * (time.Second / 100)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// selfNice is this process's nice value (field 19 of /proc/self/stat).
func selfNice() int {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 17 {
		return 0
	}
	var n int
	fmt.Sscan(f[16], &n)
	return n
}
