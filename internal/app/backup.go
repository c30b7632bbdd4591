package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"vigil/internal/auth"
	"vigil/internal/store"
)

// A backup is one file: an age-encrypted stream (filippo.io/age, to one or
// more X25519 or post-quantum hybrid recipients) of an archive:
//
//	"VIGIL-BACKUP 1\n"
//	entry*                 each: a JSON header line, then its body in chunks
//	"VIGIL-BACKUP-END\n"   then nothing
//
// A body is a sequence of chunks, each its length as a uvarint and that
// many bytes, ended by a chunk of length 0; bodies are streamed, so their
// length need not be known in advance (tar needs it) and nothing is
// spooled to a temporary file, where it would lie unencrypted. The entries
// come in this order:
//
//	header    BackupManifest without counts or hashes, so a restore can
//	          refuse an incompatible backup before it writes anything
//	key       the 32-byte instance key (see below)
//	database  payload "sqlite-file": the SQLite database file, still
//	          encrypted with the instance key, as a stream of writes
//	          (store.CopySQLite)
//	table*    payload "logical": one per table, its rows as JSON Lines
//	          (store.Snapshot)
//	blob*     one per file under DATA/blobs, as opaque bytes
//	manifest  BackupManifest with the database file's size and its
//	          stream's SHA-256, or every table's row count and SHA-256,
//	          and every file's size and SHA-256
//
// An SQLite instance is backed up as its database file (PayloadSQLiteFile):
// restoring it into SQLite is about as fast as copying a file, where
// loading rows into indexed tables and rebuilding the search index takes
// some thirty times longer; the copy streams straight from SQLite's online
// backup into the archive, never lying on a disk. Restoring it into
// PostgreSQL goes through a temporary copy of the file (encrypted, as the
// database is), dumped table by table into the new database.
// A PostgreSQL instance, or an SQLite one backed up with Logical, is backed
// up as rows (PayloadLogical), which load into either engine.
//
// age authenticates every 64 KiB of the stream and its end, so a changed,
// cut or reordered byte fails decryption; the manifest's hashes, the
// header's agreement with the manifest and the end marker check the
// archive itself on top of that.
//
// The backup carries the instance key. The audit chain's MAC and
// checkpoint keys, the evidence files' key and the second-factor secrets'
// key are all derived from it (and an SQLite database file is encrypted
// with it), so a restore that kept the data but not the key would leave a
// chain that cannot be verified and files that cannot be read. The
// restored instance therefore uses the original key (in a new key file);
// `vigil key rotate` gives it a new one afterwards. Whoever holds an age
// identity the backup was made for holds the whole instance: keep those
// identities as carefully as the instance key itself.

// BackupFormat is the version of the archive inside a backup. Format 1
// knew only logical payloads; this version reads it too.
const BackupFormat = 2

// The kinds of payload a backup holds.
const (
	PayloadSQLiteFile = "sqlite-file" // the SQLite database file
	PayloadLogical    = "logical"     // every table's rows
)

const (
	backupMagic = "VIGIL-BACKUP 1\n"
	backupEnd   = "VIGIL-BACKUP-END\n"
	maxChunk    = 1 << 20
	// maxHeaderLine bounds an entry's header line; a blob path is its
	// longest part.
	maxHeaderLine = 64 << 10
	// maxManifest bounds the manifest: about a million evidence files.
	maxManifest = 512 << 20
)

// BlobDir is the folder of the data directory that holds evidence files.
const BlobDir = "blobs"

// ErrBackupDamaged marks a backup that was altered, cut short or is not a
// Vigil backup at all.
var ErrBackupDamaged = errors.New("the backup is damaged")

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBackupDamaged, fmt.Sprintf(format, args...))
}

