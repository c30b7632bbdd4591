package service

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"vigil/internal/domain"
	"vigil/internal/store"
)

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lastEntry is the newest audit entry.
func lastEntry(t *testing.T, s *Service) store.AuditEntry {
	t.Helper()
	es, err := s.Store.RecentAudit(context.Background(), 1)
	mustDo(t, err)
	if len(es) == 0 {
		t.Fatal("the audit log is empty")
	}
	return es[0]
}

func TestServiceWritesAreAuditedAsTheActor(t *testing.T) {
	s, ctx := newService(t), context.Background()
	m, coord := actor(t, s, "monitor"), actor(t, s, "coordinator")
	tm := testimony(t, s, m, "A")
	if e := lastEntry(t, s); e.ActorID != m.UserID || e.Action != store.ActionCreate || e.Entity != store.EntityTestimony || e.EntityID != tm.ID {
		t.Fatalf("create entry %+v", e)
	}
	in := domain.Incident{Title: "x", Kinds: []string{"pushback"}}
	mustDo(t, s.CreateIncident(ctx, coord, &in))
	mustDo(t, s.Link(ctx, m, domain.Link{TestimonyID: tm.ID, IncidentID: in.ID, Relation: "victim"}))
	if e := lastEntry(t, s); e.ActorID != m.UserID || e.Action != store.ActionLink || e.EntityID != in.ID {
		t.Fatalf("link entry %+v", e)
	}
	in.Verification = domain.Verification{Status: "corroborated", Reason: "two victims"}
	mustDo(t, s.UpdateIncident(ctx, coord, &in))
	if e := lastEntry(t, s); e.ActorID != coord.UserID || e.Action != store.ActionVerify {
		t.Fatalf("verification entry %+v", e)
	}
	mustDo(t, s.Unlink(ctx, coord, tm.ID, in.ID))
	if e := lastEntry(t, s); e.ActorID != coord.UserID || e.Action != store.ActionUnlink {
		t.Fatalf("unlink entry %+v", e)
	}
	rep, err := s.VerifyAudit(ctx, domain.System)
	mustDo(t, err)
	if !rep.OK() {
		t.Fatalf("verify: %+v", rep.Problems)
	}
	if _, err := s.VerifyAudit(ctx, coord); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("a coordinator verifies the audit log: %v", err)
	}
}

