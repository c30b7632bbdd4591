package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"vigil/internal/app"
	"vigil/internal/store"
)

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runBackup(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "backup", "backup --data DIR --to FILE --recipient AGE_PUBLIC_KEY [--recipient ...] [--recipients-file FILE] [--logical]")
	var sf storeFlags
	sf.register(fs, env)
	var recipients, recipientFiles listFlag
	to := fs.String("to", "", "the backup file to write (it must not exist); - writes to standard output")
	fs.Var(&recipients, "recipient", "an age public key (age1...) the backup is encrypted to; repeat for several")
	fs.Var(&recipientFiles, "recipients-file", "a file of age public keys, one per line (as age-keygen -y prints them); repeatable")
	logical := fs.Bool("logical", false, "SQLite: back up the records as rows instead of the database file. Restoring takes far longer, "+
		"but the rows can be read without SQLite, and nothing of earlier deleted records that the file's free space may still hold comes along. "+
		"(PostgreSQL instances are always backed up as rows; either kind restores into either engine.)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return usageError{"give the backup file with --to FILE"}
	}
	if len(recipients)+len(recipientFiles) == 0 {
		return usageError{"give at least one --recipient AGE_PUBLIC_KEY (or --recipients-file FILE): the backup is encrypted to it"}
	}
	rs, err := parseRecipients(recipients, recipientFiles)
	if err != nil {
		return err
	}
	if *to != "-" {
		if _, err := os.Lstat(*to); err == nil {
			return fmt.Errorf("%s already exists; choose a new name for the backup", *to)
		}
	}
	cfg, err := sf.config(env)
	if err != nil {
		return err
	}
	if *to != "-" && inside(cfg.DataDir, *to) {
		// A backup beside the data is lost with it, and one under blobs
		// would be copied into itself.
		return usageError{"write the backup outside the data directory"}
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	// A backup copies everything: it is audited like an export, before it
	// starts, so the entry is in the backup too.
	if err := st.AppendAudit(ctx, store.AuditEvent{Action: "backup", Entity: "instance",
		Detail: map[string]any{"recipients": recipients, "recipient_files": len(recipientFiles)}}); err != nil {
		return err
	}
	opts := app.BackupOptions{Store: st, DataDir: cfg.DataDir, Key: cfg.Key, Recipients: rs, Version: Version, Logical: *logical}
	var res *app.BackupResult
	out := env.Stdout
	if *to == "-" {
		res, err = app.WriteBackup(ctx, env.Stdout, opts)
		out = env.Stderr // the backup itself is on stdout
	} else {
		res, err = app.WriteBackupFile(ctx, *to, opts)
	}
	if err != nil {
		return fmt.Errorf("the backup failed: %w", err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(env.Stderr, "warning:", w)
	}
	var blobBytes int64
	for _, b := range res.Manifest.Blobs {
		blobBytes += b.Size
	}
	where := *to
	if where == "-" {
		where = "standard output"
	}
	fmt.Fprintf(out, "Backed up %s and %d evidence files (%d bytes) to %s (%d bytes, encrypted to %d recipients).\n",
		describeRecords(res.Manifest), len(res.Manifest.Blobs), blobBytes, where, res.Bytes, len(rs))
	fmt.Fprintf(out, "The backup holds the instance key (key id %s): whoever has one of the recipients' age identities can read everything in it.\n", res.Manifest.KeyID)
	return nil
}

// describeRecords says what a backup holds of the database.
func describeRecords(m *app.BackupManifest) string {
	if m.Database != nil {
		return fmt.Sprintf("the SQLite database file (%d bytes)", m.Database.Size)
	}
	var rows int64
	for _, t := range m.Tables {
		rows += t.Rows
	}
	return fmt.Sprintf("%d tables (%d rows)", len(m.Tables), rows)
}

// parseRecipients reads age public keys given on the command line and in
// files. Only native age recipients are accepted (X25519 and the
// post-quantum hybrid); SSH keys and plugins are not.
func parseRecipients(keys, files []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, k := range keys {
		rs, err := age.ParseRecipients(strings.NewReader(k))
		if err != nil || len(rs) != 1 {
			return nil, usageError{fmt.Sprintf("--recipient %q is not an age public key (age1...): make one with age-keygen and give its public key", k)}
		}
		out = append(out, rs...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot read the recipients file: %w", err)
		}
		rs, err := age.ParseRecipients(strings.NewReader(string(b)))
		if err != nil {
			return nil, fmt.Errorf("the recipients file %s: %v", f, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// readIdentities reads an age identity file (AGE-SECRET-KEY-1..., as
// age-keygen writes it).
func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the identity file: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, errors.New("the identity file " + path + " holds no age identity (AGE-SECRET-KEY-1..., as age-keygen writes it): " + err.Error())
	}
	return ids, nil
}

// inside reports whether path lies inside dir.
func inside(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && filepath.IsLocal(rel)
}