// BackupManifest describes a backup.
type BackupManifest struct {
	Format int `json:"format"`
	// Payload is PayloadSQLiteFile or PayloadLogical (empty in format 1).
	Payload   string    `json:"payload,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Vigil     string    `json:"vigil_version,omitempty"`
	Engine    string    `json:"engine"` // sqlite or postgres: where it came from
	// KeyID names the instance key without revealing it (KeyID).
	KeyID      string              `json:"key_id"`
	Migrations []ManifestMigration `json:"migrations"`
	Skipped    []string            `json:"skipped_tables,omitempty"`
	Tables     []ManifestTable     `json:"tables,omitempty"`   // logical
	Database   *ManifestDatabase   `json:"database,omitempty"` // sqlite-file
	Blobs      []ManifestBlob      `json:"blobs,omitempty"`
}

// IsSQLiteFile reports whether the backup holds an SQLite database file.
func (m *BackupManifest) IsSQLiteFile() bool { return m.Payload == PayloadSQLiteFile }

// ManifestDatabase is the SQLite database file of a backup.
type ManifestDatabase struct {
	Size   int64  `json:"size"`   // of the file
	Stream int64  `json:"stream"` // bytes of its file stream in the backup
	SHA256 string `json:"sha256"` // of the stream
}

// ManifestMigration is one schema version the source database had.
type ManifestMigration struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
}

// ManifestTable is one table of a backup.
type ManifestTable struct {
	Name    string             `json:"name"`
	Columns []store.DumpColumn `json:"columns"`
	Rows    int64              `json:"rows"`
	SHA256  string             `json:"sha256,omitempty"` // of the table's JSON Lines
}

// ManifestBlob is one evidence file of a backup.
type ManifestBlob struct {
	Path   string `json:"path"` // relative to DATA/blobs, with forward slashes
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// KeyID is a short public name for an instance key: it tells two keys
// apart and says which key a backup carries, and reveals nothing of it.
func KeyID(key []byte) string {
	return hex.EncodeToString(auth.DeriveKey(key, "key id v1")[:8])
}

type entryHeader struct {
	Entry string `json:"entry"` // header, key, database, table, blob, manifest
	Name  string `json:"name,omitempty"`
}

// chunkWriter writes one entry's body.
type chunkWriter struct {
	w   *bufio.Writer
	tmp [binary.MaxVarintLen64]byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), maxChunk)
		if _, err := c.w.Write(binary.AppendUvarint(c.tmp[:0], uint64(n))); err != nil {
			return written, err
		}
		if n >= c.w.Size() {
			// Flushed first, the buffer hands a large piece straight to
			// the writer below instead of copying it.
			if err := c.w.Flush(); err != nil {
				return written, err
			}
		}
		if _, err := c.w.Write(p[:n]); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

func (c *chunkWriter) end() error {
	return c.w.WriteByte(0)
}

// chunkReader reads one entry's body.
type chunkReader struct {
	r    *bufio.Reader
	left uint64
	done bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		n, err := binary.ReadUvarint(c.r)
		if err != nil {
			return 0, cut(err)
		}
		if n == 0 {
			c.done = true
			return 0, io.EOF
		}
		if n > maxChunk {
			return 0, damaged("a chunk of %d bytes", n)
		}
		c.left = n
	}
	if uint64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= uint64(n)
	if err != nil {
		return n, cut(err)
	}
	return n, nil
}

// cut explains an error met while reading the archive. Errors from age
// itself mean the ciphertext was changed or cut.
func cut(err error) error {
	switch {
	case errors.Is(err, ErrBackupDamaged):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return damaged("it ends too early (truncated)")
	}
	return damaged("%v (the file was altered or truncated)", err)
}

// ---- Writing ----

// BackupOptions says what to back up and for whom.
type BackupOptions struct {
	Store      *store.Store
	DataDir    string // evidence files are read from DataDir/blobs
	Key        []byte // the instance key, carried inside the backup
	Recipients []age.Recipient
	Version    string // of the program, recorded in the manifest
	Now        func() time.Time
	// Logical backs up an SQLite instance as rows, as a PostgreSQL one
	// always is, instead of as its database file. It is slower to restore,
	// but it can be read without SQLite, and it carries nothing of rows
	// deleted earlier that the database file may still hold in its free
	// space.
	Logical bool
}

// BackupResult tells what a backup holds.
type BackupResult struct {
	Manifest *BackupManifest
	Bytes    int64    // size of the encrypted backup
	Warnings []string // files under blobs that were left out, and why
}

// countingWriter counts what passes through.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteBackup writes a backup to w. The database is read in one snapshot
// while the server may go on writing; evidence files are listed after the
// snapshot was taken, so every file the backed-up rows refer to is there
// (files never change once written: they are content-addressed).
func WriteBackup(ctx context.Context, w io.Writer, o BackupOptions) (*BackupResult, error) {
	if len(o.Recipients) == 0 {
		return nil, errors.New("a backup needs at least one recipient")
	}
	if len(o.Key) != store.KeySize {
		return nil, errors.New("a backup needs the instance key")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cw := &countingWriter{w: w}
	aw, err := age.Encrypt(cw, o.Recipients...)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(aw, 256<<10)
	res := &BackupResult{}
	if o.Store.Dialect() == "sqlite" && !o.Logical {
		err = writeSQLiteFile(ctx, bw, o, res)
	} else {
		err = writeLogical(ctx, bw, o, res)
	}
	if err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	res.Bytes = cw.n
	return res, nil
}

// writeStart writes the magic, the header (m as it is now) and the key.
func writeStart(bw *bufio.Writer, m *BackupManifest, key []byte) error {
	if _, err := bw.WriteString(backupMagic); err != nil {
		return err
	}
	header := *m
	header.Tables = slices.Clone(m.Tables)
	if err := writeEntry(bw, entryHeader{Entry: "header"}, func(w io.Writer) error { return json.NewEncoder(w).Encode(header) }); err != nil {
		return err
	}
	return writeEntry(bw, entryHeader{Entry: "key"}, func(w io.Writer) error { _, err := w.Write(key); return err })
}

// writeEnd writes the evidence files, the manifest and the end marker.
func writeEnd(ctx context.Context, bw *bufio.Writer, o BackupOptions, m *BackupManifest, res *BackupResult) error {
	blobs, warnings, err := writeBlobs(ctx, bw, filepath.Join(o.DataDir, BlobDir))
	if err != nil {
		return err
	}
	m.Blobs, res.Warnings = blobs, warnings
	if err := writeEntry(bw, entryHeader{Entry: "manifest"}, func(w io.Writer) error { return json.NewEncoder(w).Encode(m) }); err != nil {
		return err
	}
	if _, err := bw.WriteString(backupEnd); err != nil {
		return err
	}
	res.Manifest = m
	return nil
}

func (o BackupOptions) manifest(engine string, migrations []store.Migration, skipped []string, payload string) *BackupManifest {
	m := &BackupManifest{Format: BackupFormat, Payload: payload, CreatedAt: o.Now().UTC().Truncate(time.Millisecond), Vigil: o.Version,
		Engine: engine, KeyID: KeyID(o.Key), Skipped: skipped}
	for _, mg := range migrations {
		m.Migrations = append(m.Migrations, ManifestMigration{Version: mg.Version, Name: mg.Name})
	}
	return m
}

// writeLogical backs up every table's rows from one snapshot; the
// evidence files are copied while the snapshot is held.
func writeLogical(ctx context.Context, bw *bufio.Writer, o BackupOptions, res *BackupResult) error {
	return o.Store.Snapshot(ctx, func(sn *store.Snapshot) error {
		m := o.manifest(sn.Engine(), sn.Migrations(), sn.Skipped(), PayloadLogical)
		for _, t := range sn.Tables() {
			m.Tables = append(m.Tables, ManifestTable{Name: t.Name, Columns: t.Columns})
		}
		if err := writeStart(bw, m, o.Key); err != nil {
			return err
		}
		for i := range m.Tables {
			t := &m.Tables[i]
			h := sha256.New()
			err := writeEntry(bw, entryHeader{Entry: "table", Name: t.Name}, func(w io.Writer) error {
				n, err := sn.DumpTable(ctx, t.Name, io.MultiWriter(w, h))
				t.Rows = n
				return err
			})
			if err != nil {
				return err
			}
			t.SHA256 = hex.EncodeToString(h.Sum(nil))
		}
		return writeEnd(ctx, bw, o, m, res)
	})
}

// writeSQLiteFile backs up the SQLite database file: SQLite's online
// backup writes a consistent copy of it as a file stream into the
// database entry; the stream is encrypted by age and hashed by other
// goroutines while SQLite goes on copying (hashPipe). The evidence files
// are listed after the copy's snapshot was taken.
func writeSQLiteFile(ctx context.Context, bw *bufio.Writer, o BackupOptions, res *BackupResult) error {
	var m *BackupManifest
	out := &lazyWriter{}
	begin := func(migrations []store.Migration, skipped []string) error {
		m = o.manifest("sqlite", migrations, skipped, PayloadSQLiteFile)
		if err := writeStart(bw, m, o.Key); err != nil {
			return err
		}
		line, err := json.Marshal(entryHeader{Entry: "database"})
		if err != nil {
			return err
		}
		if _, err := bw.Write(append(line, '\n')); err != nil {
			return err
		}
		out.p = newHashPipe(&chunkWriter{w: bw})
		return nil
	}
	cp, err := o.Store.CopySQLite(ctx, o.Key, out, store.CopyOptions{Begin: begin})
	if out.p == nil {
		if err == nil {
			err = errors.New("it did not start")
		}
		return fmt.Errorf("cannot copy the database: %w", err)
	}
	n, sum, cerr := out.p.Close() // also when the copy failed: bw is free again only after this
	if err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot copy the database: %w", err)
	}
	if err := bw.WriteByte(0); err != nil { // the end of the entry's body
		return err
	}
	m.Database = &ManifestDatabase{Size: cp.Size, Stream: n, SHA256: sum}
	return writeEnd(ctx, bw, o, m, res)
}

// lazyWriter writes to a hashPipe made once the copy has begun.
type lazyWriter struct{ p *hashPipe }

func (l *lazyWriter) Write(b []byte) (int, error) {
	if l.p == nil {
		return 0, errors.New("the copy wrote before it began")
	}
	return l.p.Write(b)
}

func writeEntry(bw *bufio.Writer, h entryHeader, body func(w io.Writer) error) error {
	line, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if _, err := bw.Write(append(line, '\n')); err != nil {
		return err
	}
	cw := &chunkWriter{w: bw}
	if err := body(cw); err != nil {
		return err
	}
	return cw.end()
}

// writeBlobs copies every regular file under dir, in name order.
func writeBlobs(ctx context.Context, bw *bufio.Writer, dir string) ([]ManifestBlob, []string, error) {
	var (
		out      []ManifestBlob
		warnings []string
		buf      = make([]byte, 256<<10)
	)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return filepath.SkipDir // no evidence files yet
			}
			return fmt.Errorf("cannot read the evidence files: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || d.IsDir() {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			// A link could point anywhere on the machine; a device or
			// socket is no evidence file.
			warnings = append(warnings, fmt.Sprintf("left out %s: not a regular file", rel))
			return nil
		}
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed since the listing: a temporary file, or deleted
		}
		if err != nil {
			return fmt.Errorf("cannot read evidence file %s: %w", rel, err)
		}
		defer f.Close()
		h := sha256.New()
		var size int64
		err = writeEntry(bw, entryHeader{Entry: "blob", Name: rel}, func(w io.Writer) error {
			n, err := io.CopyBuffer(io.MultiWriter(w, h), f, buf)
			size = n
			return err
		})
		if err != nil {
			return fmt.Errorf("back up evidence file %s: %w", rel, err)
		}
		out = append(out, ManifestBlob{Path: rel, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	})
	return out, warnings, err
}

// WriteBackupFile writes a backup to path, which must not exist yet. The
// backup is written beside it under a temporary name and appears under
// path only when complete, so a failed or interrupted backup never leaves
// a file that looks like a backup.
func WriteBackupFile(ctx context.Context, path string, o BackupOptions) (*BackupResult, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s already exists; choose a new name for the backup", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write the backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// The backup is written once and not read again soon: in pieces of
	// 1 MiB past the page cache where the system allows, which on a busy
	// machine spares most of the cost of writing it (store.SequentialWriter).
	fw := store.NewSequentialWriter(tmp)
	defer fw.Close()
	res, err := WriteBackup(ctx, fw, o)
	if err != nil {
		return nil, err
	}
	if err := fw.Flush(); err != nil {
		return nil, fmt.Errorf("cannot write the backup: %w", err)
	}
	if err := fw.Close(); err != nil {
		return nil, fmt.Errorf("cannot write the backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("cannot write the backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("cannot write the backup: %w", err)
	}
	// A hard link fails if path appeared meanwhile, where a rename would
	// replace it; a file system without hard links gets the rename.
	if err := os.Link(tmp.Name(), path); err != nil {
		if _, serr := os.Lstat(path); serr == nil {
			return nil, fmt.Errorf("%s appeared while the backup was written; the backup was not kept", path)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, fmt.Errorf("cannot put the backup at %s: %w", path, err)
		}
	}
	ok = true
	os.Remove(tmp.Name())
	return res, nil
}

// ---- Reading ----

// archiveReader reads the archive inside a backup.
type archiveReader struct {
	r *bufio.Reader
}

// next reads the next entry's header; its body must be read to the end
// before the next call.
func (a *archiveReader) next() (entryHeader, *chunkReader, error) {
	line, err := a.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return entryHeader{}, nil, damaged("an entry header is too long")
		}
		return entryHeader{}, nil, cut(err)
	}
	var h entryHeader
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return entryHeader{}, nil, damaged("an entry header cannot be read")
	}
	return h, &chunkReader{r: a.r}, nil
}

func (a *archiveReader) expectEntry(kind string) (*chunkReader, error) {
	h, body, err := a.next()
	if err != nil {
		return nil, err
	}
	if h.Entry != kind {
		return nil, damaged("found a %q entry where the %s should be", h.Entry, kind)
	}
	return body, nil
}

// readJSON reads a body holding one JSON document.
func readJSON(body io.Reader, limit int64, v any) error {
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return err
	}
	if int64(len(b)) > limit {
		return damaged("an entry is too large")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return damaged("an entry cannot be read: %v", err)
	}
	return nil
}

// openBackup decrypts a backup's header and returns a reader of its
// archive. It finds a wrong identity, a file that is no age file, and a
// file cut short (age authenticates the last chunk first) before anything
// else is read.
func openBackup(src io.ReaderAt, size int64, ids []age.Identity) (*archiveReader, error) {
	ra, plainSize, err := age.DecryptReaderAt(src, size, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		switch {
		case errors.As(err, &nm):
			return nil, errors.New("the identity given cannot open this backup: it was made for other recipients (or the recipients in its header were altered)")
		case strings.Contains(err.Error(), "header"):
			return nil, damaged("it is not an age-encrypted Vigil backup, or its beginning was altered (%v)", err)
		}
		return nil, damaged("%v (the file was altered or truncated)", err)
	}
	a := &archiveReader{r: bufio.NewReaderSize(io.NewSectionReader(ra, 0, plainSize), maxHeaderLine)}
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(a.r, magic); err != nil || string(magic) != backupMagic {
		if err == nil && strings.HasPrefix(string(magic), "VIGIL-BACKUP ") {
			return nil, fmt.Errorf("this backup has format %q, which this version of Vigil cannot read", strings.TrimSpace(string(magic)))
		}
		return nil, damaged("it is not a Vigil backup")
	}
	return a, nil
}

// backupReader reads a backup's entries in order and checks them against
// its manifest.
type backupReader struct {
	a        *archiveReader
	header   BackupManifest
	key      []byte
	tables   []ManifestTable // as read, with counts and hashes
	database *ManifestDatabase
	blobs    []ManifestBlob
}

func readBackupStart(src io.ReaderAt, size int64, ids []age.Identity) (*backupReader, error) {
	a, err := openBackup(src, size, ids)
	if err != nil {
		return nil, err
	}
	br := &backupReader{a: a}
	body, err := a.expectEntry("header")
	if err != nil {
		return nil, err
	}
	if err := readJSON(body, maxManifest, &br.header); err != nil {
		return nil, err
	}
	h := &br.header
	switch {
	case h.Format == 1 && h.Payload == "":
		h.Payload = PayloadLogical // format 1 had no other kind
	case h.Format != BackupFormat && h.Format != 1:
		return nil, fmt.Errorf("this backup has format %d, which this version of Vigil cannot read", h.Format)
	case h.Payload != PayloadLogical && h.Payload != PayloadSQLiteFile:
		return nil, fmt.Errorf("this backup holds a payload of kind %q, which this version of Vigil cannot read", h.Payload)
	}
	if h.IsSQLiteFile() && (h.Engine != "sqlite" || len(h.Tables) > 0) {
		return nil, damaged("its header does not describe an SQLite database file")
	}
	if body, err = a.expectEntry("key"); err != nil {
		return nil, err
	}
	if br.key, err = io.ReadAll(io.LimitReader(body, store.KeySize+1)); err != nil {
		return nil, err
	}
	if len(br.key) != store.KeySize || KeyID(br.key) != br.header.KeyID {
		return nil, damaged("the instance key in it does not match its header")
	}
	return br, nil
}

// tableOf finds a table of the header.
func (br *backupReader) tableOf(name string) (store.DumpTable, bool) {
	for _, t := range br.header.Tables {
		if t.Name == name {
			return store.DumpTable{Name: t.Name, Columns: t.Columns}, true
		}
	}
	return store.DumpTable{}, false
}

func (br *backupReader) dumpTables() []store.DumpTable {
	out := make([]store.DumpTable, len(br.header.Tables))
	for i, t := range br.header.Tables {
		out[i] = store.DumpTable{Name: t.Name, Columns: t.Columns}
	}
	return out
}

// entryHandlers receive the entries of a backup after its key. A handler
// of a kind that the backup's payload does not hold may be nil.
type entryHandlers struct {
	table    func(t store.DumpTable, r io.Reader) (int64, error)
	database func() (*store.FileStreamWriter, error)
	blob     func(path string, r io.Reader) error
}

// readRest reads the entries after the key, giving each to its handler;
// then the manifest, which must agree with the header and with every hash
// and count, and the end marker. Nothing a handler wrote may be used
// before readRest has returned without error.
func (br *backupReader) readRest(hs entryHandlers) (*BackupManifest, error) {
	for {
		h, body, err := br.a.next()
		if err != nil {
			return nil, err
		}
		switch h.Entry {
		case "table":
			t, ok := br.tableOf(h.Name)
			if !ok || br.header.IsSQLiteFile() {
				return nil, damaged("it holds a table %q that its header does not list", h.Name)
			}
			sum := sha256.New()
			tee := io.TeeReader(body, sum)
			n, err := hs.table(t, tee)
			if err != nil {
				return nil, err
			}
			if err := drained(tee); err != nil {
				return nil, err
			}
			br.tables = append(br.tables, ManifestTable{Name: t.Name, Columns: t.Columns, Rows: n, SHA256: hex.EncodeToString(sum.Sum(nil))})
		case "database":
			if !br.header.IsSQLiteFile() || br.database != nil || len(br.blobs) > 0 {
				return nil, damaged("it holds a database file where its header does not say so")
			}
			// The file stream is written out (or checked) in one
			// goroutine and hashed in another while this one decrypts the
			// next piece.
			fw, err := hs.database()
			if err != nil {
				return nil, err
			}
			n, sum, err := copyHashed(fw, body)
			if err != nil {
				fw.Abort()
				if errors.Is(err, store.ErrFileStream) {
					return nil, damaged("%v", err)
				}
				return nil, err
			}
			size, err := fw.Finish()
			if errors.Is(err, store.ErrFileStream) {
				return nil, damaged("%v", err)
			}
			if err != nil {
				return nil, err
			}
			br.database = &ManifestDatabase{Size: size, Stream: n, SHA256: sum}
		case "blob":
			if _, err := blobPath(h.Name); err != nil {
				return nil, err
			}
			sum := sha256.New()
			cr := &countingReader{r: io.TeeReader(body, sum)}
			if err := hs.blob(h.Name, cr); err != nil {
				return nil, err
			}
			if _, err := io.Copy(io.Discard, cr); err != nil {
				return nil, err
			}
			br.blobs = append(br.blobs, ManifestBlob{Path: h.Name, Size: cr.n, SHA256: hex.EncodeToString(sum.Sum(nil))})
		case "manifest":
			var m BackupManifest
			if err := readJSON(body, maxManifest, &m); err != nil {
				return nil, err
			}
			if m.Format == 1 && m.Payload == "" {
				m.Payload = PayloadLogical
			}
			if err := br.check(&m); err != nil {
				return nil, err
			}
			end := make([]byte, len(backupEnd))
			if _, err := io.ReadFull(br.a.r, end); err != nil || string(end) != backupEnd {
				return nil, damaged("its end marker is missing (truncated)")
			}
			if _, err := br.a.r.ReadByte(); err != io.EOF {
				return nil, damaged("there is data after its end marker")
			}
			return &m, nil
		default:
			return nil, damaged("it holds an entry of unknown kind %q", h.Entry)
		}
	}
}

// drained checks that a table's consumer read its whole body: rows left
// unread would be counted in the hash but missing from the database.
func drained(body io.Reader) error {
	n, err := io.Copy(io.Discard, body)
	if err == nil && n > 0 {
		err = errors.New("a table was not read to its end")
	}
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// check compares the manifest with the header and with what was read.
func (br *backupReader) check(m *BackupManifest) error {
	h := br.header
	if m.Format != h.Format || m.Payload != h.Payload || m.Engine != h.Engine || m.KeyID != h.KeyID || !m.CreatedAt.Equal(h.CreatedAt) ||
		!slices.Equal(m.Migrations, h.Migrations) || len(m.Tables) != len(h.Tables) {
		return damaged("its manifest does not match its header")
	}
	for i, t := range m.Tables {
		if t.Name != h.Tables[i].Name || !slices.Equal(t.Columns, h.Tables[i].Columns) {
			return damaged("its manifest does not match its header (table %s)", t.Name)
		}
	}
	if len(br.tables) != len(m.Tables) {
		return damaged("it holds %d tables where its manifest lists %d", len(br.tables), len(m.Tables))
	}
	for i, t := range m.Tables {
		got := br.tables[i]
		switch {
		case got.Name != t.Name:
			return damaged("table %s is where its manifest lists %s", got.Name, t.Name)
		case got.SHA256 != t.SHA256:
			return damaged("table %s does not match its SHA-256 in the manifest", t.Name)
		case got.Rows != t.Rows:
			return damaged("table %s has %d rows where its manifest lists %d", t.Name, got.Rows, t.Rows)
		}
	}
	switch {
	case h.IsSQLiteFile() && (m.Database == nil || br.database == nil):
		return damaged("its database file is missing")
	case !h.IsSQLiteFile() && m.Database != nil:
		return damaged("its manifest lists a database file where its header does not")
	case m.Database != nil && *m.Database != *br.database:
		return damaged("its database file does not match its size and SHA-256 in the manifest")
	}
	if len(br.blobs) != len(m.Blobs) {
		return damaged("it holds %d evidence files where its manifest lists %d", len(br.blobs), len(m.Blobs))
	}
	for i, b := range m.Blobs {
		if br.blobs[i] != b {
			return damaged("evidence file %s does not match the manifest", b.Path)
		}
	}
	return nil
}

// blobPath turns a path from a backup into a relative path under blobs,
// refusing anything that could lead outside it.
func blobPath(p string) (string, error) {
	fp := filepath.FromSlash(p)
	if p == "" || strings.ContainsAny(p, "\\\x00") || !filepath.IsLocal(fp) || filepath.Clean(fp) != fp {
		return "", damaged("it names an evidence file %q outside the evidence folder", p)
	}
	return fp, nil
}

// RestoreOptions says which backup to restore where.
type RestoreOptions struct {
	Backup     io.ReaderAt
	Size       int64
	Identities []age.Identity
	// DataDir is the new instance's data directory; it must not exist or
	// be empty. On PostgreSQL it receives the evidence files.
	DataDir string
	// DatabaseURL restores into this (empty) PostgreSQL database instead
	// of SQLite.
	DatabaseURL string
	// KeyFile is where the instance key is written; DefaultKeyFile when
	// empty. It must not exist yet.
	KeyFile string
	// CheckOnly reads and checks the whole backup and writes nothing.
	CheckOnly bool
}

// RestoreResult tells what was restored.
type RestoreResult struct {
	Manifest *BackupManifest
	KeyFile  string
	Audit    *store.AuditReport // the restored audit chain, verified
	// Loaded lists the rows loaded into each table when a database file
	// was restored into PostgreSQL.
	Loaded []store.TableRows
}

// RestoreBackup restores a backup into a new instance. A backup of rows is
// loaded into either engine; a backup of an SQLite database file becomes
// the new SQLite database as it is, or reaches PostgreSQL through a
// temporary copy loaded table by table. Nothing is left behind when it
// fails: the database and the files are prepared in a temporary folder
// beside DataDir that takes its name only at the end (and on PostgreSQL in
// one transaction), and the key file is removed again.
func RestoreBackup(ctx context.Context, o RestoreOptions) (_ *RestoreResult, err error) {
	engine := "sqlite"
	if o.DatabaseURL != "" {
		if !IsPostgres(o.DatabaseURL) {
			return nil, errors.New("VIGIL_DATABASE_URL must start with postgres:// or postgresql://")
		}
		engine = "postgres"
	}
	var absData string
	if !o.CheckOnly {
		if o.DataDir == "" {
			return nil, errors.New("no data directory for the restored instance")
		}
		if absData, err = filepath.Abs(o.DataDir); err != nil {
			return nil, err
		}
		if entries, err := os.ReadDir(absData); err == nil && len(entries) > 0 {
			return nil, fmt.Errorf("%s is not empty; restore only into a new data directory", o.DataDir)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("cannot use %s as the data directory: %w", o.DataDir, err)
		}
	}
	// age reads a backup one 64 KiB chunk at a time: a system call each
	// would cost more than the copy out of larger pieces.
	src := store.NewReadAhead(o.Backup)
	defer src.Close()
	br, err := readBackupStart(src, o.Size, o.Identities)
	if err != nil {
		return nil, err
	}
	res := &RestoreResult{}
	if o.CheckOnly {
		m, err := br.readRest(entryHandlers{
			table:    func(_ store.DumpTable, r io.Reader) (int64, error) { return countLines(r) },
			database: func() (*store.FileStreamWriter, error) { return store.NewFileStreamChecker(), nil },
			blob:     func(string, io.Reader) error { return nil },
		})
		if err != nil {
			return nil, err
		}
		res.Manifest = m
		return res, nil
	}
	if err := checkMigrations(br.header.Migrations, engine); err != nil {
		return nil, err
	}
	if br.header.IsSQLiteFile() && engine == "postgres" {
		// Loading into PostgreSQL starts only after the whole backup was
		// read; a database that holds data is better refused before.
		if err := store.CheckRestoreTarget(ctx, store.Config{DatabaseURL: o.DatabaseURL}); err != nil {
			return nil, err
		}
	}

	// The key file first: it is what the user must not lose, and a
	// name that is taken is better found out before any work.
	keyFile := o.KeyFile
	if keyFile == "" {
		if keyFile, err = DefaultKeyFile(absData); err != nil {
			return nil, err
		}
	}
	absKey, err := filepath.Abs(keyFile)
	if err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(absData, absKey); err == nil && filepath.IsLocal(rel) {
		return nil, errors.New("the key file must not be inside the data directory: whoever copies the data would have the key too")
	}
	if err := writeKeyFile(absKey, br.key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(absData), 0o700); err != nil {
		os.Remove(absKey)
		return nil, fmt.Errorf("cannot create the data directory: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(absData), "."+filepath.Base(absData)+".restoring-*")
	if err != nil {
		os.Remove(absKey)
		return nil, fmt.Errorf("cannot create the data directory: %w", err)
	}
	published := false
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			if published {
				os.RemoveAll(absData)
			}
			os.Remove(absKey)
		}
	}()
	if err := os.Chmod(tmp, 0o700); err != nil {
		return nil, err
	}
	blobRoot := filepath.Join(tmp, BlobDir)
	blob := func(p string, r io.Reader) error { return restoreBlob(blobRoot, p, r) }
	cfg := store.Config{Dir: tmp, Key: br.key, DatabaseURL: o.DatabaseURL}
	switch {
	case !br.header.IsSQLiteFile():
		err = store.Restore(ctx, cfg, br.dumpTables(), func(l *store.Loader) error {
			m, err := br.readRest(entryHandlers{
				table: func(t store.DumpTable, r io.Reader) (int64, error) { return l.LoadTable(ctx, t, r) },
				blob:  blob,
			})
			res.Manifest = m
			return err
		})
	case engine == "sqlite":
		// The file becomes the new instance's database as it is: it is
		// encrypted with the instance key the backup carries. It is
		// opened only below, after the manifest has vouched for it.
		path := filepath.Join(tmp, store.DBFile)
		res.Manifest, err = br.readRest(entryHandlers{
			database: func() (*store.FileStreamWriter, error) { return store.NewSQLiteFileWriter(path) },
			blob:     blob,
		})
		if err == nil {
			_, err = store.EmptySkippedTables(ctx, path, br.key)
		}
	default:
		res.Manifest, res.Loaded, err = restoreFileToPostgres(ctx, br, cfg, absData, blob)
	}
	if err != nil {
		return nil, err
	}
	// Publish: the new directory takes its name in one step. An empty
	// directory of that name is replaced.
	if err := os.Remove(absData); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot use %s as the data directory: %w", o.DataDir, err)
	}
	if err := os.Rename(tmp, absData); err != nil {
		return nil, fmt.Errorf("cannot move the restored instance into place: %w", err)
	}
	published = true
	res.KeyFile = absKey

	// The restored instance must open with its key and its audit chain
	// must verify; the restore itself is its first new entry.
	st, err := OpenStore(ctx, Config{DataDir: absData, Key: br.key, DatabaseURL: o.DatabaseURL})
	if err != nil {
		return nil, fmt.Errorf("the restored instance does not open: %w", err)
	}
	defer st.Close()
	rep, err := st.VerifyAudit(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot verify the restored audit log: %w", err)
	}
	res.Audit = &rep
	err = st.AppendAudit(ctx, store.AuditEvent{Action: "restore", Entity: "instance",
		Detail: map[string]any{"backup_created_at": res.Manifest.CreatedAt, "from_engine": res.Manifest.Engine, "key_id": res.Manifest.KeyID}})
	if err != nil {
		return nil, fmt.Errorf("cannot write the audit log of the restored instance: %w", err)
	}
	return res, nil
}

// restoreFileToPostgres restores a backup of an SQLite database file into
// PostgreSQL: the file is written to a temporary folder beside the new
// data directory (it stays encrypted with the instance key there), checked
// against the manifest with the rest of the backup, opened, and loaded
// into PostgreSQL table by table; then it is removed.
func restoreFileToPostgres(ctx context.Context, br *backupReader, cfg store.Config, absData string,
	blob func(string, io.Reader) error) (*BackupManifest, []store.TableRows, error) {
	dir, err := os.MkdirTemp(filepath.Dir(absData), "."+filepath.Base(absData)+".restoring-db-*")
	if err != nil {
		return nil, nil, fmt.Errorf("cannot make a folder for the database file: %w", err)
	}
	defer os.RemoveAll(dir)
	m, err := br.readRest(entryHandlers{
		database: func() (*store.FileStreamWriter, error) {
			return store.NewSQLiteFileWriter(filepath.Join(dir, store.DBFile))
		},
		blob: blob,
	})
	if err != nil {
		return nil, nil, err
	}
	// Opening runs the migrations this program has and the backup lacks
	// on the temporary copy, so its rows have the shape the new database
	// expects (a logical backup of an older schema gets only defaults).
	src, err := store.Open(ctx, store.Config{Dir: dir, Key: br.key})
	if err != nil {
		return nil, nil, fmt.Errorf("the database file in the backup does not open: %w", err)
	}
	defer src.Close()
	loaded, err := src.TransferTo(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return m, loaded, nil
}

// checkMigrations refuses a backup from a schema this program does not
// know. An older backup is fine: the migrations it lacks have run on the
// new database, and their new columns take their defaults.
func checkMigrations(ms []ManifestMigration, engine string) error {
	known, err := store.KnownMigrations(engine)
	if err != nil {
		return err
	}
	have := map[int]bool{}
	for _, k := range known {
		have[k.Version] = true
	}
	for _, m := range ms {
		if !have[m.Version] {
			return fmt.Errorf("the backup has schema version %d (%s), which this version of Vigil does not know; restore it with a newer Vigil", m.Version, m.Name)
		}
	}
	return nil
}

func restoreBlob(root, p string, r io.Reader) error {
	rel, err := blobPath(p)
	if err != nil {
		return err
	}
	path := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return damaged("it holds evidence file %s twice", p)
		}
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// writeKeyFile writes key to a new file (0600), as NewKeyFile does for a
// fresh key.
func writeKeyFile(path string, key []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create the key's folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("a key file already exists at %s; refusing to overwrite it (give another --key-file)", path)
		}
		return fmt.Errorf("cannot write the key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
