package store

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"sort"
	"time"

	"vigil/internal/auth"
	"vigil/internal/domain"
)

// The audit log is a hash chain. Entry n holds who did what to which record
// and when, a keyed digest of the change (never the change itself), the
// hash of entry n-1 and its own hash:
//
//	hash(n) = HMAC-SHA-256(k_mac, "vigil audit entry v1" | hash(n-1) | at | actor | action | entity | entity id | version | digest)
//
// Without k_mac nobody can alter, drop or reorder entries and fix the chain
// up again. The position of an entry is bound by the link to its
// predecessor, not by its seq, so that verification can tell an entry that
// was changed (its MAC fails) from one that was moved (its MAC holds but it
// follows the wrong entry) and from a gap (seq jumps, or the predecessor is
// nowhere in the log). The one-row audit_head table keeps the latest seq and
// hash, which serialises appends on PostgreSQL (SELECT ... FOR UPDATE; the
// SQLite writer is a single connection anyway) and shows when entries were
// cut off the end. Every auditCheckpointEvery entries, and on demand, the
// head is signed with Ed25519 (audit_checkpoints): the public key can be
// written down outside the system, and a checkpoint proves that the chain up
// to it existed as signed even to someone who must not hold k_mac.
//
// All keys are derived from the instance key (auth.DeriveKey): "audit mac
// v1" for the chain, "audit digest v1" for the digests (keyed so that a
// short detail such as a user id cannot be recovered by guessing), "audit
// checkpoint v1" as the Ed25519 seed.

// auditCheckpointEvery is how many entries go between automatic checkpoints.
const auditCheckpointEvery = 1000

// AuditEvent is one audited action. Detail is reduced to a digest before it
// is stored, so the log never holds sensitive plaintext.
type AuditEvent struct {
	ActorID  int64
	Action   string // create, update, delete, link, unlink, verify, login, login_failed, export, download, permission, ...
	Entity   string // testimony, incident, user, session, ...
	EntityID int64
	Detail   any // the change; only its keyed digest is kept
}

