package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"vigil/internal/demo"
)

// server is a running `vigil serve` subprocess.
type server struct {
	cmd   *exec.Cmd
	base  string
	ready time.Duration // exec → first 200 from /healthz
	logf  io.Closer
	done  chan error
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer execs `vigil serve` on a free loopback port and waits for the
// first 200 from /healthz, polling every millisecond.
func startServer(ctx context.Context, o options, ds *dataset, logName string, extraEnv ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	lf, err := logTo(o, logName)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(o.vigil, "serve", "--data", ds.Dir, "--key-file", ds.KeyFile, "--addr", addr)
	cmd.Env = append(vigilEnv(), extraEnv...)
	cmd.Stdout, cmd.Stderr = lf, lf
	s := &server{cmd: cmd, base: "http://" + addr, logf: lf, done: make(chan error, 1)}
	probe := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	go func() { s.done <- cmd.Wait() }()
	deadline := start.Add(2 * time.Minute)
	for {
		resp, err := probe.Get(s.base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(start)
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			lf.Close()
			return nil, fmt.Errorf("vigil serve exited before answering: %v (see %s/logs/%s)", err, o.work, logName)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("vigil serve did not answer /healthz within 2 minutes")
		}
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop asks the server to shut down and waits for it (killing it after 20 s).
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.logf.Close()
}

// procStatus reads VmRSS and VmHWM (peak RSS) of pid, in bytes.
func procStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb * 1024
		case "VmHWM:":
			hwm = kb * 1024
		}
	}
	return rss, hwm, sc.Err()
}

// rssSampler samples the server's VmRSS every 20 ms until stopped.
type rssSampler struct {
	stopc chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	max   int64 // over the whole run
	span  int64 // since the last takeSpan
	n     int
}

// takeSpan returns the max since the last call and starts a new span.
func (r *rssSampler) takeSpan() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.span
	r.span = 0
	return m
}

