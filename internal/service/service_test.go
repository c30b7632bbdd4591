package service

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/store"
)

func newService(t *testing.T) *Service {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	st, err := store.Open(context.Background(), store.Config{Dir: t.TempDir(), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := New(st)
	s.PasswordParams = auth.TestParams
	return s
}

var n int

func actor(t *testing.T, s *Service, role string) domain.Actor {
	t.Helper()
	n++
	u := domain.User{Username: fmt.Sprintf("%s%d", role, n), Role: role}
	if _, err := s.CreateUser(context.Background(), domain.System, &u, "a-long-password-here"); err != nil {
		t.Fatal(err)
	}
	return ActorOf(u)
}

func testimony(t *testing.T, s *Service, a domain.Actor, pseudonym string) domain.Testimony {
	t.Helper()
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: "account", Narrator: domain.Narrator{Pseudonym: pseudonym}, Consent: domain.Consent{Store: true}}
	if err := s.CreateTestimony(context.Background(), a, &tm); err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestMonitorSeesOwnTestimonies(t *testing.T) {
	s, ctx := newService(t), context.Background()
	m1, m2, coord := actor(t, s, "monitor"), actor(t, s, "monitor"), actor(t, s, "coordinator")
	own := testimony(t, s, m1, "A")
	other := testimony(t, s, m2, "B")
	list, _, err := s.ListTestimonies(ctx, m1, store.TestimonyFilter{}, domain.Page{})
	if err != nil || len(list) != 1 || list[0].ID != own.ID {
		t.Fatalf("monitor lists %+v, %v", list, err)
	}
	if _, err := s.GetTestimony(ctx, m1, other.ID); domain.ErrorCode(err) != domain.ENotFound {
		t.Errorf("monitor opens a colleague's testimony: %v", err)
	}
	other.Narrative = "changed"
	if err := s.UpdateTestimony(ctx, m1, &other); domain.ErrorCode(err) != domain.ENotFound {
		t.Errorf("monitor edits a colleague's testimony: %v", err)
	}
	if list, _, _ := s.ListTestimonies(ctx, coord, store.TestimonyFilter{}, domain.Page{}); len(list) != 2 {
		t.Errorf("coordinator lists %d testimonies", len(list))
	}
	analyst := actor(t, s, "analyst")
	if _, _, err := s.ListTestimonies(ctx, analyst, store.TestimonyFilter{}, domain.Page{}); domain.ErrorCode(err) != domain.EForbidden {
		t.Errorf("analyst reads testimonies: %v", err)
	}
}

func TestProposalDoesNotDependOnViewer(t *testing.T) {
	s, ctx := newService(t), context.Background()
	m1, m2, coord := actor(t, s, "monitor"), actor(t, s, "monitor"), actor(t, s, "coordinator")
	a := testimony(t, s, m1, "Amir")
	b := testimony(t, s, m2, "Khalid")
	in := domain.Incident{Title: "x", Kinds: []string{"pushback"}}
	if err := s.CreateIncident(ctx, coord, &in); err != nil {
		t.Fatal(err)
	}
	for _, l := range []domain.Link{{TestimonyID: a.ID, IncidentID: in.ID, Relation: "victim"}, {TestimonyID: b.ID, IncidentID: in.ID, Relation: "eyewitness"}} {
		if err := s.Link(ctx, coord, l); err != nil {
			t.Fatal(err)
		}
	}
	for _, viewer := range []domain.Actor{coord, m1, actor(t, s, "analyst")} {
		st, _, err := s.ProposedVerification(ctx, viewer, in.ID)
		if err != nil || st != "corroborated" {
			t.Errorf("%s sees proposal %q, %v", viewer.Role, st, err)
		}
	}
	links, hidden, err := s.LinksOfIncident(ctx, m1, in.ID)
	if err != nil || len(links) != 2 {
		t.Fatal(links, err)
	}
	for i, l := range links {
		if l.Testimony.ID == b.ID && (!hidden[i] || l.Testimony.Narrative != "") {
			t.Error("a colleague's testimony is not hidden from the monitor")
		}
	}
}

func TestOnlyVerifiersVerify(t *testing.T) {
	s, ctx := newService(t), context.Background()
	m, coord := actor(t, s, "monitor"), actor(t, s, "coordinator")
	in := domain.Incident{Title: "x", Kinds: []string{"pushback"}, Verification: domain.Verification{Status: "confirmed"}, Published: true, PublicSummary: "s"}
	if err := s.CreateIncident(ctx, m, &in); err != nil {
		t.Fatal(err)
	}
	if in.Verification.Status != "unverified" || in.Published {
		t.Errorf("a monitor set verification %q / published %v", in.Verification.Status, in.Published)
	}
	in.Verification = domain.Verification{Status: "disputed", Reason: "contradicted"}
	if err := s.UpdateIncident(ctx, coord, &in); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetIncident(ctx, m, in.ID)
	if got.Verification.Status != "disputed" || got.Verification.SetBy != coord.UserID || got.Verification.SetAt == nil {
		t.Errorf("verification after coordinator edit: %+v", got.Verification)
	}
	got.Verification = domain.Verification{Status: "confirmed"}
	if err := s.UpdateIncident(ctx, m, &got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.GetIncident(ctx, m, in.ID); again.Verification.Status != "disputed" {
		t.Errorf("a monitor changed verification to %q", again.Verification.Status)
	}
}

func TestCasesNeedToKnow(t *testing.T) {
	s, ctx := newService(t), context.Background()
	l1, l2, coord := actor(t, s, "legal_aid"), actor(t, s, "legal_aid"), actor(t, s, "coordinator")
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: "P", Identity: domain.Identity{Name: "Real Name", Phone: "+358 40 1"}}}
	if err := s.SaveCase(ctx, l1, &c); err != nil {
		t.Fatal(err)
	}
	if c.AssignedTo != l1.UserID {
		t.Fatalf("case assigned to %d", c.AssignedTo)
	}
	if got, err := s.GetCase(ctx, l1, c.ID); err != nil || got.Person.Identity.Name != "Real Name" {
		t.Errorf("legal aid: %+v %v", got.Person.Identity, err)
	}
	if _, err := s.GetCase(ctx, l2, c.ID); domain.ErrorCode(err) != domain.ENotFound {
		t.Errorf("another legal-aid worker opens the case: %v", err)
	}
	if list, _, _ := s.ListCases(ctx, l2, store.CaseFilter{}, domain.Page{}); len(list) != 0 {
		t.Errorf("another legal-aid worker lists %d cases", len(list))
	}
	got, err := s.GetCase(ctx, coord, c.ID)
	if err != nil || got.Person.Identity != (domain.Identity{}) {
		t.Errorf("coordinator sees identity %+v %v", got.Person.Identity, err)
	}
	// A coordinator cannot write cases, and an edit by someone without
	// identity access would keep, not blank, the stored identity.
	if err := s.SaveCase(ctx, coord, &got); domain.ErrorCode(err) != domain.EForbidden {
		t.Errorf("coordinator saved a case: %v", err)
	}
}

// A case names its crossing point as typed; the code is looked up as it
// will be saved (trimmed), so surrounding spaces do not make it unknown.
func TestCaseCrossingPointLookedUpAsSaved(t *testing.T) {
	s, ctx := newService(t), context.Background()
	l := actor(t, s, "legal_aid")
	cp := domain.CrossingPoint{Code: "vaalimaa", NameEN: "Vaalimaa", NameFI: "Vaalimaa", Country: "FI", OtherCountry: "RU", Mode: "road"}
	if err := s.SaveCrossingPoint(ctx, domain.System, &cp); err != nil {
		t.Fatal(err)
	}
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: "P"}, CrossingPoint: " vaalimaa "}
	if err := s.SaveCase(ctx, l, &c); err != nil {
		t.Fatalf("a known code with spaces around it: %v", err)
	}
	if c.CrossingPoint != "vaalimaa" {
		t.Errorf("saved code %q", c.CrossingPoint)
	}
	c2 := domain.AsylumCase{Person: domain.Person{Pseudonym: "Q"}, CrossingPoint: " nowhere "}
	err := s.SaveCase(ctx, l, &c2)
	if domain.ErrorCode(err) != domain.EInvalid || !strings.Contains(err.Error(), "no crossing point") {
		t.Errorf("an unknown code: %v", err)
	}
}

