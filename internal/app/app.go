// Package app wires Vigil together: configuration, keys, the store, the
// service and the HTTP server. It has Run and Close so tests can start the
// real program on a free port.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"vigil/internal/service"
	"vigil/internal/store"
	"vigil/internal/web"
)

// serverHeapLimit is the soft Go heap limit of a running server; SQLite's
// own memory (about 20 MB) and the mapped binary (about 20 MB) come on top.
const serverHeapLimit = 96 << 20

// Config is everything Run needs.
type Config struct {
	DataDir     string
	Key         []byte // database key (SQLite); loaded by the caller
	DatabaseURL string // postgres://... to use PostgreSQL
	Addr        string // listen address, e.g. 127.0.0.1:8080 or 127.0.0.1:0
	Demo        bool
	// TLSCert and TLSKey are PEM files; when both are set Vigil serves
	// HTTPS itself instead of plain HTTP.
	TLSCert, TLSKey string
	// TrustedProxies are reverse proxies whose X-Forwarded-For names the
	// client (web.ParseTrustedProxies); empty trusts no header.
	TrustedProxies web.TrustedProxies
	Log            *slog.Logger
}

// IsPostgres reports whether url selects PostgreSQL.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// App is a running Vigil instance.
type App struct {
	Config  Config
	Store   *store.Store
	Service *service.Service
	Web     *web.Server

	ln   net.Listener
	http *http.Server
	done chan error
}

// OpenStore opens the configured store; used by CLI commands that need no
// server.
func OpenStore(ctx context.Context, cfg Config) (*store.Store, error) {
	if cfg.DatabaseURL != "" && !IsPostgres(cfg.DatabaseURL) {
		return nil, fmt.Errorf("VIGIL_DATABASE_URL must start with postgres:// (leave it empty for the built-in SQLite store)")
	}
	if cfg.DatabaseURL == "" {
		if cfg.DataDir == "" {
			return nil, errors.New("no data directory: give --data DIR or VIGIL_DATA")
		}
		if len(cfg.Key) != 32 {
			return nil, errors.New("no database key")
		}
	}
	return store.Open(ctx, store.Config{Dir: cfg.DataDir, Key: cfg.Key, DatabaseURL: cfg.DatabaseURL, AuditKey: cfg.Key})
}

// Run opens the store, starts listening and serves in the background.
func Run(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	// A soft limit on the Go heap keeps the server inside its memory budget
	// (150 MB resident, DESIGN §8): by default the collector lets the heap
	// reach twice the live data, which under load was 130 MB on its own.
	// GOMEMLIMIT in the environment still takes precedence.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serverHeapLimit)
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Service: service.New(st), done: make(chan error, 1)}
	a.Service.MasterKey, a.Service.DataDir = cfg.Key, cfg.DataDir
	if a.Web, err = web.New(a.Service, cfg.Log); err != nil {
		st.Close()
		return nil, err
	}
	a.Web.Demo = cfg.Demo
	a.Web.TrustedProxies = cfg.TrustedProxies
	var tlsConf *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		// Load the pair now, so a wrong path or a key that does not match
		// the certificate stops start-up with a clear message.
		if cfg.TLSCert == "" || cfg.TLSKey == "" {
			st.Close()
			return nil, errors.New("give both --tls-cert and --tls-key, or neither")
		}
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("cannot load the TLS certificate and key: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if a.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		st.Close()
		return nil, fmt.Errorf("cannot listen on %s: %w", cfg.Addr, err)
	}
	if tlsConf != nil {
		a.ln = tls.NewListener(a.ln, tlsConf)
	}
	if len(cfg.TrustedProxies) > 0 {
		cfg.Log.Info("client addresses are taken from X-Forwarded-For when the request comes from a trusted proxy",
			"trusted_proxies", cfg.TrustedProxies.String())
		if wide := cfg.TrustedProxies.WideRanges(); len(wide) > 0 {
			cfg.Log.Warn("trusted proxy ranges wider than a small subnet: a client connecting from inside one can choose the address it is throttled and logged under; name only the proxies' own addresses",
				"ranges", strings.Join(wide, ","))
		}
	}
	a.http = &http.Server{Handler: a.Web.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn)}
	go func() { a.done <- a.http.Serve(a.ln) }()
	return a, nil
}

// URL is the base URL the app serves on.
func (a *App) URL() string {
	if a.Config.TLSCert != "" {
		return "https://" + a.ln.Addr().String()
	}
	return "http://" + a.ln.Addr().String()
}

// Wait blocks until the server stops or ctx is done.
func (a *App) Wait(ctx context.Context) error {
	select {
	case err := <-a.done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// Close stops serving (letting requests in flight finish) and closes the store.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.http.Shutdown(ctx)
	if cerr := a.Store.Close(); err == nil {
		err = cerr
	}
	return err
}