func sampleRSS(pid int) *rssSampler {
	r := &rssSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := procStatus(pid); err == nil {
				r.mu.Lock()
				r.max = max(r.max, rss)
				r.span = max(r.span, rss)
				r.n++
				r.mu.Unlock()
			}
			select {
			case <-r.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *rssSampler) stop() { close(r.stopc); <-r.done }

// client is an authenticated HTTP client for one surface.
type client struct {
	http   *http.Client
	base   string
	cookie *http.Cookie // UI session
	token  string       // API bearer token
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, DisableCompression: true,
			IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// login signs in through the login form as a browser would (a same-origin
// POST) and returns the session cookie (named vigil_session, possibly with
// a __Host- prefix).
func login(hc *http.Client, base, user, pass string) (*http.Cookie, error) {
	form := url.Values{"username": {user}, "password": {pass}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var names []string
	for _, c := range resp.Cookies() {
		names = append(names, c.Name)
		if strings.HasSuffix(c.Name, "vigil_session") && c.Value != "" {
			return &http.Cookie{Name: c.Name, Value: c.Value}, nil
		}
	}
	return nil, fmt.Errorf("login answered %s (Location %q) without a session cookie (cookies: %v): %.200s", resp.Status, resp.Header.Get("Location"), names, body)
}

func (c *client) get(path string, api bool) (status int, n int64, body []byte, err error) {
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	if api {
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
	} else {
		req.AddCookie(c.cookie)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, int64(len(body)), body, err
}

// kind is one kind of request measured.
type kind struct {
	Name   string
	Class  string // list, record, search
	Budget time.Duration
	API    bool
	Path   func(i int) string // the i-th request's path
	Sample string             // an example path, for the report

	// Results.
	N, Errors     int
	FirstErr      string
	P50, P95, P99 time.Duration
	Max, Mean     time.Duration
	Bytes         int64 // mean response size
	Elapsed       time.Duration
	TimedOut      bool
	StatusSeen    map[int]int
	RSSMax        int64         // max server RSS sampled while this kind ran
	OtherCPU      time.Duration // CPU other processes used during the kept run
	Attempts      int           // runs made; the least disturbed one is kept
	durations     []time.Duration
}

type loadResult struct {
	Kinds       []*kind
	Requests    int
	Concurrency int
	Warmup      int
	RSSStart    int64 // right after start
	RSSLogin    int64 // after one sign-in through the login form
	RSSIdle     int64 // after the page-50 walk, before the load
	Smaps       smapsSummary
	GC          gcSummary
	ServerCPU   time.Duration // during the load
	ClientCPU   time.Duration // this tool, during the load
	OtherCPU    time.Duration // everything else on the machine, during the load
	LoadWall    time.Duration
	RSSMax      int64 // max sampled VmRSS during the load
	RSSHWM      int64 // VmHWM at the end (the kernel's own peak)
	RSSSamples  int
	Startup     time.Duration
	Cursor50    string
}

const warmup = 10

// measureServer starts `vigil serve` on the data set, signs in both ways,
// and runs every request kind in turn, bounded in count and time, while
// sampling the server's RSS.
func measureServer(ctx context.Context, o options, ds *dataset) (*loadResult, error) {
	log.Printf("starting vigil serve for the load test")
	// gctrace makes the runtime log the heap at every collection (to the
	// log file), which shows how much of the RSS is Go heap.
	srv, err := startServer(ctx, o, ds, "serve-load.log", "GODEBUG=gctrace=1")
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	res := &loadResult{Requests: o.requests, Concurrency: o.concurrency, Warmup: warmup, Startup: srv.ready}
	if res.RSSStart, _, err = procStatus(srv.pid()); err != nil {
		return nil, err
	}
	hc := newHTTPClient(o.concurrency)
	cookie, err := login(hc, srv.base, ds.Username, ds.Password)
	if err != nil {
		return nil, err
	}
	res.RSSLogin, _, _ = procStatus(srv.pid())
	c := &client{http: hc, base: srv.base, cookie: cookie, token: ds.Token}

	// Cursor of page 50 of the unfiltered list, by walking the API.
	cur := ""
	for range 49 {
		status, _, body, err := c.get("/api/v1/incidents?cursor="+url.QueryEscape(cur), true)
		if err != nil || status != 200 {
			return nil, fmt.Errorf("walking to page 50: %d %v %.200s", status, err, body)
		}
		var page struct {
			Next string `json:"next"`
		}
		if err := json.Unmarshal(body, &page); err != nil || page.Next == "" {
			return nil, fmt.Errorf("walking to page 50: no next cursor (%v)", err)
		}
		cur = page.Next
	}
	res.Cursor50 = cur
	if res.RSSIdle, _, err = procStatus(srv.pid()); err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewPCG(uint64(o.seed), 42))
	incIDs := make([]int, o.requests+warmup)
	tesIDs := make([]int, o.requests+warmup)
	for i := range incIDs {
		incIDs[i] = 1 + rng.IntN(ds.Incidents)
		tesIDs[i] = 1 + rng.IntN(ds.Testimonies)
	}
	fixed := func(p string) func(int) string { return func(int) string { return p } }
	q := url.QueryEscape
	list, record := 50*time.Millisecond, 10*time.Millisecond
	kinds := []*kind{
		{Name: "Dashboard (UI)", Class: "list", Budget: list, Path: fixed("/")},
		{Name: "Incidents, first page (UI)", Class: "list", Budget: list, Path: fixed("/incidents")},
		{Name: "Incidents, first page (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/incidents")},
		{Name: "Incidents, kind=violence & crossing_point=vartius (UI)", Class: "list", Budget: list, Path: fixed("/incidents?kind=violence&crossing_point=vartius")},
		{Name: "Incidents, kind=violence & crossing_point=vartius (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/incidents?kind=violence&crossing_point=vartius")},
		{Name: "Incidents, verification=unverified & 2023-11-01..2023-12-31 (UI)", Class: "list", Budget: list, Path: fixed("/incidents?verification=unverified&from=2023-11-01&to=2023-12-31")},
		{Name: "Incidents, verification=unverified & 2023-11-01..2023-12-31 (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/incidents?verification=unverified&from=2023-11-01&to=2023-12-31")},
		{Name: "Incidents, page 50 by cursor (UI)", Class: "list", Budget: list, Path: fixed("/incidents?cursor=" + q(cur))},
		{Name: "Incidents, page 50 by cursor (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/incidents?cursor=" + q(cur))},
		{Name: "Testimonies, first page (UI)", Class: "list", Budget: list, Path: fixed("/testimonies")},
		{Name: "Testimonies, first page (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/testimonies")},
		// Lists filtered by words (the list pages' q), in list order.
		{Name: "Incidents, q=" + demo.RareWordEN + " (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/incidents?q=" + q(demo.RareWordEN))},
		{Name: "Testimonies, q=" + demo.RareWordEN + " (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/testimonies?q=" + q(demo.RareWordEN))},
		{Name: "Incidents, q=border (UI)", Class: "list", Budget: list, Path: fixed("/incidents?q=border")},
		{Name: "Testimonies, q=border (UI)", Class: "list", Budget: list, Path: fixed("/testimonies?q=border")},
		// Words whose records cluster in time (the generator's month names):
		// the slowest words of a sweep over every word of its phrase banks
		// before the full-text index was keyed in list order.
		{Name: "Testimonies, q=november (UI)", Class: "list", Budget: list, Path: fixed("/testimonies?q=november")},
		{Name: "Testimonies, q=marraskuussa (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/testimonies?q=marraskuussa")},
		{Name: "Incidents, q=month (UI)", Class: "list", Budget: list, Path: fixed("/incidents?q=month")},
		{Name: "Incidents, q=july (API)", Class: "list", Budget: list, API: true, Path: fixed("/api/v1/incidents?q=july")},
		{Name: "Incident record, random id (UI)", Class: "record", Budget: record, Path: func(i int) string { return "/incidents/" + strconv.Itoa(incIDs[i]) }},
		{Name: "Testimony record, random id (UI)", Class: "record", Budget: record, Path: func(i int) string { return "/testimonies/" + strconv.Itoa(tesIDs[i]) }},
		{Name: "Incident record, random id (API)", Class: "record", Budget: record, API: true, Path: func(i int) string { return "/api/v1/incidents/" + strconv.Itoa(incIDs[i]) }},
		{Name: "Testimony record, random id (API)", Class: "record", Budget: record, API: true, Path: func(i int) string { return "/api/v1/testimonies/" + strconv.Itoa(tesIDs[i]) }},
		{Name: "Search, rare word “" + demo.RareWordEN + "” (UI)", Class: "search", Budget: list, Path: fixed("/search?q=" + q(demo.RareWordEN))},
		{Name: "Search, rare word “" + demo.RareWordFI + "” (UI)", Class: "search", Budget: list, Path: fixed("/search?q=" + q(demo.RareWordFI))},
		{Name: "Search, common word “border” (UI)", Class: "search", Budget: list, Path: fixed("/search?q=border")},
	}
	res.Kinds = kinds
	busy0, srv0, cli0 := systemBusy(), procCPU(srv.pid()), cpuTime()
	sampler := sampleRSS(srv.pid())
	defer func() {
		if sampler != nil {
			sampler.stop()
		}
	}()
	loadStart := time.Now()
	defer func() { res.LoadWall = time.Since(loadStart) }()
	for _, k := range kinds {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		k.Sample = k.Path(0)
		sampler.takeSpan()
		// Other processes on this small machine disturb latency: a kind run
		// while they took more than a quarter of a core is run again, and
		// the least disturbed run is kept.
		var best *kind
		runs := 0
		for attempt := 0; attempt <= o.retries; attempt++ {
			runs++
			try := *k
			b0, s0, c0 := systemBusy(), procCPU(srv.pid()), cpuTime()
			runKind(ctx, c, &try, o)
			try.OtherCPU = max(systemBusy()-b0-(procCPU(srv.pid())-s0)-(cpuTime()-c0), 0)
			if best == nil || try.otherShare() < best.otherShare() {
				best = &try
			}
			if try.OtherCPU < try.Elapsed/4 || attempt == o.retries {
				break
			}
			log.Printf("%s: other processes used %s of CPU in %s; running it again", k.Name, try.OtherCPU.Round(time.Millisecond), try.Elapsed.Round(time.Millisecond))
		}
		*k = *best
		k.Attempts = runs
		k.RSSMax = sampler.takeSpan()
		if rss, _, err := procStatus(srv.pid()); err == nil {
			k.RSSMax = max(k.RSSMax, rss) // a kind may finish between two samples
		}
		log.Printf("%-70s n=%d p50=%s p95=%s max=%s errors=%d rss=%s other-cpu=%s", k.Name, k.N, ms(k.P50), ms(k.P95), ms(k.Max), k.Errors, mb(k.RSSMax), k.OtherCPU.Round(time.Millisecond))
	}
	sampler.stop()
	res.ServerCPU, res.ClientCPU = procCPU(srv.pid())-srv0, cpuTime()-cli0
	res.OtherCPU = max(systemBusy()-busy0-res.ServerCPU-res.ClientCPU, 0)
	res.RSSMax, res.RSSSamples = sampler.max, sampler.n
	sampler = nil
	_, res.RSSHWM, _ = procStatus(srv.pid())
	res.Smaps, _ = readSmaps(srv.pid())
	res.GC = parseGCTrace(filepath.Join(o.work, "logs", "serve-load.log"))
	return res, nil
}