func TestLoginAnswersAlike(t *testing.T) {
	s, ctx := newService(t), context.Background()
	u := domain.User{Username: "mona", Role: "monitor"}
	if _, err := s.CreateUser(ctx, domain.System, &u, "correct-password-1"); err != nil {
		t.Fatal(err)
	}
	_, e1 := s.Authenticate(ctx, "mona", "wrong-password-1")
	_, e2 := s.Authenticate(ctx, "nobody", "wrong-password-1")
	if e1 == nil || e2 == nil || e1.Error() != e2.Error() {
		t.Fatalf("unknown user and wrong password answer differently: %v / %v", e1, e2)
	}
	if _, err := s.Authenticate(ctx, " MONA ", "correct-password-1"); err != nil {
		t.Fatalf("login: %v", err)
	}
	u.Disabled = true
	if err := s.UpdateUser(ctx, domain.System, &u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "mona", "correct-password-1"); err == nil {
		t.Fatal("a disabled account logged in")
	}
}

func TestSharingGivesReadNotWrite(t *testing.T) {
	s, ctx := newService(t), context.Background()
	m1, m2, coord := actor(t, s, "monitor"), actor(t, s, "monitor"), actor(t, s, "coordinator")
	tm := testimony(t, s, m1, "A")
	if _, err := s.GetTestimony(ctx, m2, tm.ID); domain.ErrorCode(err) != domain.ENotFound {
		t.Fatalf("before sharing: %v", err)
	}
	if err := s.ShareTestimony(ctx, m2, tm.ID, m2.UserID); domain.ErrorCode(err) != domain.ENotFound {
		t.Fatalf("a monitor shared a testimony they cannot see: %v", err)
	}
	targets, err := s.ShareTargets(ctx, m1, tm.ID)
	if err != nil || len(targets) != 1 || targets[0].UserID != m2.UserID {
		t.Fatalf("share targets %+v %v", targets, err)
	}
	if err := s.ShareTestimony(ctx, m1, tm.ID, m2.UserID); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTestimony(ctx, m2, tm.ID)
	if err != nil {
		t.Fatalf("after sharing: %v", err)
	}
	if list, _, _ := s.ListTestimonies(ctx, m2, store.TestimonyFilter{}, domain.Page{}); len(list) != 1 {
		t.Fatalf("shared testimony not listed: %d", len(list))
	}
	if c, _ := s.Counts(ctx, m2); c.Testimonies != 1 {
		t.Errorf("monitor's dashboard counts %d testimonies", c.Testimonies)
	}
	if c, _ := s.Counts(ctx, coord); c.Testimonies != 1 {
		t.Errorf("coordinator's dashboard counts %d testimonies", c.Testimonies)
	}
	got.Narrative = "changed by a reader"
	if err := s.UpdateTestimony(ctx, m2, &got); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("a monitor edited a testimony shared to read: %v", err)
	}
	if err := s.ShareTestimony(ctx, m2, tm.ID, m2.UserID); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("a reader re-shared: %v", err)
	}
	if err := s.UnshareTestimony(ctx, coord, tm.ID, m2.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTestimony(ctx, m2, tm.ID); domain.ErrorCode(err) != domain.ENotFound {
		t.Fatalf("after unsharing: %v", err)
	}
}