// AuditEntry is one stored entry of the chain.
type AuditEntry struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	ActorID  int64     `json:"actor_id"`
	Action   string    `json:"action"`
	Entity   string    `json:"entity"`
	EntityID int64     `json:"entity_id"`
	// Version is the record version whose snapshot this entry seals (see
	// record_versions), 0 for entries that write no version.
	Version  int    `json:"version,omitempty"`
	Digest   string `json:"digest"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Checkpoint is a signed statement that the chain had Hash at entry Seq.
type Checkpoint struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	Signature string    `json:"signature"` // Ed25519, hex, over CheckpointMessage
}

// CheckpointMessage is what a checkpoint's signature covers, so that anyone
// holding the public key can check a checkpoint without Vigil.
func CheckpointMessage(seq int64, hash string, at time.Time) []byte {
	return fmt.Appendf(nil, "vigil audit checkpoint v1\nseq %d\nhash %s\nat %d\n", seq, hash, at.UnixMilli())
}

// auditor holds the keys of the audit log.
type auditor struct {
	macKey    []byte
	digestKey []byte
	sign      ed25519.PrivateKey
	pub       ed25519.PublicKey
	every     int64
}

// newAuditor derives the audit keys from the instance key; nil without one.
func newAuditor(master []byte) *auditor {
	if len(master) == 0 {
		return nil
	}
	priv := ed25519.NewKeyFromSeed(auth.DeriveKey(master, "audit checkpoint v1"))
	return &auditor{
		macKey:    auth.DeriveKey(master, "audit mac v1"),
		digestKey: auth.DeriveKey(master, "audit digest v1"),
		sign:      priv,
		pub:       priv.Public().(ed25519.PublicKey),
		every:     auditCheckpointEvery,
	}
}

// errNoAuditKey refuses a write that cannot be audited: an unaudited change
// is worse than a failed one.
var errNoAuditKey = &domain.Error{Code: domain.EInternal,
	Message: "the audit log cannot be written: the database was opened without the instance key"}

// digestBytes is the keyed digest of an encoded change.
func (a *auditor) digestBytes(b []byte) string {
	m := hmac.New(sha256.New, a.digestKey)
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// digestOf is the keyed digest of a change given as a value; its JSON
// encoding is canonical for the Go types the store uses (struct fields in
// order, map keys sorted).
func (a *auditor) digestOf(v any) string {
	if v == nil {
		return a.digestBytes(nil)
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Only channels, functions and the like fail; say what it was
		// rather than lose the entry.
		b = []byte(fmt.Sprintf("unencodable %T", v))
	}
	return a.digestBytes(b)
}

// entryMAC computes an entry's hash from its predecessor's and its fields.
// Every variable-length field is length-prefixed, so no two different rows
// encode alike.
func (a *auditor) entryMAC(prev string, e *AuditEntry) string {
	m := hmac.New(sha256.New, a.macKey)
	m.Write([]byte("vigil audit entry v1"))
	writeField(m, prev)
	writeInt(m, e.At.UnixMilli())
	writeInt(m, e.ActorID)
	writeField(m, e.Action)
	writeField(m, e.Entity)
	writeInt(m, e.EntityID)
	writeInt(m, int64(e.Version))
	writeField(m, e.Digest)
	return hex.EncodeToString(m.Sum(nil))
}

func writeField(h hash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	h.Write([]byte(s))
}

func writeInt(h hash.Hash, v int64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	h.Write(b[:])
}

// --- who is acting ---

type auditCtxKey int

const (
	actorCtxKey auditCtxKey = iota
	actionCtxKey
)

// WithActor says who is acting, for the audit entries and versions the
// store writes; the service sets it so store signatures need not change.
func WithActor(ctx context.Context, userID int64) context.Context {
	return context.WithValue(ctx, actorCtxKey, userID)
}

// WithAction overrides the action the store would name a write with, for a
// write that is more than an update (a restore of an earlier version).
func WithAction(ctx context.Context, action string) context.Context {
	return context.WithValue(ctx, actionCtxKey, action)
}

// actorOr is the acting user from ctx, else fallback (the record's
// created_by or updated_by, which the service sets too).
func actorOr(ctx context.Context, fallback int64) int64 {
	if id, ok := ctx.Value(actorCtxKey).(int64); ok {
		return id
	}
	return fallback
}

// actionOr is the action from ctx, else def.
func actionOr(ctx context.Context, def string) string {
	if a, ok := ctx.Value(actionCtxKey).(string); ok && a != "" {
		return a
	}
	return def
}

// --- appending ---

// AppendAudit appends an event outside any other write, for actions that
// change no record (a login, a download).
func (s *Store) AppendAudit(ctx context.Context, ev AuditEvent) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error { return c.appendAudit(ctx, s.stamp().UnixMilli(), ev) })
}

// appendAudit appends an event inside the caller's transaction, so the
// change and its audit entry commit or fail together. On PostgreSQL it
// locks the chain head until the transaction ends, so it must come after
// every other row lock the transaction takes (make it the last statement,
// or follow it only with inserts of new rows): otherwise two writers could
// wait for each other.
func (c conn) appendAudit(ctx context.Context, atMillis int64, ev AuditEvent) error {
	if c.au == nil {
		return errNoAuditKey
	}
	if auditSkipped() {
		return nil
	}
	_, err := c.appendEntry(ctx, atMillis, ev, 0, c.au.digestOf(ev.Detail))
	return err
}

// appendEntry appends one entry with a digest already computed and returns
// its seq.
func (c conn) appendEntry(ctx context.Context, atMillis int64, ev AuditEvent, version int, digest string) (int64, error) {
	if c.au == nil {
		return 0, errNoAuditKey
	}
	if auditSkipped() {
		return 0, nil
	}
	lock := ""
	if c.d.name() == "postgres" {
		lock = " FOR UPDATE"
	}
	var (
		seq  int64
		prev string
	)
	if err := c.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).Scan(&seq, &prev); err != nil {
		return 0, err
	}
	e := AuditEntry{Seq: seq + 1, At: fromMillis(atMillis), ActorID: ev.ActorID, Action: ev.Action, Entity: ev.Entity,
		EntityID: ev.EntityID, Version: version, Digest: digest, PrevHash: prev}
	e.Hash = c.au.entryMAC(prev, &e)
	if _, err := c.exec(ctx, `INSERT INTO audit_log (seq, at, actor_id, action, entity, entity_id, version, digest, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, atMillis, e.ActorID, e.Action, e.Entity, e.EntityID, e.Version, e.Digest, e.PrevHash, e.Hash); err != nil {
		return 0, err
	}
	if _, err := c.exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, e.Seq, e.Hash); err != nil {
		return 0, err
	}
	if e.Seq%c.au.every == 0 {
		if err := c.insertCheckpoint(ctx, e.Seq, e.Hash, e.At); err != nil {
			return 0, err
		}
	}
	return e.Seq, nil
}

