package service

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// audit records an action that changes no stored record (a login, an
// export, a download). Record writes are audited by the store inside their
// own transaction.
func (s *Service) audit(ctx context.Context, a domain.Actor, action, entity string, id int64, detail any) error {
	return s.Store.AppendAudit(ctx, store.AuditEvent{ActorID: a.UserID, Action: action, Entity: entity, EntityID: id, Detail: detail})
}

// actx tells the store who is acting, for the audit entries and versions it
// writes with a change.
func actx(ctx context.Context, a domain.Actor) context.Context { return store.WithActor(ctx, a.UserID) }

// --- record history ---

// VersionSummary is one version in a record's history.
type VersionSummary struct {
	Version int       `json:"version"`
	At      time.Time `json:"at"`
	ActorID int64     `json:"actor_id"`
	Actor   string    `json:"actor"` // display name or username; "" for the system
	Action  string    `json:"action"`
	// Changed names the fields that differ from the previous saved version,
	// among those the reader may see; nil for the first one.
	Changed []string `json:"changed"`
	// First marks the oldest saved version: a creation, or the state the
	// record had when history began to be kept (Action "baseline").
	First bool `json:"first"`
}

// History is a record's saved versions, newest first.
type History struct {
	Entity   string           `json:"entity"`
	ID       int64            `json:"id"`
	Current  int              `json:"current_version"`
	Versions []VersionSummary `json:"versions"`
}

// FieldDiff is one field of a version beside the same field of the version
// it is compared with.
type FieldDiff struct {
	Field   string `json:"field"`
	Old     string `json:"old"`
	New     string `json:"new"`
	Changed bool   `json:"changed"`
}

// VersionDiff is one version of a record, field by field, compared with an
// earlier one (Against 0: nothing to compare with).
type VersionDiff struct {
	Entity  string         `json:"entity"`
	ID      int64          `json:"id"`
	Current int            `json:"current_version"`
	Version VersionSummary `json:"version"`
	Against int            `json:"against"`
	Fields  []FieldDiff    `json:"fields"`
	// Versions lists every saved version number, for choosing what to
	// compare with.
	Versions []int `json:"versions"`
}

// historyKind is what history needs to know about one kind of record.
type historyKind interface {
	perms() (read, write domain.Permission)
	// current returns the record as the service shows it to the actor
	// (need-to-know and redaction applied; not found if they may not see
	// it), the same record unredacted, and its version.
	current(ctx context.Context, s *Service, a domain.Actor, id int64) (shown, raw any, version int, err error)
	// redact decodes a snapshot and removes what the actor may not see.
	redact(s *Service, a domain.Actor, snapshot []byte) (any, error)
	// withheld names the fields (a path, or "path.*" for an object) not
	// even to be listed for the actor.
	withheld(a domain.Actor) []string
	// restore saves a snapshot as the record's next version, through the
	// service's own update, so its rules apply as to any edit.
	restore(ctx context.Context, s *Service, a domain.Actor, id int64, version int, snapshot []byte) error
}

// kindOf is a historyKind for records of type T.
type kindOf[T any] struct {
	read, write domain.Permission
	get         func(s *Service, ctx context.Context, a domain.Actor, id int64) (T, error)
	raw         func(st *store.Store, ctx context.Context, id int64) (T, error)
	meta        func(*T) *domain.Meta
	// hide removes what the actor may not see beyond what get removes from
	// the current record: applied to old versions it also catches fields
	// that are empty now but were filled then.
	hide func(a domain.Actor, t *T)
	// fields lists fields hide empties whose very presence is not for the
	// actor (an identity the actor has no access to).
	fields func(a domain.Actor) []string
	save   func(s *Service, ctx context.Context, a domain.Actor, t *T) error
}

func (k kindOf[T]) withheld(a domain.Actor) []string {
	if k.fields == nil {
		return nil
	}
	return k.fields(a)
}

func (k kindOf[T]) perms() (domain.Permission, domain.Permission) { return k.read, k.write }

func (k kindOf[T]) current(ctx context.Context, s *Service, a domain.Actor, id int64) (any, any, int, error) {
	shown, err := k.get(s, ctx, a, id)
	if err != nil {
		return nil, nil, 0, err
	}
	raw, err := k.raw(s.Store, ctx, id)
	if err != nil {
		return nil, nil, 0, err
	}
	return shown, raw, k.meta(&raw).Version, nil
}