func TestHistoryDiffAndRestore(t *testing.T) {
	s, ctx := newService(t), context.Background()
	m, other, coord := actor(t, s, "monitor"), actor(t, s, "monitor"), actor(t, s, "coordinator")
	tm := testimony(t, s, m, "A")
	tm.Narrative, tm.Reliability = "account, corrected", "high"
	mustDo(t, s.UpdateTestimony(ctx, m, &tm))

	h, err := s.History(ctx, m, store.EntityTestimony, tm.ID)
	mustDo(t, err)
	if h.Current != 2 || len(h.Versions) != 2 || h.Versions[0].Version != 2 || !h.Versions[1].First {
		t.Fatalf("history %+v", h)
	}
	if got := strings.Join(h.Versions[0].Changed, ","); got != "narrative,reliability" {
		t.Fatalf("version 2 changed %q", got)
	}
	if h.Versions[0].Actor == "" || h.Versions[0].ActorID != m.UserID {
		t.Fatalf("version 2 saved by %+v", h.Versions[0])
	}

	d, err := s.Version(ctx, m, store.EntityTestimony, tm.ID, 2, 0)
	mustDo(t, err)
	changed := map[string]FieldDiff{}
	for _, f := range d.Fields {
		if f.Changed {
			changed[f.Field] = f
		}
		if metaField(f.Field) {
			t.Errorf("the diff shows bookkeeping field %s", f.Field)
		}
	}
	if d.Against != 1 || len(changed) != 2 || changed["narrative"].Old != "account" || changed["narrative"].New != "account, corrected" {
		t.Fatalf("diff %+v", d)
	}
	// Any two versions: 1 against 2 is the same change backwards.
	back, err := s.Version(ctx, m, store.EntityTestimony, tm.ID, 1, 2)
	mustDo(t, err)
	if back.Against != 2 || len(back.Fields) == 0 {
		t.Fatalf("1 against 2: %+v", back)
	}
	if _, err := s.Version(ctx, m, store.EntityTestimony, tm.ID, 9, 0); domain.ErrorCode(err) != domain.ENotFound {
		t.Fatalf("missing version: %v", err)
	}

	// Need-to-know: a colleague cannot tell the record exists.
	if _, err := s.History(ctx, other, store.EntityTestimony, tm.ID); domain.ErrorCode(err) != domain.ENotFound {
		t.Fatalf("another monitor reads the history: %v", err)
	}
	if _, err := s.RestoreVersion(ctx, other, store.EntityTestimony, tm.ID, 1, 0); domain.ErrorCode(err) != domain.ENotFound {
		t.Fatalf("another monitor restores: %v", err)
	}
	if _, err := s.History(ctx, coord, store.EntityTestimony, tm.ID); err != nil {
		t.Fatalf("a coordinator reads the history: %v", err)
	}

	// A stale restore is refused; a current one is a new version.
	if _, err := s.RestoreVersion(ctx, m, store.EntityTestimony, tm.ID, 1, 1); domain.ErrorCode(err) != domain.EConflict {
		t.Fatalf("stale restore: %v", err)
	}
	n, err := s.RestoreVersion(ctx, m, store.EntityTestimony, tm.ID, 1, 2)
	mustDo(t, err)
	got, err := s.GetTestimony(ctx, m, tm.ID)
	mustDo(t, err)
	if n != 3 || got.Version != 3 || got.Narrative != "account" || got.RecordedBy != m.UserID {
		t.Fatalf("restored to %d: %+v", n, got)
	}
	if e := lastEntry(t, s); e.Action != store.ActionRestore || e.ActorID != m.UserID || e.Version != 3 {
		t.Fatalf("restore entry %+v", e)
	}
	h, err = s.History(ctx, m, store.EntityTestimony, tm.ID)
	mustDo(t, err)
	if h.Versions[0].Action != store.ActionRestore || strings.Join(h.Versions[0].Changed, ",") != "narrative,reliability" {
		t.Fatalf("after restore %+v", h.Versions[0])
	}
}

// TestHistoryRedaction: old versions are shown as the service shows the
// record: identity fields only with identity access, no narratives for
// analysts, whatever the version held.
func TestHistoryRedaction(t *testing.T) {
	s, ctx := newService(t), context.Background()
	legal, coord, analyst := actor(t, s, "legal_aid"), actor(t, s, "coordinator"), actor(t, s, "analyst")
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: "P", Identity: domain.Identity{Name: "Amina Secret", Phone: "+358 40 1"}},
		Notes: "fled with her brother", AssignedTo: legal.UserID}
	mustDo(t, s.SaveCase(ctx, legal, &c))
	// The identity is removed later: its old value must stay hidden too.
	c.Person.Identity = domain.Identity{}
	c.Notes = "moved to Oulu"
	mustDo(t, s.SaveCase(ctx, legal, &c))

	show := func(a domain.Actor, version int) string {
		t.Helper()
		h, err := s.History(ctx, a, store.EntityCase, c.ID)
		mustDo(t, err)
		d, err := s.Version(ctx, a, store.EntityCase, c.ID, version, 0)
		mustDo(t, err)
		b, _ := json.Marshal([]any{h, d})
		return string(b)
	}
	if v := show(legal, 1); !strings.Contains(v, "Amina Secret") || !strings.Contains(v, "fled with her brother") {
		t.Errorf("legal aid does not see the case's identity and notes: %s", v)
	}
	for name, a := range map[string]domain.Actor{"coordinator": coord, "analyst": analyst} {
		for _, version := range []int{1, 2} {
			v := show(a, version)
			if strings.Contains(v, "Amina") || strings.Contains(v, "+358") || strings.Contains(v, "identity") {
				t.Errorf("%s sees identity fields in version %d: %s", name, version, v)
			}
			if a == analyst && (strings.Contains(v, "brother") || strings.Contains(v, "Oulu")) {
				t.Errorf("the analyst sees the case notes in version %d: %s", version, v)
			}
		}
	}

	in := domain.Incident{Title: "x", Kinds: []string{"pushback"}, Summary: "she said the guards beat him"}
	mustDo(t, s.CreateIncident(ctx, coord, &in))
	d, err := s.Version(ctx, analyst, store.EntityIncident, in.ID, 1, 0)
	mustDo(t, err)
	b, _ := json.Marshal(d)
	if strings.Contains(string(b), "guards") {
		t.Errorf("the analyst sees the incident's internal summary: %s", b)
	}
	if _, err := s.RestoreVersion(ctx, analyst, store.EntityIncident, in.ID, 1, 0); domain.ErrorCode(err) != domain.EForbidden {
		t.Errorf("an analyst restores: %v", err)
	}
	if _, err := s.History(ctx, legal, store.EntityUser, legal.UserID); domain.ErrorCode(err) != domain.EForbidden {
		t.Errorf("a legal-aid worker reads the history of their own account: %v", err)
	}
}

