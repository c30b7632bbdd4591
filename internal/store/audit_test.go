package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"vigil/internal/domain"
)

// auditTrail lists (action, entity, entity id, version) of every entry.
func auditTrail(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.reader().query(ctx, `SELECT action, entity, entity_id, version FROM audit_log ORDER BY seq`)
	out, err := collect(rows, err, func(r rowScanner) (string, error) {
		var (
			a, e string
			id   int64
			v    int
		)
		err := r.Scan(&a, &e, &id, &v)
		return fmt.Sprintf("%s %s %d v%d", a, e, id, v), err
	})
	mustOK(t, err)
	return out
}

func versionsOf(t *testing.T, s *Store, entity string, id int64) []string {
	t.Helper()
	vs, err := s.ListVersions(ctx, entity, id)
	mustOK(t, err)
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("v%d %s by %d", v.Version, v.Action, v.ActorID))
	}
	return out
}

func mustVerify(t *testing.T, s *Store) AuditReport {
	t.Helper()
	rep, err := s.VerifyAudit(ctx)
	mustOK(t, err)
	if !rep.OK() {
		t.Fatalf("verify: %+v", rep.Problems)
	}
	return rep
}

// TestVersionsOnEveryWritePath saves every versioned kind of record twice
// and checks that each save left a snapshot of what was saved, sealed by
// an audit entry, with the actor and action the store was told.
func TestVersionsOnEveryWritePath(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		actx := WithActor(ctx, 42)

		tm := newTestimony("2023-11-20", "first narrative")
		mustOK(t, s.CreateTestimony(actx, tm))
		tm.Narrative = "second narrative"
		mustOK(t, s.UpdateTestimony(actx, tm))
		same(t, "testimony versions", versionsOf(t, s, EntityTestimony, tm.ID), []string{"v1 create by 42", "v2 update by 42"})
		v2, err := s.GetVersion(ctx, EntityTestimony, tm.ID, 2)
		mustOK(t, err)
		var got domain.Testimony
		mustOK(t, json.Unmarshal(v2.Snapshot, &got))
		stored, err := s.GetTestimony(ctx, tm.ID)
		mustOK(t, err)
		same(t, "testimony snapshot", got, stored)

		cp := newCrossingPoint("vaalimaa")
		mustOK(t, s.CreateCrossingPoint(ctx, cp)) // no actor in ctx: created_by
		cp.Notes, cp.UpdatedBy = "closed", 5
		mustOK(t, s.UpdateCrossingPoint(ctx, cp))
		same(t, "crossing versions", versionsOf(t, s, EntityCrossingPoint, cp.ID), []string{"v1 create by 1", "v2 update by 5"})

		in := newIncident("2023-11-20", "pushback")
		mustOK(t, s.CreateIncident(actx, in))
		in.Place = "road"
		mustOK(t, s.UpdateIncident(actx, in))
		in.Verification.Status = "corroborated"
		mustOK(t, s.UpdateIncident(actx, in))
		in.Published = true
		mustOK(t, s.UpdateIncident(actx, in))
		same(t, "incident versions", versionsOf(t, s, EntityIncident, in.ID),
			[]string{"v1 create by 42", "v2 update by 42", "v3 verify by 42", "v4 publish by 42"})

		pe := newPolicyEvent("2023-11-18", "closed", "vaalimaa")
		mustOK(t, s.CreatePolicyEvent(actx, pe))
		pe.Detail = "changed"
		mustOK(t, s.UpdatePolicyEvent(actx, pe))
		same(t, "policy versions", versionsOf(t, s, EntityPolicyEvent, pe.ID), []string{"v1 create by 42", "v2 update by 42"})

		f := newFigure("2024-01-29", "asylum_seekers", 1271)
		mustOK(t, s.CreateFigure(actx, f))
		f.Value = 1300
		mustOK(t, s.UpdateFigure(WithAction(actx, ActionRestore), f))
		same(t, "figure versions", versionsOf(t, s, EntityFigure, f.ID), []string{"v1 create by 42", "v2 restore by 42"})

		c := newCase("P1", "SY", 3)
		mustOK(t, s.CreateCase(actx, c))
		c.Events = c.Events[:1]
		c.Person.Pseudonym = "P2"
		mustOK(t, s.UpdateCase(actx, c))
		same(t, "case versions", versionsOf(t, s, EntityCase, c.ID), []string{"v1 create by 42", "v2 update by 42"})
		cv, err := s.GetVersion(ctx, EntityCase, c.ID, 2)
		mustOK(t, err)
		var gotCase domain.AsylumCase
		mustOK(t, json.Unmarshal(cv.Snapshot, &gotCase))
		if gotCase.Person.Pseudonym != "P2" || len(gotCase.Events) != 1 || gotCase.Person.Identity.Name != "Real Name" {
			t.Errorf("case snapshot lacks the person or events: %+v", gotCase)
		}

		u := newUser("mona")
		mustOK(t, s.CreateUser(actx, u))
		u.DisplayName = "Mona"
		mustOK(t, s.UpdateUser(actx, u))
		u.Role = "coordinator"
		mustOK(t, s.UpdateUser(actx, u))
		u.PasswordHash = "$argon2id$v=19$new-secret-hash"
		mustOK(t, s.UpdateUser(WithActor(ctx, u.ID), u))
		same(t, "user versions", versionsOf(t, s, EntityUser, u.ID),
			[]string{"v1 create by 42", "v2 update by 42", "v3 permission by 42", fmt.Sprintf("v4 password by %d", u.ID)})
		uvs, err := s.ListVersions(ctx, EntityUser, u.ID)
		mustOK(t, err)
		for _, v := range uvs {
			if strings.Contains(string(v.Snapshot), "argon2id") || strings.Contains(string(v.Snapshot), "password") {
				t.Errorf("user version %d holds the password hash: %s", v.Version, v.Snapshot)
			}
		}

		mustOK(t, s.Link(actx, domain.Link{TestimonyID: tm.ID, IncidentID: in.ID, Relation: "victim", CreatedBy: 42}))
		mustOK(t, s.Unlink(actx, tm.ID, in.ID))

		trail := auditTrail(t, s)
		want := []string{
			fmt.Sprintf("link incident %d v0", in.ID), fmt.Sprintf("unlink incident %d v0", in.ID)}
		same(t, "last entries", trail[len(trail)-2:], want)
		rep := mustVerify(t, s)
		if rep.Entries != int64(len(trail)) || rep.Versions != rep.Entries-2 {
			t.Errorf("report counts %d entries, %d versions; the log has %d entries, two without versions", rep.Entries, rep.Versions, len(trail))
		}
	})
}