func (k kindOf[T]) redact(_ *Service, a domain.Actor, snapshot []byte) (any, error) {
	var t T
	if err := json.Unmarshal(snapshot, &t); err != nil {
		return nil, err
	}
	if k.hide != nil {
		k.hide(a, &t)
	}
	return t, nil
}

func (k kindOf[T]) restore(ctx context.Context, s *Service, a domain.Actor, id int64, version int, snapshot []byte) error {
	var t T
	if err := json.Unmarshal(snapshot, &t); err != nil {
		return err
	}
	m := k.meta(&t)
	m.ID, m.Version = id, version
	return k.save(s, ctx, a, &t)
}

// seesNarratives: analysts read de-identified records and aggregates, never
// narratives. Whoever may read testimonies or works on cases sees them.
func seesNarratives(a domain.Actor) bool {
	return a.Can(domain.PermTestimonyRead) || a.Can(domain.PermCaseWrite)
}

var historyKinds = map[string]historyKind{
	store.EntityTestimony: kindOf[domain.Testimony]{
		read: domain.PermTestimonyRead, write: domain.PermTestimonyWrite,
		get: (*Service).GetTestimony, raw: (*store.Store).GetTestimony, save: (*Service).UpdateTestimony,
		meta: func(t *domain.Testimony) *domain.Meta { return &t.Meta },
	},
	store.EntityIncident: kindOf[domain.Incident]{
		read: domain.PermIncidentRead, write: domain.PermIncidentWrite,
		get: (*Service).GetIncident, raw: (*store.Store).GetIncident, save: (*Service).UpdateIncident,
		meta: func(in *domain.Incident) *domain.Meta { return &in.Meta },
		hide: func(a domain.Actor, in *domain.Incident) {
			// The internal summary retells what witnesses said.
			if !seesNarratives(a) {
				in.Summary = ""
			}
		},
		fields: func(a domain.Actor) []string {
			if !seesNarratives(a) {
				return []string{"summary"}
			}
			return nil
		},
	},
	store.EntityCrossingPoint: kindOf[domain.CrossingPoint]{
		read: domain.PermReferenceRead, write: domain.PermReferenceWrite,
		get: (*Service).GetCrossingPoint, raw: (*store.Store).GetCrossingPoint, save: (*Service).SaveCrossingPoint,
		meta: func(c *domain.CrossingPoint) *domain.Meta { return &c.Meta },
	},
	store.EntityPolicyEvent: kindOf[domain.PolicyEvent]{
		read: domain.PermReferenceRead, write: domain.PermReferenceWrite,
		get: (*Service).GetPolicyEvent, raw: (*store.Store).GetPolicyEvent, save: (*Service).SavePolicyEvent,
		meta: func(e *domain.PolicyEvent) *domain.Meta { return &e.Meta },
	},
	store.EntityFigure: kindOf[domain.Figure]{
		read: domain.PermReferenceRead, write: domain.PermReferenceWrite,
		get: (*Service).GetFigure, raw: (*store.Store).GetFigure, save: (*Service).SaveFigure,
		meta: func(f *domain.Figure) *domain.Meta { return &f.Meta },
	},
	store.EntityCase: kindOf[domain.AsylumCase]{
		read: domain.PermCaseRead, write: domain.PermCaseWrite,
		get: (*Service).GetCase, raw: (*store.Store).GetCase, save: (*Service).SaveCase,
		meta: func(c *domain.AsylumCase) *domain.Meta { return &c.Meta },
		hide: func(a domain.Actor, c *domain.AsylumCase) {
			redact(a, c)
			if !seesNarratives(a) {
				c.Notes = ""
				for i := range c.Events {
					c.Events[i].Note = ""
				}
			}
		},
		fields: func(a domain.Actor) []string {
			var out []string
			if !a.Can(domain.PermIdentityRead) {
				out = append(out, "person.identity.*")
			}
			if !seesNarratives(a) {
				out = append(out, "notes")
			}
			return out
		},
	},
	store.EntityUser: kindOf[domain.User]{
		read: domain.PermUserAdmin, write: domain.PermUserAdmin,
		get: userForHistory, raw: (*store.Store).GetUser, save: (*Service).UpdateUser,
		meta: func(u *domain.User) *domain.Meta { return &u.Meta },
		hide: func(_ domain.Actor, u *domain.User) { u.PasswordHash, u.LastLoginAt = "", nil },
	},
}

