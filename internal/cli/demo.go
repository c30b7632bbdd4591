package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"vigil/internal/app"
	"vigil/internal/service"
)

func runDemo(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "demo", "demo [--data DIR] [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE]")
	data := fs.String("data", "", "folder for the demo data; loaded with the scenario when empty (default: a new temporary folder)")
	addr := fs.String("addr", "127.0.0.1:0", "listen address (default: a free local port)")
	var tf tlsFlags
	tf.register(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	tlsCert, tlsKey, err := tf.pair()
	if err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-demo-")
		if err != nil {
			return err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	keyPath := filepath.Join(dir, app.DemoKeyFile)
	fresh := len(entries) == 0
	var key []byte
	if fresh {
		if key, err = app.NewKeyFile(keyPath); err != nil {
			return err
		}
	} else if key, err = app.ReadKeyFile(keyPath); err != nil {
		return fmt.Errorf("%s is not empty and holds no demo instance (%v); give an empty or new folder", dir, err)
	}
	cfg := app.Config{DataDir: dir, Key: key, Addr: *addr, Demo: true, TLSCert: tlsCert, TLSKey: tlsKey,
		Log: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var logins []app.Login
	if fresh {
		st, err := app.OpenStore(ctx, cfg)
		if err != nil {
			return err
		}
		logins, err = app.LoadDemo(ctx, service.New(st))
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("loading the scenario: %w", err)
		}
		if err := app.SaveDemoLogins(dir, logins); err != nil {
			return err
		}
	} else if logins, err = app.ReadDemoLogins(dir); err != nil {
		return fmt.Errorf("cannot read the demo logins: %w", err)
	}
	return serveUntilSignal(ctx, env, cfg, func(a *app.App) {
		fmt.Fprintf(env.Stdout, "\nDEMO instance: Finland's eastern border, August 2023 – January 2024.\n")
		fmt.Fprintf(env.Stdout, "Data folder: %s\n", dir)
		fmt.Fprintf(env.Stdout, "Its database key is stored beside the data (%s) — acceptable for a demo only.\n\n", app.DemoKeyFile)
		fmt.Fprintf(env.Stdout, "Open %s/login and sign in as one of:\n", a.URL())
		for _, l := range logins {
			fmt.Fprintf(env.Stdout, "  %-12s role %-12s password %s\n", l.Username, l.Role, l.Password)
		}
		fmt.Fprintf(env.Stdout, "\nStop with Ctrl-C.\n")
	})
}