// TestAuditDigestHidesPlaintext checks that no entry holds the text of the
// change, only its keyed digest.
func TestAuditDigestHidesPlaintext(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		tm := newTestimony("2023-11-20", "the narrator Fatima said the guards beat her")
		mustOK(t, s.CreateTestimony(ctx, tm))
		mustOK(t, s.AppendAudit(ctx, AuditEvent{ActorID: 1, Action: "login", Entity: "user", EntityID: 1, Detail: "fatima"}))
		es, err := s.RecentAudit(ctx, 10)
		mustOK(t, err)
		b, _ := json.Marshal(es)
		for _, secret := range []string{"Fatima", "fatima", "guards"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("the audit log holds %q: %s", secret, b)
			}
		}
		if len(es) != 2 || es[0].Digest == es[1].Digest || len(es[0].Digest) != 64 {
			t.Errorf("digests: %+v", es)
		}
	})
}

// tamperCase builds a chain of nine entries and a checkpoint, then breaks
// it with SQL run straight against the database, as someone with access to
// the database but not to the instance key could.
func buildChain(t *testing.T, s *Store) {
	t.Helper()
	actx := WithActor(ctx, 9)
	for i := range 3 {
		tm := newTestimony("2023-11-20", fmt.Sprintf("narrative %d", i))
		mustOK(t, s.CreateTestimony(actx, tm))
		tm.Reliability = "high"
		mustOK(t, s.UpdateTestimony(actx, tm))
	}
	_, err := s.Checkpoint(ctx)
	mustOK(t, err)
	for i := range 3 {
		mustOK(t, s.AppendAudit(ctx, AuditEvent{ActorID: 9, Action: "download", Entity: "attachment", EntityID: int64(i + 1)}))
	}
	mustVerify(t, s)
}