func (c conn) insertCheckpoint(ctx context.Context, seq int64, hash string, at time.Time) error {
	sig := ed25519.Sign(c.au.sign, CheckpointMessage(seq, hash, at))
	_, err := c.exec(ctx, `INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?, ?, ?, ?)`,
		seq, hash, millis(at), hex.EncodeToString(sig))
	return err
}

// batchDigest hashes the rows of a bulk insert as they are written, in the
// store's own row encoding, which is cheaper than encoding each record
// again as JSON: a bulk load gets one audit entry per batch.
type batchDigest struct{ h hash.Hash }

func (a *auditor) newBatchDigest() *batchDigest {
	d := &batchDigest{h: hmac.New(sha256.New, a.digestKey)}
	d.h.Write([]byte("vigil bulk v1"))
	return d
}

// row adds one row's id and column values.
func (d *batchDigest) row(id int64, args []any) {
	writeInt(d.h, id)
	writeInt(d.h, int64(len(args)))
	for _, a := range args {
		switch v := a.(type) {
		case nil:
			d.h.Write([]byte{0})
		case int64:
			d.h.Write([]byte{1})
			writeInt(d.h, v)
		case int:
			d.h.Write([]byte{1})
			writeInt(d.h, int64(v))
		case bool:
			if v {
				d.h.Write([]byte{2, 1})
			} else {
				d.h.Write([]byte{2, 0})
			}
		case float64:
			d.h.Write([]byte{3})
			writeInt(d.h, int64(math.Float64bits(v)))
		case string:
			d.h.Write([]byte{4})
			writeField(d.h, v)
		default:
			d.h.Write([]byte{5})
			writeField(d.h, fmt.Sprint(v))
		}
	}
}

func (d *batchDigest) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }

// --- reading ---

// AuditPublicKey is the Ed25519 key that checks this instance's checkpoints
// (nil when the store has no instance key).
func (s *Store) AuditPublicKey() ed25519.PublicKey {
	if s.au == nil {
		return nil
	}
	return s.au.pub
}

// AuditHead returns the seq and hash of the latest entry (0 and "" when the
// log is empty).
func (s *Store) AuditHead(ctx context.Context) (seq int64, hash string, err error) {
	defer s.fail(&err)
	err = s.reader().queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	return seq, hash, err
}

const auditColumns = `seq, at, actor_id, action, entity, entity_id, version, digest, prev_hash, hash`

func scanAuditEntry(r rowScanner) (AuditEntry, error) {
	var (
		e  AuditEntry
		at int64
	)
	err := r.Scan(&e.Seq, &at, &e.ActorID, &e.Action, &e.Entity, &e.EntityID, &e.Version, &e.Digest, &e.PrevHash, &e.Hash)
	e.At = fromMillis(at)
	return e, err
}

