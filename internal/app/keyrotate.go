package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"vigil/internal/evidence"
	"vigil/internal/service"
	"vigil/internal/store"
)

// Key rotation gives an instance a new instance key. Everything the key
// protects moves to the new one:
//
//   - the SQLite database, which is encrypted with it (copied with VACUUM
//     INTO under the new key, so nothing is rewritten in place);
//   - the evidence files, whose content, names and sealed records use keys
//     derived from it (each file is decrypted, checked against its SHA-256
//     and encrypted again);
//   - the two-factor secrets, sealed with a derived key;
//   - the audit chain, whose MAC and checkpoint keys are derived from it
//     (store.ResealAudit verifies the chain under the old key first and
//     refuses a broken one).
//
// On SQLite everything is prepared in DATA/.rotate-new while the old
// database is locked, checked under the new key, and only then moved into
// place; the old files are kept in DATA/.rotate-old until the new ones are
// in place. A marker file, DATA/KEY-ROTATION.txt, exists exactly while
// files are being moved, and says how to finish or undo by hand if the
// machine stops at that moment. On PostgreSQL the database is changed in
// place (audit chain, then the other secrets in one transaction, with the
// audit chain moved back if that fails); no server may run meanwhile.

// RotationMarker is the file that exists while a rotation moves files.
const RotationMarker = "KEY-ROTATION.txt"

const (
	rotateNew = ".rotate-new"
	rotateOld = ".rotate-old"
)

// RotateOptions says which instance gets a new key.
type RotateOptions struct {
	DataDir     string
	DatabaseURL string
	OldKey      []byte
	// OldKeyFile is the file OldKey was read from ("" for a passphrase).
	// The new key replaces it unless NewKeyFile is given.
	OldKeyFile string
	// NewKeyFile is where to write the new key instead; it must not exist.
	NewKeyFile string
	// Force goes ahead on PostgreSQL although other sessions are connected
	// to the database (the caller says they are not Vigil servers).
	Force bool
}

// RotateResult tells what was moved to the new key.
type RotateResult struct {
	OldKeyID, NewKeyID string
	KeyFile            string // where the new key is
	OldKeyFileKept     bool   // NewKeyFile was given: the old file is left for the user to destroy
	Attachments        int    // attachment records re-sealed
	Files              int    // evidence files re-encrypted
	LeftOutFiles       int    // files under blobs no record refers to, not carried over
	MFASecrets         int
}

// ResolveKeyFile says which file LoadKey reads the key of dataDir from,
// given the same source: "" when the key comes from a passphrase.
func ResolveKeyFile(dataDir string, src KeySource) (string, error) {
	switch {
	case src.Passphrase != "":
		return "", nil
	case src.File != "":
		return src.File, nil
	}
	demo := filepath.Join(dataDir, DemoKeyFile)
	if _, err := os.Stat(demo); err == nil {
		return demo, nil
	}
	return DefaultKeyFile(dataDir)
}