func TestAuditVerifyNamesTampering(t *testing.T) {
	for _, tc := range []struct {
		name string
		sql  []string
		seq  int64
		kind string
		msg  string
	}{
		{"altered actor", []string{`UPDATE audit_log SET actor_id = 1 WHERE seq = 3`}, 3, AuditAltered, "entry 3 was altered"},
		{"altered action", []string{`UPDATE audit_log SET action = 'update' WHERE seq = 8`}, 8, AuditAltered, "entry 8 was altered"},
		{"altered hash", []string{`UPDATE audit_log SET hash = prev_hash WHERE seq = 5`}, 5, AuditAltered, "entry 5 was altered"},
		{"deleted", []string{`DELETE FROM audit_log WHERE seq = 7`}, 7, AuditMissing, "entry 7 is missing"},
		{"deleted and renumbered", []string{`DELETE FROM audit_log WHERE seq = 8`, `UPDATE audit_log SET seq = 8 WHERE seq = 9`,
			`UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_log WHERE seq = 8)`}, 8, AuditMissing, "before entry 8 is missing"},
		{"swapped", []string{`UPDATE audit_log SET seq = -1 WHERE seq = 7`, `UPDATE audit_log SET seq = 7 WHERE seq = 8`,
			`UPDATE audit_log SET seq = 8 WHERE seq = -1`}, 7, AuditReordered, "entry 7 is out of order: it was written after entry 8"},
		{"tail cut", []string{`DELETE FROM audit_log WHERE seq = 9`}, 9, AuditMissing, "entry 9 is missing from the end"},
		{"tail cut and head rewound", []string{`DELETE FROM audit_log WHERE seq > 5`,
			`UPDATE audit_head SET seq = 5, hash = (SELECT hash FROM audit_log WHERE seq = 5)`}, 6, AuditMissing, "covered by a signed checkpoint"},
		{"checkpoint forged", []string{`UPDATE audit_checkpoints SET hash = (SELECT hash FROM audit_log WHERE seq = 2)`}, 6, AuditCheckpoint, "bad signature"},
		{"version snapshot altered", []string{`UPDATE record_versions SET snapshot = replace(snapshot, 'narrative 1', 'narrative X')`},
			3, AuditVersion, "version 1 of testimony 2 was altered"},
		{"version deleted", []string{`DELETE FROM record_versions WHERE entity_id = 3 AND version = 2`}, 6, AuditVersion, "version 2 of testimony 3, sealed by entry 6, is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEachEngine(t, func(t *testing.T, s *Store) {
				buildChain(t, s)
				for _, q := range tc.sql {
					if _, err := s.DB().ExecContext(ctx, s.Rebind(q)); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				rep, err := s.VerifyAudit(ctx)
				mustOK(t, err)
				if rep.OK() {
					t.Fatal("verify found nothing wrong")
				}
				p := rep.Problems[0]
				if p.Seq != tc.seq || p.Kind != tc.kind || !strings.Contains(p.Message, tc.msg) {
					t.Fatalf("first problem %+v, want entry %d %s %q (all: %+v)", p, tc.seq, tc.kind, tc.msg, rep.Problems)
				}
			})
		})
	}
}

// TestAuditWrongKey: a verifier with another key finds every entry
// altered, and says the key may be the cause.
func TestAuditWrongKey(t *testing.T) {
	dir, key := t.TempDir(), randomKey(t)
	s := openSQLiteAt(t, dir, key)
	buildChain(t, s)
	s.Close()
	other, err := Open(ctx, Config{Dir: dir, Key: key, AuditKey: randomKey(t), Now: testClock()})
	mustOK(t, err)
	defer other.Close()
	rep, err := other.VerifyAudit(ctx)
	mustOK(t, err)
	if rep.OK() || !strings.Contains(rep.Problems[0].Message, "own key") {
		t.Fatalf("problems: %+v", rep.Problems)
	}
}

// TestAuditCheckpoints signs a checkpoint every few entries (the interval
// is lowered for the test) and checks that verification covers them.
func TestAuditCheckpoints(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		s.au.every = 3
		for i := range 7 {
			mustOK(t, s.AppendAudit(ctx, AuditEvent{ActorID: 1, Action: "login", Entity: "user", EntityID: int64(i)}))
		}
		cp, ok, err := s.LatestCheckpoint(ctx)
		mustOK(t, err)
		if !ok || cp.Seq != 6 {
			t.Fatalf("latest checkpoint %+v %v, want entry 6", cp, ok)
		}
		now, err := s.Checkpoint(ctx)
		mustOK(t, err)
		again, err := s.Checkpoint(ctx)
		mustOK(t, err)
		if now.Seq != 7 || again != now {
			t.Fatalf("on-demand checkpoint %+v, again %+v", now, again)
		}
		rep := mustVerify(t, s)
		if rep.Checkpoints != 3 || rep.LatestCheckpoint == nil || rep.LatestCheckpoint.Seq != 7 {
			t.Fatalf("report %+v", rep)
		}
	})
}

func TestCheckpointOfEmptyLog(t *testing.T) {
	s := openTestSQLite(t)
	_, err := s.Checkpoint(ctx)
	wantCode(t, err, domain.EInvalid)
	rep := mustVerify(t, s)
	if rep.Entries != 0 {
		t.Fatalf("entries %d", rep.Entries)
	}
}

// TestAuditConcurrentWriters writes from many goroutines at once: the
// chain must come out as one line, not forked.
func TestAuditConcurrentWriters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 5 {
					tm := newTestimony("2023-11-20", fmt.Sprintf("g%d i%d", g, i))
					if err := s.CreateTestimony(WithActor(ctx, int64(g)), tm); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if rep := mustVerify(t, s); rep.Entries != 40 || rep.Versions != 40 {
			t.Fatalf("report %+v", rep)
		}
	})
}