// RecentAudit returns the latest entries, newest first.
func (s *Store) RecentAudit(ctx context.Context, limit int) (_ []AuditEntry, err error) {
	defer s.fail(&err)
	if limit <= 0 || limit > domain.MaxPageSize {
		limit = domain.DefaultPageSize
	}
	rows, err := s.reader().query(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq DESC LIMIT ?`, limit)
	return collect(rows, err, scanAuditEntry)
}

func scanCheckpoint(r rowScanner) (Checkpoint, error) {
	var (
		cp Checkpoint
		at int64
	)
	err := r.Scan(&cp.Seq, &cp.Hash, &at, &cp.Signature)
	cp.At = fromMillis(at)
	return cp, err
}

// LatestCheckpoint returns the newest checkpoint; ok is false when there is
// none yet.
func (s *Store) LatestCheckpoint(ctx context.Context) (_ Checkpoint, ok bool, err error) {
	defer s.fail(&err)
	cp, err := scanCheckpoint(s.reader().queryRow(ctx, `SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, false, nil
	}
	return cp, err == nil, err
}

// Checkpoint signs the chain's current head now (or returns the checkpoint
// that already covers it). It fails on an empty log: there is nothing to
// vouch for.
func (s *Store) Checkpoint(ctx context.Context) (_ Checkpoint, err error) {
	defer s.fail(&err)
	if s.au == nil {
		return Checkpoint{}, errNoAuditKey
	}
	var cp Checkpoint
	err = s.withTx(ctx, func(c conn) error {
		lock := ""
		if c.d.name() == "postgres" {
			lock = " FOR UPDATE"
		}
		if err := c.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).Scan(&cp.Seq, &cp.Hash); err != nil {
			return err
		}
		if cp.Seq == 0 {
			return domain.Errorf(domain.EInvalid, "the audit log is empty: there is nothing to sign yet")
		}
		old, err := scanCheckpoint(c.queryRow(ctx, `SELECT seq, hash, at, signature FROM audit_checkpoints WHERE seq = ?`, cp.Seq))
		if err == nil {
			cp = old
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		cp.At = s.stamp()
		if err := c.insertCheckpoint(ctx, cp.Seq, cp.Hash, cp.At); err != nil {
			return err
		}
		return c.queryRow(ctx, `SELECT signature FROM audit_checkpoints WHERE seq = ?`, cp.Seq).Scan(&cp.Signature)
	})
	return cp, err
}

// --- verification ---

// Kinds of AuditProblem.
const (
	AuditAltered    = "altered"    // an entry's content or hash was changed
	AuditMissing    = "missing"    // entries were removed
	AuditReordered  = "reordered"  // an intact entry is not where it was written
	AuditCheckpoint = "checkpoint" // a checkpoint's signature is bad, or it disagrees with the chain
	AuditVersion    = "version"    // a record version disagrees with the entry that sealed it
)

// AuditProblem is one place where the chain is not as written.
type AuditProblem struct {
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Entries          int64          `json:"entries"`
	LastSeq          int64          `json:"last_seq"`
	LastHash         string         `json:"last_hash"`
	Checkpoints      int            `json:"checkpoints"`
	LatestCheckpoint *Checkpoint    `json:"latest_checkpoint,omitempty"`
	Versions         int64          `json:"versions"`
	Problems         []AuditProblem `json:"problems"` // in chain order; the first is where the chain first breaks
	// Omitted counts the problems beyond maxAuditProblems.
	Omitted int `json:"omitted,omitempty"`
}

// OK reports an intact chain.
func (r AuditReport) OK() bool { return len(r.Problems) == 0 }

// maxAuditProblems bounds the report: after a wholesale rewrite every
// entry is wrong, and the first few say all there is to say.
const maxAuditProblems = 50

type problems struct {
	list    []AuditProblem
	omitted int
}

