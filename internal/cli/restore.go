package cli

import (
	"context"
	"fmt"
	"os"

	"vigil/internal/app"
)

func runRestore(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "restore", "restore --from FILE --identity KEYFILE --data NEWDIR [--key-file FILE] [--check]")
	from := fs.String("from", "", "the backup file")
	identity := fs.String("identity", "", "the age identity file (AGE-SECRET-KEY-1...) of one of the backup's recipients")
	data := fs.String("data", "", "data directory of the restored instance; it must be new or empty")
	keyFile := fs.String("key-file", "", "where to write the instance key (it must not exist); default: under your config directory, where vigil init puts keys")
	check := fs.Bool("check", false, "only read and check the whole backup; write nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" || *identity == "" {
		return usageError{"give the backup with --from FILE and its identity with --identity KEYFILE"}
	}
	if *data == "" && !*check {
		return usageError{"give the new data directory with --data NEWDIR"}
	}
	ids, err := readIdentities(*identity)
	if err != nil {
		return err
	}
	f, err := os.Open(*from)
	if err != nil {
		return fmt.Errorf("cannot read the backup: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	dbURL := env.Getenv("VIGIL_DATABASE_URL")
	res, err := app.RestoreBackup(ctx, app.RestoreOptions{Backup: f, Size: fi.Size(), Identities: ids,
		DataDir: *data, DatabaseURL: dbURL, KeyFile: *keyFile, CheckOnly: *check})
	if err != nil {
		return err
	}
	m := res.Manifest
	summary := fmt.Sprintf("%s and %d evidence files from a %s instance, backed up %s",
		describeRecords(m), len(m.Blobs), m.Engine, m.CreatedAt.Format("2006-01-02 15:04:05 UTC"))
	if *check {
		fmt.Fprintf(env.Stdout, "The backup is intact: %s.\n", summary)
		return nil
	}
	target := *data
	if dbURL != "" {
		target = "PostgreSQL (evidence files in " + *data + ")"
	}
	fmt.Fprintf(env.Stdout, "Restored %s into %s.\n", summary, target)
	if len(res.Loaded) > 0 {
		var rows int64
		for _, t := range res.Loaded {
			rows += t.Rows
		}
		fmt.Fprintf(env.Stdout, "The database file was loaded into PostgreSQL: %d tables, %d rows.\n", len(res.Loaded), rows)
	}
	fmt.Fprintf(env.Stdout, "The instance key (the original one, key id %s) was written to %s — back it up apart from the data.\n", m.KeyID, res.KeyFile)
	if a := res.Audit; a != nil {
		if a.OK() {
			fmt.Fprintf(env.Stdout, "Audit chain verified: %d entries.\n", a.Entries)
		} else {
			fmt.Fprintf(env.Stderr, "WARNING: the restored audit chain does not verify (it did not in the backed-up instance either):\n")
			for _, p := range a.Problems {
				fmt.Fprintf(env.Stderr, "  entry %d: %s\n", p.Seq, p.Message)
			}
		}
	}
	fmt.Fprintln(env.Stdout, "Everyone signs in again: sessions are not part of a backup. To give the instance a new key, run `vigil key rotate`.")
	return nil
}
