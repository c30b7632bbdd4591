package cli

import (
	"context"
	"crypto/tls"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/tlstest"
)

// startCommand runs a long-running command (serve, demo) in-process until
// the test ends, and returns the first submatch of want in what it prints.
func startCommand(t *testing.T, env map[string]string, want *regexp.Regexp, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, Env{Args: args, Stdout: out, Stderr: out, Getenv: func(k string) string { return env[k] }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error(args[0], " did not stop")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := want.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
		select {
		case code := <-done:
			t.Fatalf("%s exited with %d: %s", args[0], code, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not start: %s", args[0], out.String())
	return "", nil
}

func TestTrustedProxyFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		msg  []string
	}{
		{nil, []string{"serve", "--trusted-proxy", "0.0.0.0/0"}, []string{`"0.0.0.0/0" is too wide`}},
		{nil, []string{"serve", "--trusted-proxy", "10.0.0.1,::/0"}, []string{`"::/0" is too wide`}},
		{nil, []string{"serve", "--trusted-proxy", "10.0.0.1", "--trusted-proxy", "proxy.lan"}, []string{`"proxy.lan" is not an IP address or CIDR range`}},
		{map[string]string{"VIGIL_TRUSTED_PROXIES": "10.0.0.0/8, 300.1.1.1"}, []string{"serve"}, []string{"VIGIL_TRUSTED_PROXIES", `"300.1.1.1" is not`}},
		{map[string]string{"VIGIL_TRUSTED_PROXIES": "::/0"}, []string{"serve", "--data", "x"}, []string{"VIGIL_TRUSTED_PROXIES", "is too wide"}},
	} {
		code, _, errs := run(t, tc.env, tc.args...)
		if code != 2 {
			t.Errorf("%v %v: exit code %d, want 2 (%q)", tc.env, tc.args, code, errs)
		}
		for _, m := range tc.msg {
			if !strings.Contains(errs, m) {
				t.Errorf("%v %v: stderr %q does not say %q", tc.env, tc.args, errs, m)
			}
		}
	}
}

func TestTrustedProxyFlagParsing(t *testing.T) {
	parse := func(env map[string]string, args ...string) string {
		t.Helper()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var f trustedProxyFlag
		fs.Var(&f, "trusted-proxy", "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := f.fromEnv(Env{Getenv: func(k string) string { return env[k] }}); err != nil {
			t.Fatal(err)
		}
		return f.list.String()
	}
	env := map[string]string{"VIGIL_TRUSTED_PROXIES": "172.16.0.0/12, fd00::1"}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, ""},
		{nil, []string{"--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.168.1.1, ::1"}, "10.0.0.0/8,192.168.1.1/32,::1/128"},
		{env, nil, "172.16.0.0/12,fd00::1/128"},
		// A flag replaces the environment, as for every other setting.
		{env, []string{"--trusted-proxy=10.0.0.1"}, "10.0.0.1/32"},
	} {
		if got := parse(tc.env, tc.args...); got != tc.want {
			t.Errorf("%v %v: %q, want %q", tc.env, tc.args, got, tc.want)
		}
	}
}

// TestServeLogsTrustedProxies: the setting reaches the running server,
// which says at start which ranges it trusts.
func TestServeLogsTrustedProxies(t *testing.T) {
	dir, keyFile := filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "vigil.key")
	if code, _, errs := run(t, nil, "init", "--data", dir, "--key-file", keyFile); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	base, out := startCommand(t, map[string]string{"VIGIL_KEY_FILE": keyFile},
		regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`),
		"serve", "--data", dir, "--addr", "127.0.0.1:0", "--trusted-proxy", "10.0.0.0/8,::1", "--trusted-proxy", "192.168.1.1")
	if !strings.Contains(out.String(), "trusted_proxies=10.0.0.0/8,::1/128,192.168.1.1/32") {
		t.Errorf("no start-up line naming the trusted proxies:\n%s", out.String())
	}
	// 10.0.0.0/8 may hold clients as well as proxies: the operator is warned.
	if !strings.Contains(out.String(), "level=WARN") || !strings.Contains(out.String(), "ranges=10.0.0.0/8\n") {
		t.Errorf("no warning about the wide range 10.0.0.0/8 alone:\n%s", out.String())
	}
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("healthz: %d", res.StatusCode)
	}
}

func TestDemoTLS(t *testing.T) {
	cert, key, pool := tlstest.SelfSigned(t, t.TempDir(), "vigil demo")
	dir := filepath.Join(t.TempDir(), "demo")
	base, out := startCommand(t, nil, regexp.MustCompile(`Open (\S+)/login`),
		"demo", "--data", dir, "--addr", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
	if !regexp.MustCompile(`^https://127\.0\.0\.1:\d+$`).MatchString(base) {
		t.Fatalf("printed URL %q is not https://", base)
	}
	if !strings.Contains(out.String(), "listening on "+base+"\n") {
		t.Errorf("the listening line does not give %s:\n%s", base, out.String())
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Fatalf("GET /login over TLS: %d, TLS %v", res.StatusCode, res.TLS != nil)
	}
}

func TestTLSFlagsNeedBoth(t *testing.T) {
	for _, cmd := range []string{"serve", "demo"} {
		code, _, errs := run(t, nil, cmd, "--tls-cert", "some.crt", "--data", t.TempDir())
		if code != 2 || !strings.Contains(errs, "give both --tls-cert and --tls-key") {
			t.Errorf("%s with a certificate and no key: %d %q", cmd, code, errs)
		}
	}
}