func (p *problems) add(seq int64, kind, format string, args ...any) {
	if len(p.list) >= maxAuditProblems {
		p.omitted++
		return
	}
	p.list = append(p.list, AuditProblem{Seq: seq, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// VerifyAudit recomputes the whole chain from the first entry: every MAC,
// every link to the predecessor, the seq numbering, the head, every
// checkpoint signature, and that every record version matches the entry
// that sealed it. It reads one consistent snapshot, so it can run while the
// server writes.
func (s *Store) VerifyAudit(ctx context.Context) (_ AuditReport, err error) {
	defer s.fail(&err)
	if s.au == nil {
		return AuditReport{}, domain.Errorf(domain.EInvalid, "the instance key is needed to verify the audit log")
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.name() == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.r.BeginTx(ctx, opts)
	if err != nil {
		return AuditReport{}, err
	}
	defer tx.Rollback()
	c := conn{q: tx, d: s.d, au: s.au}
	var (
		rep AuditReport
		ps  problems
	)

	// Checkpoints first: they are few, and each is compared with its entry
	// as the chain goes by.
	rows, err := c.query(ctx, `SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq`)
	cps, err := collect(rows, err, scanCheckpoint)
	if err != nil {
		return rep, err
	}
	cpAt := make(map[int64]Checkpoint, len(cps))
	for i, cp := range cps {
		cpAt[cp.Seq] = cp
		sig, derr := hex.DecodeString(cp.Signature)
		if derr != nil || !ed25519.Verify(s.au.pub, CheckpointMessage(cp.Seq, cp.Hash, cp.At), sig) {
			ps.add(cp.Seq, AuditCheckpoint, "the checkpoint at entry %d has a bad signature (forged or altered)", cp.Seq)
		}
		if i == len(cps)-1 {
			rep.LatestCheckpoint = &cps[i]
		}
	}
	rep.Checkpoints = len(cps)

	var headSeq int64
	var headHash string
	if err := c.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return rep, err
	}

	// The chain. A broken link is classified after the scan, because
	// PostgreSQL cannot run a second query while rows are being read.
	type brokenLink struct {
		seq  int64
		prev string
	}
	var (
		links   []brokenLink
		expect  = int64(1)
		prev    string
		prevBad bool // the predecessor's MAC failed: its stored hash proves nothing
		badMACs int64
	)
	rows, err = c.query(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return rep, err
	}
	for rows.Next() {
		e, err := scanAuditEntry(rows)
		if err != nil {
			rows.Close()
			return rep, err
		}
		rep.Entries++
		gap := e.Seq != expect
		if gap {
			if e.Seq-1 == expect {
				ps.add(expect, AuditMissing, "entry %d is missing (deleted)", expect)
			} else {
				ps.add(expect, AuditMissing, "entries %d to %d are missing (deleted)", expect, e.Seq-1)
			}
		}
		bad := !hmac.Equal([]byte(s.au.entryMAC(e.PrevHash, &e)), []byte(e.Hash))
		switch {
		case bad:
			badMACs++
			ps.add(e.Seq, AuditAltered, "entry %d was altered: its content does not match its MAC", e.Seq)
		case e.PrevHash != prev && !gap && !prevBad:
			links = append(links, brokenLink{e.Seq, e.PrevHash})
		}
		prevBad = bad
		if cp, ok := cpAt[e.Seq]; ok && cp.Hash != e.Hash {
			ps.add(e.Seq, AuditCheckpoint, "entry %d does not match the checkpoint signed for it", e.Seq)
		}
		prev, expect = e.Hash, e.Seq+1
		rep.LastSeq, rep.LastHash = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	rows.Close()
	for _, l := range links {
		var at int64
		err := c.queryRow(ctx, `SELECT seq FROM audit_log WHERE hash = ? ORDER BY seq LIMIT 1`, l.prev).Scan(&at)
		switch {
		case err == nil:
			ps.add(l.seq, AuditReordered, "entry %d is out of order: it was written after entry %d", l.seq, at)
		case errors.Is(err, sql.ErrNoRows) && l.prev == "":
			ps.add(l.seq, AuditReordered, "entry %d is out of order: it was the first entry of the log", l.seq)
		case errors.Is(err, sql.ErrNoRows):
			ps.add(l.seq, AuditMissing, "the entry written just before entry %d is missing (deleted, and the rest renumbered)", l.seq)
		default:
			return rep, err
		}
	}
	switch {
	case headSeq == rep.LastSeq+1:
		ps.add(headSeq, AuditMissing, "entry %d is missing from the end of the log", headSeq)
	case headSeq > rep.LastSeq:
		ps.add(rep.LastSeq+1, AuditMissing, "entries %d to %d are missing from the end of the log", rep.LastSeq+1, headSeq)
	case headSeq < rep.LastSeq || headHash != rep.LastHash:
		ps.add(rep.LastSeq, AuditAltered, "the chain head (entry %d) does not match the last entry %d", headSeq, rep.LastSeq)
	}
	for _, cp := range cps {
		if cp.Seq > rep.LastSeq {
			ps.add(cp.Seq, AuditMissing, "entry %d, covered by a signed checkpoint, is missing from the end of the log", cp.Seq)
		}
	}
	if badMACs > 1 && badMACs == rep.Entries {
		ps.add(0, AuditAltered, "no entry matches its MAC: is this the instance's own key?")
	}

	// Record versions: each snapshot must match the digest its entry
	// sealed, and each entry that sealed a version must still have it.
	rows, err = c.query(ctx, `SELECT v.entity, v.entity_id, v.version, v.audit_seq, v.snapshot,
		a.entity, a.entity_id, a.version, a.digest
		FROM record_versions v LEFT JOIN audit_log a ON a.seq = v.audit_seq ORDER BY v.audit_seq`)
	if err != nil {
		return rep, err
	}
	for rows.Next() {
		var (
			entity, snap     string
			id, seq          int64
			version          int
			aEntity, aDigest sql.NullString
			aID              sql.NullInt64
			aVersion         sql.NullInt64
		)
		if err := rows.Scan(&entity, &id, &version, &seq, &snap, &aEntity, &aID, &aVersion, &aDigest); err != nil {
			rows.Close()
			return rep, err
		}
		rep.Versions++
		switch {
		case !aEntity.Valid:
			ps.add(seq, AuditVersion, "version %d of %s %d refers to entry %d, which is missing", version, entity, id, seq)
		case aEntity.String != entity || aID.Int64 != id || int(aVersion.Int64) != version:
			ps.add(seq, AuditVersion, "version %d of %s %d was moved: entry %d sealed version %d of %s %d",
				version, entity, id, seq, aVersion.Int64, aEntity.String, aID.Int64)
		case !hmac.Equal([]byte(s.au.digestBytes([]byte(snap))), []byte(aDigest.String)):
			ps.add(seq, AuditVersion, "version %d of %s %d was altered: it does not match the digest in entry %d", version, entity, id, seq)
		}
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	rows.Close()
	rows, err = c.query(ctx, `SELECT a.seq, a.entity, a.entity_id, a.version FROM audit_log a
		WHERE a.version > 0 AND NOT EXISTS (SELECT 1 FROM record_versions v
			WHERE v.entity = a.entity AND v.entity_id = a.entity_id AND v.version = a.version AND v.audit_seq = a.seq)
		ORDER BY a.seq`)
	lost, err := collect(rows, err, scanLostVersion)
	if err != nil {
		return rep, err
	}
	for _, l := range lost {
		ps.add(l.seq, AuditVersion, "version %d of %s %d, sealed by entry %d, is missing from the history", l.version, l.entity, l.id, l.seq)
	}

	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Seq < ps.list[j].Seq })
	rep.Problems, rep.Omitted = ps.list, ps.omitted
	return rep, nil
}

type lostVersion struct {
	seq, id int64
	entity  string
	version int
}

func scanLostVersion(r rowScanner) (lostVersion, error) {
	var l lostVersion
	err := r.Scan(&l.seq, &l.entity, &l.id, &l.version)
	return l, err
}

// --- a new instance key ---

// ResealAudit moves the audit log to the keys of a new instance key, for
// `vigil key rotate`: the MAC and checkpoint keys are derived from the
// instance key, so without a reseal the rotated instance could not verify
// its own history. It first verifies the whole chain with the current keys
// and refuses a broken one (a reseal must never launder tampering), then,
// in one transaction, recomputes every entry's hash with the new MAC key,
// the digest of every entry that seals a record version from the stored
// snapshot, re-signs every checkpoint, and appends an "audit_resealed"
// entry naming the old and the new checkpoint keys. Digests of entries that
// seal no version cannot be recomputed (their details were never stored)
// and stay as they were: opaque either way. Run it on a store no one else
// is using, as key rotation does.
func (s *Store) ResealAudit(ctx context.Context, newKey []byte) (err error) {
	defer s.fail(&err)
	next := newAuditor(newKey)
	if next == nil {
		return domain.Errorf(domain.EInvalid, "no new key to reseal the audit log with")
	}
	if s.au == nil {
		return errNoAuditKey
	}
	rep, err := s.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return domain.Errorf(domain.EConflict, "the audit log does not verify (%s); it is not resealed, so the damage stays visible", rep.Problems[0].Message)
	}
	old := s.au
	err = s.withTx(ctx, func(c conn) error {
		lock := ""
		if c.d.name() == "postgres" {
			lock = " FOR UPDATE"
		}
		var head int64
		var headHash string
		if err := c.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).Scan(&head, &headHash); err != nil {
			return err
		}
		prev, after := "", int64(0)
		for {
			rows, err := c.query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1000`, after)
			batch, err := collect(rows, err, scanAuditEntry)
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				break
			}
			for _, e := range batch {
				if e.Version > 0 {
					var snap string
					if err := c.queryRow(ctx, `SELECT snapshot FROM record_versions WHERE entity = ? AND entity_id = ? AND version = ?`,
						e.Entity, e.EntityID, e.Version).Scan(&snap); err != nil {
						return err
					}
					e.Digest = next.digestBytes([]byte(snap))
				}
				e.PrevHash = prev
				e.Hash = next.entryMAC(prev, &e)
				if _, err := c.exec(ctx, `UPDATE audit_log SET digest = ?, prev_hash = ?, hash = ? WHERE seq = ?`,
					e.Digest, e.PrevHash, e.Hash, e.Seq); err != nil {
					return err
				}
				prev, after = e.Hash, e.Seq
			}
		}
		if _, err := c.exec(ctx, `UPDATE audit_head SET hash = ? WHERE id = 1`, prev); err != nil {
			return err
		}
		rows, err := c.query(ctx, `SELECT c.seq, a.hash, c.at, c.signature FROM audit_checkpoints c JOIN audit_log a ON a.seq = c.seq ORDER BY c.seq`)
		cps, err := collect(rows, err, scanCheckpoint)
		if err != nil {
			return err
		}
		for _, cp := range cps {
			sig := ed25519.Sign(next.sign, CheckpointMessage(cp.Seq, cp.Hash, cp.At))
			if _, err := c.exec(ctx, `UPDATE audit_checkpoints SET hash = ?, signature = ? WHERE seq = ?`,
				cp.Hash, hex.EncodeToString(sig), cp.Seq); err != nil {
				return err
			}
		}
		c.au = next
		return c.appendAudit(ctx, millis(s.stamp()), AuditEvent{Action: "audit_resealed", Entity: "audit",
			Detail: map[string]string{"old_key": hex.EncodeToString(old.pub), "new_key": hex.EncodeToString(next.pub)}})
	})
	if err != nil {
		return err
	}
	s.au = next
	return nil
}