// RotateKey gives the instance a new key. A wrong old key, a server still
// running on SQLite, an audit chain that does not verify or a damaged
// evidence file stops it before anything is changed.
func RotateKey(ctx context.Context, o RotateOptions) (res *RotateResult, err error) {
	if o.DataDir == "" {
		return nil, errors.New("no data directory")
	}
	if len(o.OldKey) != store.KeySize {
		return nil, errors.New("no instance key")
	}
	if _, err := os.Stat(filepath.Join(o.DataDir, RotationMarker)); err == nil {
		return nil, fmt.Errorf("a key rotation of this instance was interrupted while it moved files: read %s and finish it by hand first",
			filepath.Join(o.DataDir, RotationMarker))
	}
	// Without the marker, leftovers are from a rotation that stopped
	// before moving anything, or after it had moved everything.
	for _, d := range []string{rotateNew, rotateOld} {
		if err := os.RemoveAll(filepath.Join(o.DataDir, d)); err != nil {
			return nil, err
		}
	}
	target := o.NewKeyFile
	if target == "" {
		if o.OldKeyFile == "" {
			return nil, errors.New("the instance key comes from a passphrase: give --new-key-file FILE for the new key (the instance then uses that file)")
		}
		target = o.OldKeyFile
	} else if err := keyOutsideData(o.DataDir, target); err != nil {
		return nil, err
	} else if _, err := os.Lstat(target); err == nil {
		return nil, fmt.Errorf("%s already exists; refusing to overwrite a key file", target)
	}

	// A pending key file left by an earlier rotation may be the only copy of
	// the key the data now needs: it is never removed here.
	pending := target + ".new"
	if _, err := os.Lstat(pending); err == nil {
		return nil, fmt.Errorf("%s exists: an earlier key rotation stopped, and the data may need that key; find out which key opens the instance, keep it, and remove the other file", pending)
	}
	newKey := make([]byte, store.KeySize)
	if _, err := rand.Read(newKey); err != nil {
		return nil, err
	}
	res = &RotateResult{OldKeyID: KeyID(o.OldKey), NewKeyID: KeyID(newKey), KeyFile: target, OldKeyFileKept: o.NewKeyFile != "" && o.OldKeyFile != ""}
	staging := filepath.Join(o.DataDir, rotateNew)
	var ex *store.Exclusive
	moving := false
	defer func() {
		if ex != nil {
			ex.Close()
		}
		if err != nil && !moving {
			os.RemoveAll(staging)
			os.Remove(pending)
			os.Remove(filepath.Join(o.DataDir, RotationMarker))
		}
	}()

	if o.DatabaseURL == "" {
		// The lock comes first: it checks the key, and from here on no
		// server can open the database until the rotation is over.
		if ex, err = store.OpenExclusive(ctx, o.DataDir, o.OldKey); err != nil {
			return nil, err
		}
		// The new key is on disk before anything changes: from some step
		// on, the data needs it.
		if err := writeKeyFile(pending, newKey); err != nil {
			return nil, err
		}
		if err := os.Mkdir(staging, 0o700); err != nil {
			return nil, err
		}
		if err := ex.CopyWithKey(ctx, staging, newKey); err != nil {
			return nil, err
		}
		// The copy holds the old audit chain: it is opened with the new
		// database key and the old audit key, and resealed.
		st, err := store.Open(ctx, store.Config{Dir: staging, Key: newKey, AuditKey: o.OldKey})
		if err != nil {
			return nil, fmt.Errorf("the copy under the new key does not open: %w", err)
		}
		_, err = rekeyContent(ctx, st, o, newKey, staging, res)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		if err := checkRotated(ctx, store.Config{Dir: staging, Key: newKey}); err != nil {
			return nil, err
		}
	} else {
		st, err := OpenStore(ctx, Config{DataDir: o.DataDir, Key: o.OldKey, DatabaseURL: o.DatabaseURL})
		if err != nil {
			return nil, err
		}
		if !o.Force {
			n, err := otherSessions(ctx, st)
			if err == nil && n > 0 {
				err = fmt.Errorf("%d other sessions are connected to the PostgreSQL database: stop every `vigil serve` using it (they hold the old key in memory); if none is running, give --force", n)
			}
			if err != nil {
				st.Close()
				return nil, err
			}
		}
		// Nothing on PostgreSQL is encrypted with the key itself: the audit
		// chain, keyed with it, tells whether it is the instance's key.
		rep, err := st.VerifyAudit(ctx)
		if err == nil && !rep.OK() {
			err = fmt.Errorf("the audit log does not verify with this key (%s): a wrong key, or a damaged log (`vigil audit verify` tells); nothing was changed", rep.Problems[0].Message)
		}
		if err == nil {
			err = writeKeyFile(pending, newKey)
		}
		if err != nil {
			st.Close()
			return nil, err
		}
		err = os.Mkdir(staging, 0o700)
		if err == nil {
			// PostgreSQL is changed in place: the marker goes first.
			err = writeMarker(o.DataDir, pending, target)
		}
		if err != nil {
			st.Close()
			return nil, err
		}
		changed, err := rekeyContent(ctx, st, o, newKey, staging, res)
		if changed {
			moving = true // the database now needs the new key: keep it and the marker
		}
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			if changed {
				return nil, fmt.Errorf("%w — the database already uses the new key, which is in %s; read %s", err, pending, filepath.Join(o.DataDir, RotationMarker))
			}
			return nil, err
		}
		if err := checkRotated(ctx, store.Config{DatabaseURL: o.DatabaseURL, Key: newKey}); err != nil {
			return nil, fmt.Errorf("%w — the database already uses the new key, which is in %s", err, pending)
		}
	}

	moving = true
	if err := moveRotated(o, ex, pending, target); err != nil {
		return nil, fmt.Errorf("%w — the rotation stopped while moving files; read %s", err, filepath.Join(o.DataDir, RotationMarker))
	}
	ex = nil // closed by moveRotated
	return res, nil
}