// userForHistory is GetUser for user administrators only: GetUser also lets
// anyone read their own account, but not the history of its role.
func userForHistory(s *Service, ctx context.Context, a domain.Actor, id int64) (domain.User, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return domain.User{}, err
	}
	return s.GetUser(ctx, a, id)
}

// historyOf checks that the actor may read the record's history: the kind's
// read permission and the record itself as the service would show it. It
// returns the fields to withhold from every version: whatever the service
// withholds from the current record.
func (s *Service) historyOf(ctx context.Context, a domain.Actor, entity string, id int64) (historyKind, map[string]bool, int, error) {
	k, ok := historyKinds[entity]
	if !ok {
		return nil, nil, 0, domain.NotFound("record")
	}
	read, _ := k.perms()
	if err := require(a, read); err != nil {
		return nil, nil, 0, err
	}
	shown, raw, version, err := k.current(ctx, s, a, id)
	if err != nil {
		return nil, nil, 0, err
	}
	hidden, err := withheld(shown, raw)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, f := range k.withheld(a) {
		hidden[f] = true
	}
	return k, hidden, version, nil
}

// withheld lists the fields that differ between the record as shown and as
// stored: the service removed them. A field inside an object withholds the
// whole object (an identity, say), so that old versions hide its siblings
// too, whatever they held then.
func withheld(shown, raw any) (map[string]bool, error) {
	fs, err := fieldsOf(shown)
	if err != nil {
		return nil, err
	}
	fr, err := fieldsOf(raw)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]string, len(fs))
	for _, f := range fs {
		seen[f.path] = f.value
	}
	hidden := map[string]bool{}
	for _, f := range fr {
		if v, ok := seen[f.path]; !ok || v != f.value {
			hidden[f.path] = true
			if i := strings.LastIndexByte(f.path, '.'); i > 0 {
				hidden[f.path[:i]+".*"] = true
			}
		}
	}
	return hidden, nil
}

func isHidden(hidden map[string]bool, path string) bool {
	if hidden[path] {
		return true
	}
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '.' && hidden[path[:i]+".*"] {
			return true
		}
	}
	return false
}

// versionFields decodes, redacts and flattens one snapshot.
func versionFields(s *Service, a domain.Actor, k historyKind, hidden map[string]bool, snapshot []byte) ([]field, error) {
	rec, err := k.redact(s, a, snapshot)
	if err != nil {
		return nil, err
	}
	fs, err := fieldsOf(rec)
	if err != nil {
		return nil, err
	}
	out := fs[:0]
	for _, f := range fs {
		if !isHidden(hidden, f.path) && !metaField(f.path) {
			out = append(out, f)
		}
	}
	return out, nil
}

// metaField reports bookkeeping every save changes (ids, versions,
// timestamps), which a diff would only clutter; who and when are shown for
// the version itself.
func metaField(path string) bool {
	last := path[strings.LastIndexByte(path, '.')+1:]
	switch last {
	case "id", "version", "created_at", "updated_at", "created_by", "updated_by", "last_login_at":
		return true
	}
	return false
}

// History lists the saved versions of a record the actor may read, newest
// first, each with the fields it changed.
func (s *Service) History(ctx context.Context, a domain.Actor, entity string, id int64) (History, error) {
	k, hidden, current, err := s.historyOf(ctx, a, entity, id)
	if err != nil {
		return History{}, err
	}
	vs, err := s.Store.ListVersions(ctx, entity, id)
	if err != nil {
		return History{}, err
	}
	h := History{Entity: entity, ID: id, Current: current}
	names := s.actorNames(ctx)
	var prev []field
	for i, v := range vs {
		fs, err := versionFields(s, a, k, hidden, v.Snapshot)
		if err != nil {
			return History{}, err
		}
		sum := VersionSummary{Version: v.Version, At: v.At, ActorID: v.ActorID, Actor: names(v.ActorID), Action: v.Action, First: i == 0}
		if i > 0 {
			for _, d := range diffFields(prev, fs) {
				if d.Changed {
					sum.Changed = append(sum.Changed, d.Field)
				}
			}
		}
		h.Versions = append(h.Versions, sum)
		prev = fs
	}
	slices.Reverse(h.Versions)
	return h, nil
}

