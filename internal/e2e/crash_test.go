package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/app"
	"vigil/internal/store"
)

// The kill -9 test (issue 3, part 9): the real binary serves a fresh
// instance while a client records testimonies through the API as fast as it
// can; the server is killed with SIGKILL at a random moment, restarted, and
// killed again, several times. Every testimony the server acknowledged (201)
// must then be in the database with its exact narrative, the database must
// pass SQLite's integrity check, and `vigil audit verify` must find the
// audit chain intact.

const (
	crashRounds     = 5
	crashMaxPerRun  = 3000 // bounds the records of one round
	crashMinDelay   = 100 * time.Millisecond
	crashDelaySpan  = 700 * time.Millisecond
	crashTestBudget = 90 * time.Second // a hard stop for a hung child, not a timing assertion
)

// buildVigil compiles cmd/vigil into a temporary directory.
func buildVigil(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "vigil")
	cmd := exec.Command(goBin, "build", "-o", bin, "vigil/cmd/vigil")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// childEnv is the test's environment without the variables that would
// point the child at another instance or another engine.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VIGIL_") && !strings.HasPrefix(kv, "VIGIL_E2E=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func runVigil(t *testing.T, ctx context.Context, bin string, args ...string) (stdout string, code int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = childEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code <= 0 {
		t.Fatalf("vigil %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	if code != 0 {
		t.Logf("vigil %s exited %d:\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String(), code
}

// server is one run of `vigil serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
}

// lockedBuffer collects a child's output, readable while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startServe(t *testing.T, ctx context.Context, bin, data, keyFile string) *server {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "serve", "--data", data, "--key-file", keyFile, "--addr", "127.0.0.1:0")
	cmd.Env = childEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "Vigil is listening on "); ok {
			s.url = strings.TrimSpace(u)
			break
		}
	}
	if s.url == "" {
		_ = cmd.Wait()
		t.Fatalf("vigil serve did not start: %s", s.stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return s
}

type acked struct {
	id        int64
	narrative string
}

func TestKill9DuringBulkImport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), crashTestBudget)
	defer cancel()
	bin := buildVigil(t)
	tmp := t.TempDir()
	data, keyFile := filepath.Join(tmp, "data"), filepath.Join(tmp, "instance.key")
	if _, code := runVigil(t, ctx, bin, "init", "--data", data, "--key-file", keyFile); code != 0 {
		t.Fatal("vigil init failed")
	}
	if _, code := runVigil(t, ctx, bin, "user", "add", "--data", data, "--key-file", keyFile, "--username", "importer", "--role", "monitor"); code != 0 {
		t.Fatal("vigil user add failed")
	}
	out, code := runVigil(t, ctx, bin, "token", "create", "--data", data, "--key-file", keyFile, "--user", "importer")
	token := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(token, "vgl_") {
		t.Fatalf("vigil token create: %d %q", code, out)
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 1}}
	var all []acked
	for round := 1; round <= crashRounds; round++ {
		srv := startServe(t, ctx, bin, data, keyFile)
		// What earlier rounds acknowledged is served after the restart.
		if n := len(all); n > 0 {
			last := all[n-1]
			got, status := getNarrative(ctx, client, srv.url, token, last.id)
			if status != http.StatusOK || got != last.narrative {
				t.Fatalf("round %d: testimony %d after the restart: %d %q", round, last.id, status, got)
			}
		}
		var (
			mu   sync.Mutex
			mine []acked
			stop = make(chan struct{})
			done = make(chan error, 1)
		)
		go func() {
			for i := 0; i < crashMaxPerRun; i++ {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				narrative := fmt.Sprintf("round %d record %d: %x — we were pushed back across the river at night", round, i, rand.Uint64())
				id, err := postTestimony(ctx, client, srv.url, token, narrative)
				if err != nil {
					done <- err
					return
				}
				mu.Lock()
				mine = append(mine, acked{id, narrative})
				mu.Unlock()
			}
			done <- nil
		}()
		delay := crashMinDelay + rand.N(crashDelaySpan)
		select {
		case <-time.After(delay):
		case err := <-done:
			// The client stopped before the kill: the bound was reached,
			// or the server failed on its own (which is a failure).
			if err != nil {
				t.Fatalf("round %d: a request failed before the kill: %v\n%s", round, err, srv.stderr.String())
			}
			done <- nil
		}
		if err := srv.cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		_ = srv.cmd.Wait()
		close(stop)
		<-done // the client's next request fails; it stops
		client.CloseIdleConnections()
		mu.Lock()
		all = append(all, mine...)
		t.Logf("round %d: killed after %v, %d testimonies acknowledged", round, delay.Round(time.Millisecond), len(mine))
		mu.Unlock()
	}
	if len(all) == 0 {
		t.Fatal("no testimony was acknowledged in any round")
	}

	// Every acknowledged testimony is there, exactly; the database is sound.
	key, err := app.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Config{Dir: data, Key: key})
	if err != nil {
		t.Fatalf("open after the crashes: %v", err)
	}
	for _, a := range all {
		got, err := st.GetTestimony(ctx, a.id)
		if err != nil {
			t.Errorf("acknowledged testimony %d: %v", a.id, err)
			continue
		}
		if got.Narrative != a.narrative {
			t.Errorf("testimony %d: narrative %q, acknowledged %q", a.id, got.Narrative, a.narrative)
		}
	}
	var integrity string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("PRAGMA integrity_check: %q %v", integrity, err)
	}
	if rows, err := st.DB().QueryContext(ctx, "PRAGMA foreign_key_check"); err != nil {
		t.Errorf("PRAGMA foreign_key_check: %v", err)
	} else {
		if rows.Next() {
			t.Error("PRAGMA foreign_key_check found dangling references")
		}
		rows.Close()
	}
	st.Close()

	out, code = runVigil(t, ctx, bin, "audit", "verify", "--data", data, "--key-file", keyFile)
	if code != 0 || !strings.Contains(out, "intact") {
		t.Errorf("vigil audit verify after the crashes: exit %d\n%s", code, out)
	}
	t.Logf("%d kill -9 rounds, %d acknowledged testimonies all present and exact; integrity_check ok; audit verify exit %d", crashRounds, len(all), code)
}

func postTestimony(ctx context.Context, c *http.Client, base, token, narrative string) (int64, error) {
	body, _ := json.Marshal(map[string]any{"received_on": "2024-02-01", "narrative": narrative})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/testimonies", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		ID        int64  `json:"id"`
		Narrative string `json:"narrative"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.ID == 0 {
		return 0, fmt.Errorf("a 201 without a record: %v %s", err, b)
	}
	if out.Narrative != narrative {
		return 0, fmt.Errorf("saved narrative %q, sent %q", out.Narrative, narrative)
	}
	return out.ID, nil
}

func getNarrative(ctx context.Context, c *http.Client, base, token string, id int64) (string, int) {
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/testimonies/%d", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err.Error(), 0
	}
	defer resp.Body.Close()
	var out struct {
		Narrative string `json:"narrative"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Narrative, resp.StatusCode
}