func keyOutsideData(dataDir, keyFile string) error {
	absData, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	absKey, err := filepath.Abs(keyFile)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(absData, absKey); err == nil && filepath.IsLocal(rel) {
		return errors.New("the key file must not be inside the data directory: whoever copies the data would have the key too")
	}
	return nil
}

// otherSessions counts the other client sessions of the current database.
func otherSessions(ctx context.Context, st *store.Store) (int, error) {
	var n int
	err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
	return n, err
}

// rekeyContent moves what lives inside the database (and the evidence
// files it names) to the new key. st is opened with the old audit key.
// changed reports that the database needs the new key from now on, even
// when err says that something failed on the way.
func rekeyContent(ctx context.Context, st *store.Store, o RotateOptions, newKey []byte, staging string, res *RotateResult) (changed bool, err error) {
	if err := st.ResealAudit(ctx, newKey); err != nil {
		return false, fmt.Errorf("the audit log cannot be moved to the new key: %w", err)
	}
	svc := service.New(st)
	svc.MasterKey, svc.DataDir = o.OldKey, o.DataDir
	err = st.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		if res.MFASecrets, err = svc.ResealMFASecrets(ctx, tx, newKey); err != nil {
			return err
		}
		return rekeyEvidence(ctx, st, tx, o, newKey, staging, res)
	})
	if err != nil {
		// On PostgreSQL the chain was resealed in place: move it back, so
		// the instance stays whole under its old key. (On SQLite it is
		// only the copy, which is thrown away.)
		if o.DatabaseURL != "" {
			if rerr := st.ResealAudit(ctx, o.OldKey); rerr != nil {
				return true, fmt.Errorf("%w; and moving the audit log back to the old key failed too (%v)", err, rerr)
			}
		}
		return false, err
	}
	err = st.AppendAudit(ctx, store.AuditEvent{Action: "key_rotate", Entity: "instance",
		Detail: map[string]any{"old_key_id": res.OldKeyID, "new_key_id": res.NewKeyID, "files": res.Files, "mfa_secrets": res.MFASecrets}})
	return true, err
}

// rekeyEvidence re-encrypts every evidence file a record names into
// staging/blobs under the new key and re-seals the records.
func rekeyEvidence(ctx context.Context, st *store.Store, tx *sql.Tx, o RotateOptions, newKey []byte, staging string, res *RotateResult) error {
	has, err := st.HasTable(ctx, "attachments")
	if err != nil || !has {
		return err
	}
	oldBlobs, err := evidence.OpenBlobs(o.DataDir, o.OldKey)
	if err != nil {
		return err
	}
	newBlobs, err := evidence.OpenBlobs(staging, newKey)
	if err != nil {
		return err
	}
	type row struct {
		id                               int64
		sum, blob, strippedSum, stripped string
		private                          []byte
	}
	rows, err := tx.QueryContext(ctx, st.Rebind(`SELECT id, sha256, blob, stripped_sha256, stripped_blob, private FROM attachments ORDER BY id`))
	if err != nil {
		return err
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.sum, &r.blob, &r.strippedSum, &r.stripped, &r.private); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	moved := map[string]string{} // old blob name → new
	move := func(name, sum string) (string, error) {
		if n, ok := moved[name]; ok {
			return n, nil
		}
		r, err := oldBlobs.Open(name)
		if err != nil {
			return "", fmt.Errorf("evidence file %s: %w", sum, err)
		}
		content, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return "", fmt.Errorf("evidence file %s does not decrypt with the current key (damaged?): %w", sum, err)
		}
		if got := sha256.Sum256(content); hex.EncodeToString(got[:]) != sum {
			return "", fmt.Errorf("evidence file %s does not match its SHA-256; it is left as it is and the key is not rotated", sum)
		}
		n, _, _, err := newBlobs.Put(content)
		if err != nil {
			return "", err
		}
		moved[name] = n
		res.Files++
		return n, nil
	}
	for _, r := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		nb, err := move(r.blob, r.sum)
		if err != nil {
			return err
		}
		ns, err := move(r.stripped, r.strippedSum)
		if err != nil {
			return err
		}
		p, err := oldBlobs.Unseal(r.private, r.sum)
		if err != nil {
			return fmt.Errorf("attachment %d: %w", r.id, err)
		}
		sealed, err := newBlobs.Seal(p, r.sum)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, st.Rebind(`UPDATE attachments SET blob = ?, stripped_blob = ?, private = ? WHERE id = ?`), nb, ns, sealed, r.id); err != nil {
			return err
		}
		res.Attachments++
	}
	// Files no record names (an upload that failed half-way) are not
	// carried over; they could not be opened by anyone anyway.
	_ = filepath.WalkDir(filepath.Join(o.DataDir, BlobDir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			if _, ok := moved[d.Name()]; !ok {
				res.LeftOutFiles++
			}
		}
		return nil
	})
	return nil
}