// Version returns one saved version field by field beside an earlier one:
// against, or when against is 0 the saved version before it.
func (s *Service) Version(ctx context.Context, a domain.Actor, entity string, id int64, version, against int) (VersionDiff, error) {
	k, hidden, current, err := s.historyOf(ctx, a, entity, id)
	if err != nil {
		return VersionDiff{}, err
	}
	vs, err := s.Store.ListVersions(ctx, entity, id)
	if err != nil {
		return VersionDiff{}, err
	}
	at := slices.IndexFunc(vs, func(v store.RecordVersion) bool { return v.Version == version })
	if at < 0 {
		return VersionDiff{}, domain.NotFound("version")
	}
	base := -1
	switch {
	case against == 0 && at > 0:
		base = at - 1
	case against != 0:
		base = slices.IndexFunc(vs, func(v store.RecordVersion) bool { return v.Version == against })
		if base < 0 {
			return VersionDiff{}, domain.Errorf(domain.EInvalid, "there is no version %d to compare with", against)
		}
	}
	v := vs[at]
	names := s.actorNames(ctx)
	d := VersionDiff{Entity: entity, ID: id, Current: current,
		Version: VersionSummary{Version: v.Version, At: v.At, ActorID: v.ActorID, Actor: names(v.ActorID), Action: v.Action, First: at == 0}}
	for _, x := range vs {
		d.Versions = append(d.Versions, x.Version)
	}
	fs, err := versionFields(s, a, k, hidden, v.Snapshot)
	if err != nil {
		return VersionDiff{}, err
	}
	var old []field
	if base >= 0 {
		d.Against = vs[base].Version
		if old, err = versionFields(s, a, k, hidden, vs[base].Snapshot); err != nil {
			return VersionDiff{}, err
		}
	}
	d.Fields = diffFields(old, fs)
	if base < 0 {
		for i := range d.Fields {
			d.Fields[i].Changed = false
		}
	}
	return d, nil
}

// RestoreVersion saves an earlier version's content as the record's next
// version, audited as "restore". It goes through the service's own update,
// so everything an edit may not change (verification without the right to
// verify, identity fields without identity access, who recorded a
// testimony) stays as it is. expect, when not 0, is the current version
// the actor saw: a record changed since is a conflict, not overwritten.
func (s *Service) RestoreVersion(ctx context.Context, a domain.Actor, entity string, id int64, version, expect int) (int, error) {
	k, _, current, err := s.historyOf(ctx, a, entity, id)
	if err != nil {
		return 0, err
	}
	if _, write := k.perms(); !a.Can(write) {
		return 0, domain.Errorf(domain.EForbidden, "you do not have permission to do this")
	}
	if expect != 0 && expect != current {
		return 0, domain.Conflict(strings.ReplaceAll(entity, "_", " "))
	}
	v, err := s.Store.GetVersion(ctx, entity, id, version)
	if err != nil {
		return 0, err
	}
	ctx = store.WithAction(actx(ctx, a), store.ActionRestore)
	if err := k.restore(ctx, s, a, id, current, v.Snapshot); err != nil {
		return 0, err
	}
	return current + 1, nil
}

// actorNames names users for a history, each looked up once. The system
// (0) and deleted accounts have no name.
func (s *Service) actorNames(ctx context.Context) func(int64) string {
	cache := map[int64]string{0: ""}
	return func(id int64) string {
		if n, ok := cache[id]; ok {
			return n
		}
		n := fmt.Sprintf("#%d", id)
		if u, err := s.Store.GetUser(ctx, id); err == nil {
			n = u.Username
			if u.DisplayName != "" {
				n = u.DisplayName
			}
		}
		cache[id] = n
		return n
	}
}

// --- flattening and diffs ---

// field is one leaf of a record as JSON: a dotted path and its value as
// shown. Lists are one field each, one element per line.
type field struct{ path, value string }

// fieldsOf flattens a record in the order of its JSON encoding, which is
// the order of the struct's fields.
func fieldsOf(rec any) ([]field, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []field
	if err := flatten(dec, "", &out); err != nil {
		return nil, err
	}
	return out, nil
}

