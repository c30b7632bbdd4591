// Package cli is Vigil's command line: one function per command, each with
// its own flag set and --help. Commands return errors; Main turns them into
// messages and exit codes (0 ok, 1 failed, 2 usage).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"vigil/internal/app"
)

// Env is the process environment a command runs in; tests replace it.
type Env struct {
	Args   []string
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"init", "create a new encrypted instance and its first admin", runInit},
		{"serve", "serve the web UI and API", runServe},
		{"demo", "run the built-in Finland 2023–24 scenario", runDemo},
		{"user", "add, list or disable user accounts (user add|list|disable)", runUser},
		{"token", "create an API token (token create)", runToken},
		{"migrate", "show database migrations (migrate status)", runMigrate},
		{"gen", "generate synthetic data at scale for tests and benchmarks", runGen},
		{"audit", "check the tamper-evident audit log (audit verify)", runAudit},
		{"backup", "write an encrypted backup of an instance", runBackup},
		{"restore", "restore an instance from an encrypted backup", runRestore},
		{"key", "rotate the instance key (key rotate)", runKey},
		{"version", "print the version", runVersion},
	}
}

// Version is set at build time with -ldflags "-X vigil/internal/cli.Version=...".
var Version = "dev"

// usageError marks mistakes in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(env.Args) < 1 || env.Args[0] == "-h" || env.Args[0] == "--help" || env.Args[0] == "help" {
		printUsage(env.Stdout)
		if len(env.Args) < 1 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == env.Args[0] {
			err := c.run(ctx, env, env.Args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			}
			fmt.Fprintf(env.Stderr, "vigil %s: %s\n", c.name, err)
			var ue usageError
			if errors.As(err, &ue) {
				return 2
			}
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "vigil: unknown command %q\n\n", env.Args[0])
	printUsage(env.Stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Vigil documents pushbacks and violence at borders and the wait for asylum.")
	fmt.Fprintln(w, "\nUsage: vigil COMMAND [flags]   (vigil COMMAND --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEnvironment: VIGIL_DATA (data directory), VIGIL_KEY_FILE (database key file),")
	fmt.Fprintln(w, "VIGIL_PASSPHRASE (derive the key from a passphrase instead), VIGIL_DATABASE_URL (postgres://... to use PostgreSQL).")
}

// newFlags makes a flag set that prints its usage to the command's stdout on
// --help and reports errors instead of exiting.
func newFlags(env Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fs.SetOutput(env.Stdout)
		fmt.Fprintf(env.Stdout, "Usage: vigil %s\n\n", usage)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// storeFlags are the flags every command that opens the store shares.
type storeFlags struct {
	data    string
	keyFile string
}

func (sf *storeFlags) register(fs *flag.FlagSet, env Env) {
	fs.StringVar(&sf.data, "data", env.Getenv("VIGIL_DATA"), "data directory (env VIGIL_DATA)")
	fs.StringVar(&sf.keyFile, "key-file", env.Getenv("VIGIL_KEY_FILE"), "database key file (env VIGIL_KEY_FILE); default: the one vigil init made")
}

// config builds the app configuration and loads the instance key. On
// PostgreSQL the records live in the database, but the data directory still
// holds evidence files, and the key still protects files and the audit log.
func (sf *storeFlags) config(env Env) (app.Config, error) {
	cfg := app.Config{DataDir: sf.data, DatabaseURL: env.Getenv("VIGIL_DATABASE_URL")}
	if cfg.DatabaseURL != "" && !app.IsPostgres(cfg.DatabaseURL) {
		return cfg, errors.New("VIGIL_DATABASE_URL must start with postgres:// or postgresql://")
	}
	if sf.data == "" {
		return cfg, usageError{"give the data directory with --data DIR (or VIGIL_DATA)"}
	}
	if st, err := os.Stat(sf.data); err != nil || !st.IsDir() {
		return cfg, fmt.Errorf("data directory %s does not exist (create an instance with `vigil init --data %s`)", sf.data, sf.data)
	}
	key, err := app.LoadKey(sf.data, app.KeySource{File: sf.keyFile, Passphrase: env.Getenv("VIGIL_PASSPHRASE")})
	if err != nil {
		return cfg, err
	}
	cfg.Key = key
	return cfg, nil
}

// tlsFlags are the optional certificate and key with which serve and demo
// speak HTTPS themselves.
type tlsFlags struct{ cert, key string }

func (tf *tlsFlags) register(fs *flag.FlagSet, env Env) {
	fs.StringVar(&tf.cert, "tls-cert", env.Getenv("VIGIL_TLS_CERT"), "serve HTTPS with this PEM certificate (chain) file; needs --tls-key (env VIGIL_TLS_CERT)")
	fs.StringVar(&tf.key, "tls-key", env.Getenv("VIGIL_TLS_KEY"), "the PEM private key of --tls-cert (env VIGIL_TLS_KEY)")
}

// pair returns the certificate and key files; one without the other is a
// usage error. app.Run loads them, so a wrong path stops start-up.
func (tf tlsFlags) pair() (cert, key string, err error) {
	if (tf.cert == "") != (tf.key == "") {
		return "", "", usageError{"give both --tls-cert and --tls-key, or neither"}
	}
	return tf.cert, tf.key, nil
}

func runVersion(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "version", "version")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "vigil", Version)
	return nil
}