// runKind sends warmup+o.requests requests of k with o.concurrency workers;
// warm-up requests are not measured. It stops early after o.kindBudget.
func runKind(ctx context.Context, c *client, k *kind, o options) {
	total := warmup + o.requests
	k.StatusSeen = map[int]int{}
	var (
		mu    sync.Mutex
		next  int
		wg    sync.WaitGroup
		bytes int64
	)
	start := time.Now()
	deadline := start.Add(o.kindBudget)
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= total || ctx.Err() != nil {
					return
				}
				if time.Now().After(deadline) {
					mu.Lock()
					k.TimedOut = true
					mu.Unlock()
					return
				}
				t0 := time.Now()
				status, n, body, err := c.get(k.Path(i), k.API)
				d := time.Since(t0)
				mu.Lock()
				if i >= warmup {
					k.StatusSeen[status]++
					if err != nil || status != 200 {
						k.Errors++
						if k.FirstErr == "" {
							if err != nil {
								k.FirstErr = err.Error()
							} else {
								k.FirstErr = fmt.Sprintf("%d %.120s", status, strings.Join(strings.Fields(string(body)), " "))
							}
						}
					} else {
						k.durations = append(k.durations, d)
						bytes += n
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	k.Elapsed = time.Since(start)
	k.N = len(k.durations)
	if k.N == 0 {
		return
	}
	slices.Sort(k.durations)
	k.P50, k.P95, k.P99 = pct(k.durations, 50), pct(k.durations, 95), pct(k.durations, 99)
	k.Max = k.durations[k.N-1]
	var sum time.Duration
	for _, d := range k.durations {
		sum += d
	}
	k.Mean = sum / time.Duration(k.N)
	k.Bytes = bytes / int64(k.N)
}

// pct is the nearest-rank percentile of sorted ds.
func pct(ds []time.Duration, p int) time.Duration {
	i := (len(ds)*p + 99) / 100 // ceil(n*p/100)
	return ds[max(i-1, 0)]
}

type coldResult struct {
	Runs   []time.Duration
	Median time.Duration
}

// measureColdStart execs `vigil serve` o.coldRuns times and times each from
// exec to the first 200 from /healthz. The page cache is warm (the files
// were just read), which is the usual restart case.
func measureColdStart(ctx context.Context, o options, ds *dataset) (*coldResult, error) {
	r := &coldResult{}
	for i := range o.coldRuns {
		srv, err := startServer(ctx, o, ds, fmt.Sprintf("serve-cold-%d.log", i+1))
		if err != nil {
			return nil, err
		}
		r.Runs = append(r.Runs, srv.ready)
		srv.stop()
		log.Printf("cold start %d: %s", i+1, ms(srv.ready))
	}
	s := slices.Clone(r.Runs)
	slices.Sort(s)
	r.Median = s[len(s)/2]
	if len(s)%2 == 0 {
		r.Median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return r, nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

// smapsSummary splits the server's resident memory by mapping, to say
// where RSS goes: each SQLite connection's linear memory (ncruces/go-sqlite3
// reserves 256 MiB of address space per connection and commits it as
// SQLite's heap grows; it never shrinks), the binary's own pages, and the
// rest (the Go heap and runtime).
type smapsSummary struct {
	SQLiteConns int
	SQLiteRSS   int64
	BinaryRSS   int64
	OtherAnon   int64
	OtherFile   int64
	Total       int64
}

type vma struct {
	lo, hi uint64
	name   string
	rss    int64
}

func readSmaps(pid int) (smapsSummary, error) {
	var s smapsSummary
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return s, err
	}
	defer f.Close()
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	var vmas []vma
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") {
			var v vma
			if _, err := fmt.Sscanf(fields[0], "%x-%x", &v.lo, &v.hi); err == nil {
				if len(fields) >= 6 {
					v.name = fields[5]
				}
				vmas = append(vmas, v)
			}
			continue
		}
		if fields[0] == "Rss:" && len(fields) >= 2 && len(vmas) > 0 {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			vmas[len(vmas)-1].rss = kb * 1024
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	// A connection's linear memory is one 256 MiB reservation
	// (sqlite3_wrap.Memory{Max: 4096} pages of 64 KiB), split into
	// contiguous mappings: the committed part, the WAL index (-shm) mapped
	// into it, and the rest still reserved.
	const wasmReserve = 4096 << 16
	anonOrShm := func(v vma) bool { return v.name == "" || strings.HasSuffix(v.name, "-shm") }
	wasm := make([]bool, len(vmas))
	for i := 0; i < len(vmas); i++ {
		if !anonOrShm(vmas[i]) {
			continue
		}
		for j := i; j < len(vmas) && anonOrShm(vmas[j]) && (j == i || vmas[j].lo == vmas[j-1].hi); j++ {
			span := vmas[j].hi - vmas[i].lo
			if span == wasmReserve {
				for k := i; k <= j; k++ {
					wasm[k] = true
				}
				s.SQLiteConns++
				i = j
				break
			}
			if span > wasmReserve {
				break
			}
		}
	}
	for i, v := range vmas {
		s.Total += v.rss
		switch {
		case wasm[i]:
			s.SQLiteRSS += v.rss
		case v.name != "" && v.name == exe:
			s.BinaryRSS += v.rss
		case v.name == "" || strings.HasPrefix(v.name, "["):
			s.OtherAnon += v.rss
		default:
			s.OtherFile += v.rss
		}
	}
	return s, nil
}

// gcSummary is read from the server's gctrace lines ("gc N @t s P%: ...
// A->B->C MB, D MB goal, ..."): the largest heap at the start of a
// collection and the largest goal.
type gcSummary struct {
	Cycles    int
	MaxHeapMB int
	MaxGoalMB int
	MaxLiveMB int
}

var gcLine = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

func parseGCTrace(path string) gcSummary {
	var g gcSummary
	f, err := os.Open(path)
	if err != nil {
		return g
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		g.Cycles++
		a, _ := strconv.Atoi(m[1])
		c, _ := strconv.Atoi(m[3])
		goal, _ := strconv.Atoi(m[4])
		g.MaxHeapMB, g.MaxLiveMB, g.MaxGoalMB = max(g.MaxHeapMB, a), max(g.MaxLiveMB, c), max(g.MaxGoalMB, goal)
	}
	return g
}

// otherShare is the CPU other processes used while the kind ran, in cores.
func (k *kind) otherShare() float64 {
	if k.Elapsed <= 0 {
		return 0
	}
	return k.OtherCPU.Seconds() / k.Elapsed.Seconds()
}
