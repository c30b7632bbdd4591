package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/demo"
)

// syncBuffer lets the test read what the running demo prints.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var loginURLRE = regexp.MustCompile(`Open (http://127\.0\.0\.1:\d+)/login`)

// startDemo runs `vigil demo --data dir` in-process until the test ends.
func startDemo(t *testing.T, dir string) (base string, out *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, Env{Args: []string{"demo", "--data", dir, "--addr", "127.0.0.1:0"}, Stdout: out, Stderr: out, Getenv: func(string) string { return "" }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("demo did not stop")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := loginURLRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
		select {
		case code := <-done:
			t.Fatalf("demo exited with %d: %s", code, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("demo did not start: %s", out.String())
	return "", nil
}

func getJSON(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// TestDemoContract checks the acceptance contract of the demo instance.
func TestDemoContract(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	base, out := startDemo(t, dir)
	for _, role := range []string{"admin", "coordinator", "monitor", "legal_aid", "analyst"} {
		if !regexp.MustCompile(`(?m)^\s+` + role + `\s+role`).MatchString(out.String()) {
			t.Errorf("no login printed for %s:\n%s", role, out.String())
		}
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()

	code, tokOut, errs := run(t, nil, "token", "create", "--data", dir, "--user", "admin")
	lines := strings.Split(strings.TrimSpace(tokOut), "\n")
	token := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(token, "vgl_") {
		t.Fatalf("token create on the demo: %d %q %q", code, tokOut, errs)
	}
	for _, p := range []string{"figures", "crossing-points", "policy-events", "incidents", "testimonies", "cases"} {
		url := base + "/api/v1/" + p
		if code, _ := getJSON(t, "GET", url, "", ""); code != http.StatusUnauthorized {
			t.Errorf("%s without token: %d", p, code)
		}
		code, m := getJSON(t, "GET", url, token, "")
		items, ok := m["items"].([]any)
		if _, hasNext := m["next"]; code != 200 || !ok || len(items) == 0 || !hasNext {
			t.Errorf("%s: %d %v", p, code, m)
		}
	}
	secret := "Zyxwvut marker narrative that must never reach the disk in plain text"
	code, m := getJSON(t, "POST", base+"/api/v1/testimonies", token, `{"received_on":"2024-02-01","narrative":"`+secret+`"}`)
	if code != http.StatusCreated || m["narrative"] != secret {
		t.Fatalf("POST testimony: %d %v", code, m)
	}

	// No file under the data folder holds a narrative in plain text.
	ds, err := demo.Scenario()
	if err != nil {
		t.Fatal(err)
	}
	needles := []string{secret}
	for _, tm := range ds.Testimonies {
		needles = append(needles, tm.Narrative[:min(48, len(tm.Narrative))])
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s contains narrative text %q", p, n)
			}
		}
		return nil
	})
}
