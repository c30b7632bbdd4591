package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"vigil/internal/app"
	"vigil/internal/domain"
	"vigil/internal/service"
	"vigil/internal/web"
)

func runInit(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "init", "init --data DIR [--key-file FILE] [--admin NAME]")
	var data, keyFile, admin string
	fs.StringVar(&data, "data", env.Getenv("VIGIL_DATA"), "data directory to create (env VIGIL_DATA); must be new or empty")
	fs.StringVar(&keyFile, "key-file", env.Getenv("VIGIL_KEY_FILE"), "where to write the new database key (env VIGIL_KEY_FILE); default: under your config directory, never inside the data directory")
	fs.StringVar(&admin, "admin", "admin", "username of the first administrator")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := app.Config{DataDir: data, DatabaseURL: env.Getenv("VIGIL_DATABASE_URL")}
	pass := env.Getenv("VIGIL_PASSPHRASE")
	var keyNote string
	if data == "" {
		return usageError{"give the data directory with --data DIR"}
	}
	if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; init only creates new instances", data)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("cannot create the data directory: %w", err)
	}
	switch {
	case pass != "":
		key, err := app.PassphraseKey(data, pass, true)
		if err != nil {
			return err
		}
		cfg.Key = key
		keyNote = "The instance key is derived from VIGIL_PASSPHRASE; without the passphrase the data cannot be read."
	default:
		if keyFile == "" {
			var err error
			if keyFile, err = app.DefaultKeyFile(data); err != nil {
				return err
			}
		}
		absData, _ := filepath.Abs(data)
		absKey, _ := filepath.Abs(keyFile)
		if rel, err := filepath.Rel(absData, absKey); err == nil && filepath.IsLocal(rel) {
			return errors.New("the key file must not be inside the data directory: whoever copies the data would have the key too")
		}
		key, err := app.NewKeyFile(keyFile)
		if err != nil {
			return err
		}
		cfg.Key = key
		keyNote = "Instance key written to " + keyFile + " — back it up apart from the data; without it the data cannot be read."
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := service.New(st)
	if users, err := svc.Store.ListUsers(ctx); err != nil {
		return err
	} else if len(users) > 0 {
		return errors.New("this database already has users; init only creates new instances")
	}
	u := domain.User{Username: admin, DisplayName: "Administrator", Role: "admin"}
	pw, err := svc.CreateUser(ctx, domain.System, &u, "")
	if err != nil {
		return err
	}
	if keyNote != "" {
		fmt.Fprintln(env.Stdout, keyNote)
	}
	fmt.Fprintf(env.Stdout, "Created administrator %q. Its password is shown only this once:\n\n    %s\n\n", u.Username, pw)
	fmt.Fprintf(env.Stdout, "Start the server with: vigil serve --data %s\n", data)
	return nil
}

func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "serve", "serve --data DIR [--addr HOST:PORT] [--key-file FILE] [--tls-cert FILE --tls-key FILE] [--trusted-proxy CIDR]...")
	var sf storeFlags
	sf.register(fs, env)
	addr := fs.String("addr", envOr(env, "VIGIL_ADDR", "127.0.0.1:8080"), "listen address (env VIGIL_ADDR)")
	var tf tlsFlags
	tf.register(fs, env)
	var proxies trustedProxyFlag
	fs.Var(&proxies, "trusted-proxy", "address or `CIDR` range of your reverse proxies (only them, never clients) whose X-Forwarded-For header names the client; repeat it or separate with commas (env VIGIL_TRUSTED_PROXIES). Default: none, the client is the TCP peer")
	// Cookies are always Secure now (browsers accept them on
	// http://localhost too); the flag stays so existing scripts still run.
	_ = fs.Bool("secure-cookies", true, "no effect: cookies are always Secure")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := proxies.fromEnv(env); err != nil {
		return err
	}
	tlsCert, tlsKey, err := tf.pair()
	if err != nil {
		return err
	}
	cfg, err := sf.config(env)
	if err != nil {
		return err
	}
	cfg.Addr, cfg.TLSCert, cfg.TLSKey, cfg.TrustedProxies = *addr, tlsCert, tlsKey, proxies.list
	cfg.Log = slog.New(slog.NewTextHandler(env.Stderr, nil))
	return serveUntilSignal(ctx, env, cfg, nil)
}

// trustedProxyFlag collects --trusted-proxy values, each checked as it is
// read so that a wrong one is a usage error naming it.
type trustedProxyFlag struct {
	list web.TrustedProxies
	set  bool
}

func (f *trustedProxyFlag) String() string { return f.list.String() }

func (f *trustedProxyFlag) Set(v string) error {
	tp, err := web.ParseTrustedProxies(v)
	if err != nil {
		return err
	}
	f.list, f.set = append(f.list, tp...), true
	return nil
}

// fromEnv reads VIGIL_TRUSTED_PROXIES when no flag was given.
func (f *trustedProxyFlag) fromEnv(env Env) error {
	v := env.Getenv("VIGIL_TRUSTED_PROXIES")
	if f.set || v == "" {
		return nil
	}
	if err := f.Set(v); err != nil {
		return usageError{"VIGIL_TRUSTED_PROXIES: " + err.Error()}
	}
	return nil
}

func envOr(env Env, name, def string) string {
	if v := env.Getenv(name); v != "" {
		return v
	}
	return def
}

// serveUntilSignal runs the app until SIGINT/SIGTERM or ctx ends; after
// start it calls started (to print what the user needs).
func serveUntilSignal(ctx context.Context, env Env, cfg app.Config, started func(a *app.App)) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Vigil is listening on %s\n", a.URL())
	if started != nil {
		started(a)
	}
	werr := a.Wait(ctx)
	if err := a.Close(); err != nil && werr == nil {
		werr = err
	}
	return werr
}