// TestRestoreKeepsWhatTheActorMayNotChange: a restore is an edit, with the
// same limits.
func TestRestoreKeepsWhatTheActorMayNotChange(t *testing.T) {
	s, ctx := newService(t), context.Background()
	m, coord, legal := actor(t, s, "monitor"), actor(t, s, "coordinator"), actor(t, s, "legal_aid")
	in := domain.Incident{Title: "x", Kinds: []string{"pushback"}}
	mustDo(t, s.CreateIncident(ctx, coord, &in))
	in.Verification = domain.Verification{Status: "confirmed", Reason: "medical report"}
	mustDo(t, s.UpdateIncident(ctx, coord, &in))
	// A monitor restores version 1 (unverified): the title comes back, the
	// verification stays, because a monitor cannot set it.
	_, err := s.RestoreVersion(ctx, m, store.EntityIncident, in.ID, 1, 0)
	mustDo(t, err)
	got, err := s.GetIncident(ctx, m, in.ID)
	mustDo(t, err)
	if got.Version != 3 || got.Verification.Status != "confirmed" {
		t.Fatalf("after a monitor's restore: %+v", got.Verification)
	}

	c := domain.AsylumCase{Person: domain.Person{Pseudonym: "P", Identity: domain.Identity{Name: "Amina"}}, AssignedTo: legal.UserID}
	mustDo(t, s.SaveCase(ctx, legal, &c))
	c.Person.Identity.Name = "Amina B."
	mustDo(t, s.SaveCase(ctx, legal, &c))
	admin := actor(t, s, "admin")
	_, err = s.RestoreVersion(ctx, admin, store.EntityCase, c.ID, 1, 0)
	mustDo(t, err)
	back, err := s.Store.GetCase(ctx, c.ID)
	mustDo(t, err)
	if back.Person.Identity.Name != "Amina" || back.Version != 3 {
		t.Fatalf("restored case %+v", back.Person)
	}
}

func TestFieldsOfFlattensInOrder(t *testing.T) {
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: "P"}, Events: []domain.ProcedureEvent{
		{ID: 5, On: domain.MustDate("2023-12-01"), Kind: "applied", Note: "at the border"}, {ID: 6, Kind: "registered"}}}
	fs, err := fieldsOf(c)
	mustDo(t, err)
	at := map[string]string{}
	var order []string
	for _, f := range fs {
		at[f.path] = f.value
		order = append(order, f.path)
	}
	if at["person.pseudonym"] != "P" || at["events"] != "on: 2023-12-01, kind: applied, note: at the border\nkind: registered" {
		t.Fatalf("fields %+v", fs)
	}
	if i, j := strings.Index(strings.Join(order, " "), "person.pseudonym"), strings.Index(strings.Join(order, " "), "events"); i > j {
		t.Fatalf("order %v", order)
	}
}