// TestBulkLoadAudit: a bulk insert is one entry per batch and keeps no
// snapshots; the first edit of a bulk-loaded record seals its old state as
// a baseline, so its history starts with something to compare with.
func TestBulkLoadAudit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ts := []domain.Testimony{*newTestimony("2023-11-20", "a"), *newTestimony("2023-11-21", "b")}
		mustOK(t, s.BulkInsertTestimonies(WithActor(ctx, 3), ts))
		ins := []domain.Incident{*newIncident("2023-11-20", "x")}
		mustOK(t, s.BulkInsertIncidents(ctx, ins))
		same(t, "trail", auditTrail(t, s), []string{
			fmt.Sprintf("bulk_create testimony %d v0", ts[0].ID), fmt.Sprintf("bulk_create incident %d v0", ins[0].ID)})
		same(t, "no versions yet", versionsOf(t, s, EntityTestimony, ts[1].ID), []string(nil))

		tm := ts[1]
		tm.Narrative = "b, corrected"
		mustOK(t, s.UpdateTestimony(WithActor(ctx, 5), &tm))
		same(t, "versions", versionsOf(t, s, EntityTestimony, tm.ID), []string{"v1 baseline by 7", "v2 update by 5"})
		v1, err := s.GetVersion(ctx, EntityTestimony, tm.ID, 1)
		mustOK(t, err)
		var old domain.Testimony
		mustOK(t, json.Unmarshal(v1.Snapshot, &old))
		if old.Narrative != "b" {
			t.Fatalf("baseline holds %q", old.Narrative)
		}
		// A stale save conflicts and leaves no baseline or entry behind.
		stale := ts[0]
		stale.Version = 5
		wantCode(t, s.UpdateTestimony(ctx, &stale), domain.EConflict)
		same(t, "no versions after a conflict", versionsOf(t, s, EntityTestimony, stale.ID), []string(nil))
		rep := mustVerify(t, s)
		if rep.Entries != 4 || rep.Versions != 2 {
			t.Fatalf("report %+v", rep)
		}
	})
}

// TestNoAuditKeyRefusesWrites: a store without the instance key cannot
// audit, so it writes nothing at all.
func TestNoAuditKeyRefusesWrites(t *testing.T) {
	s := openTestSQLite(t)
	s.au = nil
	tm := newTestimony("2023-11-20", "x")
	if err := s.CreateTestimony(ctx, tm); err == nil || !strings.Contains(err.Error(), "instance key") {
		t.Fatalf("create without a key: %v", err)
	}
	if err := s.BulkInsertTestimonies(ctx, []domain.Testimony{*tm}); err == nil {
		t.Fatal("bulk insert without a key succeeded")
	}
	var n int
	mustOK(t, s.reader().queryRow(ctx, `SELECT count(*) FROM testimonies`).Scan(&n))
	if n != 0 {
		t.Fatalf("%d testimonies were written unaudited", n)
	}
	_, err := s.VerifyAudit(ctx)
	wantCode(t, err, domain.EInvalid)
}

// TestResealAudit moves a chain to a new instance key: it verifies with
// the new key, not with the old, and a broken chain is never resealed.
func TestResealAudit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		buildChain(t, s)
		oldKey := s.AuditPublicKey()
		newKey := randomKey(t)
		mustOK(t, s.ResealAudit(ctx, newKey))
		rep := mustVerify(t, s)
		if rep.Entries != 10 || rep.Checkpoints != 1 || string(s.AuditPublicKey()) == string(oldKey) {
			t.Fatalf("after the reseal: %+v", rep)
		}
		es, err := s.RecentAudit(ctx, 1)
		mustOK(t, err)
		if es[0].Action != "audit_resealed" {
			t.Fatalf("last entry %+v", es[0])
		}
		s.au = newAuditor(randomKey(t)) // any other key fails
		if rep, _ := s.VerifyAudit(ctx); rep.OK() {
			t.Fatal("the resealed chain verifies with an unrelated key")
		}
		s.au = newAuditor(newKey)
		_, err = s.DB().ExecContext(ctx, s.Rebind(`UPDATE audit_log SET actor_id = 3 WHERE seq = 2`))
		mustOK(t, err)
		wantCode(t, s.ResealAudit(ctx, randomKey(t)), domain.EConflict)
		if rep, _ := s.VerifyAudit(ctx); rep.OK() || rep.Problems[0].Seq != 2 {
			t.Fatalf("a refused reseal changed the chain: %+v", rep.Problems)
		}
	})
}