func flatten(dec *json.Decoder, path string, out *[]field) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				p := k.(string)
				if path != "" {
					p = path + "." + p
				}
				if err := flatten(dec, p, out); err != nil {
					return err
				}
			}
			_, err := dec.Token() // }
			return err
		case '[':
			var lines []string
			for dec.More() {
				var sub []field
				if err := flatten(dec, "", &sub); err != nil {
					return err
				}
				lines = append(lines, itemText(sub))
			}
			*out = append(*out, field{path, strings.Join(lines, "\n")})
			_, err := dec.Token() // ]
			return err
		}
	default:
		*out = append(*out, field{path, scalarText(t)})
	}
	return nil
}

// itemText shows one list element: a value, or an object's fields without
// its id (ids of replaced elements change on every save).
func itemText(sub []field) string {
	if len(sub) == 1 && sub[0].path == "" {
		return sub[0].value
	}
	var parts []string
	for _, f := range sub {
		if f.path == "id" || f.value == "" {
			continue
		}
		parts = append(parts, f.path+": "+f.value)
	}
	return strings.Join(parts, ", ")
}

func scalarText(t json.Token) string {
	switch v := t.(type) {
	case nil:
		return ""
	case bool:
		if v {
			return "✓"
		}
		return "✗"
	case json.Number:
		return v.String()
	case string:
		// Timestamps (verification set at, …) read as the pages show them.
		if len(v) >= 20 && v[10] == 'T' {
			if at, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return at.UTC().Format("2006-01-02 15:04:05 UTC")
			}
		}
		return v
	}
	return fmt.Sprint(t)
}

// diffFields pairs the fields of two versions in the newer one's order,
// followed by fields only the older one has. A field absent from one side
// counts as empty, so an omitted empty value is not a change.
func diffFields(old, cur []field) []FieldDiff {
	oldAt := make(map[string]string, len(old))
	for _, f := range old {
		oldAt[f.path] = f.value
	}
	seen := make(map[string]bool, len(cur))
	var out []FieldDiff
	for _, f := range cur {
		seen[f.path] = true
		o := oldAt[f.path]
		out = append(out, FieldDiff{Field: f.path, Old: o, New: f.value, Changed: o != f.value})
	}
	for _, f := range old {
		if !seen[f.path] {
			out = append(out, FieldDiff{Field: f.path, Old: f.value, Changed: f.value != ""})
		}
	}
	return out
}

// --- the audit log ---

// AuditStatus is what the audit page shows an administrator.
type AuditStatus struct {
	HeadSeq    int64
	HeadHash   string
	Checkpoint *store.Checkpoint
	PublicKey  string // hex Ed25519 key that checks the checkpoints
	Recent     []AuditEntryView
}

// AuditEntryView is an audit entry with its actor named.
type AuditEntryView struct {
	store.AuditEntry
	Actor string
}

// AuditStatus returns the chain head, the latest signed checkpoint and the
// latest entries.
func (s *Service) AuditStatus(ctx context.Context, a domain.Actor) (AuditStatus, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return AuditStatus{}, err
	}
	var st AuditStatus
	var err error
	if st.HeadSeq, st.HeadHash, err = s.Store.AuditHead(ctx); err != nil {
		return st, err
	}
	cp, ok, err := s.Store.LatestCheckpoint(ctx)
	if err != nil {
		return st, err
	}
	if ok {
		st.Checkpoint = &cp
	}
	st.PublicKey = hex.EncodeToString(s.Store.AuditPublicKey())
	es, err := s.Store.RecentAudit(ctx, 50)
	if err != nil {
		return st, err
	}
	names := s.actorNames(ctx)
	for _, e := range es {
		st.Recent = append(st.Recent, AuditEntryView{AuditEntry: e, Actor: names(e.ActorID)})
	}
	return st, nil
}

// SignCheckpoint signs the chain's head now.
func (s *Service) SignCheckpoint(ctx context.Context, a domain.Actor) (store.Checkpoint, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return store.Checkpoint{}, err
	}
	return s.Store.Checkpoint(ctx)
}

// VerifyAudit recomputes the whole chain.
func (s *Service) VerifyAudit(ctx context.Context, a domain.Actor) (store.AuditReport, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return store.AuditReport{}, err
	}
	return s.Store.VerifyAudit(ctx)
}
