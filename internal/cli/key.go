package cli

import (
	"context"
	"fmt"

	"vigil/internal/app"
)

func runKey(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintln(env.Stdout, "Usage: vigil key rotate --data DIR [--key-file FILE] [--new-key-file FILE]   (vigil key rotate --help)")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return usageError{"name a subcommand: rotate"}
	}
	fs := newFlags(env, "key rotate", "key rotate --data DIR [--key-file FILE] [--new-key-file FILE] [--force]")
	var sf storeFlags
	sf.register(fs, env)
	newKeyFile := fs.String("new-key-file", "", "write the new key to this new file instead of replacing the current key file (needed when the key comes from VIGIL_PASSPHRASE)")
	force := fs.Bool("force", false, "PostgreSQL: go ahead although other sessions are connected to the database (say so only when no vigil serve uses it)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := sf.config(env)
	if err != nil {
		return err
	}
	src := app.KeySource{File: sf.keyFile, Passphrase: env.Getenv("VIGIL_PASSPHRASE")}
	oldFile, err := app.ResolveKeyFile(sf.data, src)
	if err != nil {
		return err
	}
	res, err := app.RotateKey(ctx, app.RotateOptions{DataDir: sf.data, DatabaseURL: cfg.DatabaseURL, OldKey: cfg.Key,
		OldKeyFile: oldFile, NewKeyFile: *newKeyFile, Force: *force})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "The instance has a new key (key id %s; the old one was %s).\n", res.NewKeyID, res.OldKeyID)
	what := "The audit chain"
	if cfg.DatabaseURL == "" {
		what = "The database, the audit chain"
	}
	fmt.Fprintf(env.Stdout, "%s, %d evidence files (%d records) and %d two-factor secrets now use the new key, which is in\n    %s\n",
		what, res.Files, res.Attachments, res.MFASecrets, res.KeyFile)
	if res.LeftOutFiles > 0 {
		fmt.Fprintf(env.Stdout, "%d files under blobs that no record refers to were left out.\n", res.LeftOutFiles)
	}
	switch {
	case src.Passphrase != "":
		fmt.Fprintf(env.Stdout, "VIGIL_PASSPHRASE no longer opens the instance: unset it and give --key-file %s (or VIGIL_KEY_FILE).\n", res.KeyFile)
	case res.OldKeyFileKept:
		fmt.Fprintf(env.Stdout, "The old key file %s no longer opens the instance: use --key-file %s (or VIGIL_KEY_FILE) from now on, and destroy the old file.\n", oldFile, res.KeyFile)
	}
	fmt.Fprintln(env.Stdout, "Back up the new key apart from the data. The old key still opens copies of the database made before now; backups keep the key they were made with and open with their age identities as before.")
	return nil
}