// checkRotated opens the rotated database with the new key alone: it must
// open, pass its integrity check, and its audit chain must verify.
func checkRotated(ctx context.Context, cfg store.Config) error {
	st, err := store.Open(ctx, cfg)
	if err != nil {
		return fmt.Errorf("the database under the new key does not open: %w", err)
	}
	defer st.Close()
	if err := st.QuickCheck(ctx); err != nil {
		return err
	}
	rep, err := st.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("the audit chain under the new key does not verify: %s", rep.Problems[0].Message)
	}
	return nil
}

// moveRotated puts the new files in place. Each step can be redone or
// undone by hand from what the marker file says.
func moveRotated(o RotateOptions, ex *store.Exclusive, pending, target string) (err error) {
	data := o.DataDir
	staging, old := filepath.Join(data, rotateNew), filepath.Join(data, rotateOld)
	if _, err := os.Stat(filepath.Join(data, RotationMarker)); err != nil {
		if err := writeMarker(data, pending, target); err != nil {
			if ex != nil {
				ex.Close()
			}
			return err
		}
	}
	if err := os.Mkdir(old, 0o700); err != nil {
		if ex != nil {
			ex.Close()
		}
		return err
	}
	if ex != nil {
		// A hard link keeps the old file reachable without a moment in
		// which there is no database; without hard links, two renames.
		db := filepath.Join(data, store.DBFile)
		err := os.Link(db, filepath.Join(old, store.DBFile))
		if err != nil {
			err = os.Rename(db, filepath.Join(old, store.DBFile))
		}
		if err == nil {
			err = os.Rename(filepath.Join(staging, store.DBFile), db)
		}
		// The lock was on the old file; the new one is in place.
		ex.Close()
		if err != nil {
			return err
		}
		// The old database's write-ahead log was emptied into it before the
		// copy; what is left of it must not meet the new file.
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.Remove(db + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		syncDir(data)
	}
	blobs := filepath.Join(data, BlobDir)
	if err := os.Rename(blobs, filepath.Join(old, BlobDir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(filepath.Join(staging, BlobDir), blobs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	syncDir(data)
	if o.NewKeyFile == "" {
		os.Remove(target + ".old") // from a rotation that finished before
		if err := writeKeyFile(target+".old", o.OldKey); err != nil {
			return err
		}
	}
	if err := os.Rename(pending, target); err != nil {
		return err
	}
	syncDir(filepath.Dir(target))
	if err := os.Remove(filepath.Join(data, RotationMarker)); err != nil {
		return err
	}
	syncDir(data)
	// Only now is nothing under the old key needed any more.
	os.RemoveAll(old)
	os.RemoveAll(staging)
	if o.NewKeyFile == "" {
		os.Remove(target + ".old")
	}
	return nil
}

// writeMarker writes the file that says how to finish or undo a rotation
// that stopped half-way.
func writeMarker(data, pending, target string) error {
	old, staging := filepath.Join(data, rotateOld), filepath.Join(data, rotateNew)
	note := fmt.Sprintf(`Vigil key rotation in progress (or interrupted).

The new key is in %[1]s (or already in %[2]s).
Files under the OLD key are (or are being moved) in %[3]s,
files under the NEW key in %[4]s or already in place.

Steps, in order:
  0. PostgreSQL only: the audit chain, two-factor secrets and evidence
     records in the database are moved to the new key.
  1. SQLite only: %[5]s/vigil.db is linked to %[3]s/vigil.db (old key);
     %[4]s/vigil.db replaces %[5]s/vigil.db (new key).
  2. %[5]s/blobs moves to %[3]s/blobs; %[4]s/blobs moves to %[5]s/blobs.
  3. %[1]s replaces %[2]s (the old key stays in %[2]s.old
     until the end).
  4. This file is removed, then %[3]s, %[4]s and %[2]s.old.

To finish by hand: do the steps that are not done yet.
To undo by hand (SQLite, before step 3): move the files from %[3]s back,
and delete %[4]s and %[1]s.
`, pending, target, old, staging, data)
	if err := os.WriteFile(filepath.Join(data, RotationMarker), []byte(note), 0o600); err != nil {
		return err
	}
	syncDir(data)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
