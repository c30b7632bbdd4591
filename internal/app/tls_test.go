package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/tlstest"
)

func tlsConfig(t *testing.T, cert, key string) Config {
	key32 := make([]byte, 32)
	_, _ = rand.Read(key32)
	return Config{DataDir: t.TempDir(), Key: key32, Addr: "127.0.0.1:0", TLSCert: cert, TLSKey: key,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := tlstest.SelfSigned(t, dir, "vigil")
	a, err := Run(context.Background(), tlsConfig(t, cert, key))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if !strings.HasPrefix(a.URL(), "https://") {
		t.Fatalf("URL %s", a.URL())
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := c.Get(a.URL() + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("status %d, TLS %v, HSTS %q", res.StatusCode, res.TLS != nil, res.Header.Get("Strict-Transport-Security"))
	}
	// Plain HTTP to the TLS port gets no page.
	if res, err := http.Get(strings.Replace(a.URL(), "https://", "http://", 1) + "/login"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Fatal("plain HTTP served a page on the TLS port")
		}
	}
}

func TestServeTLSErrors(t *testing.T) {
	dir := t.TempDir()
	cert, key, _ := tlstest.SelfSigned(t, dir, "one")
	_, otherKey, _ := tlstest.SelfSigned(t, dir, "two")
	for _, c := range []struct {
		name, cert, key, want string
	}{
		{"certificate without key", cert, "", "both"},
		{"key without certificate", "", key, "both"},
		{"missing file", filepath.Join(dir, "nope.crt"), key, "cannot load"},
		{"key of another certificate", cert, otherKey, "cannot load"},
	} {
		a, err := Run(context.Background(), tlsConfig(t, c.cert, c.key))
		if err == nil {
			a.Close()
			t.Errorf("%s: started", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
