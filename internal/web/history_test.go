package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// The history and audit routes in the role × route matrix: a history needs
// the record's read permission (need-to-know is the service's, answered
// 404), a restore its write permission, the audit page user administration.
func init() {
	for _, k := range []struct{ ui, api, read, write string }{
		{"/testimonies", "/api/v1/testimonies", "ACM", "ACM"},
		{"/incidents", "/api/v1/incidents", "ACMLN", "ACM"},
		{"/crossing-points", "/api/v1/crossing-points", "ACMLN", "AC"},
		{"/timeline", "/api/v1/policy-events", "ACMLN", "AC"},
		{"/figures", "/api/v1/figures", "ACMLN", "AC"},
		{"/cases", "/api/v1/cases", "ACLN", "AL"},
		{"/users", "/api/v1/users", "A", "A"},
	} {
		expectedAccess["GET "+k.ui+"/{id}/history"] = k.read
		expectedAccess["GET "+k.ui+"/{id}/history/{version}"] = k.read
		expectedAccess["POST "+k.ui+"/{id}/history/{version}/restore"] = k.write
		expectedAccess["GET "+k.api+"/{id}/history"] = k.read
		expectedAccess["GET "+k.api+"/{id}/history/{version}"] = k.read
	}
	expectedAccess["GET /audit"] = "A"
	expectedAccess["POST /audit/checkpoint"] = "A"
	expectedAccess["POST /audit/verify"] = "A"
}

func (e *testEnv) session(t *testing.T, u domain.User) *http.Cookie {
	t.Helper()
	tok, err := e.Svc.StartSession(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: tok}
}

// wantPage checks the status of a response and returns its body.
func wantPage(t *testing.T, w *httptest.ResponseRecorder, code int, what string) string {
	t.Helper()
	if w.Code != code {
		t.Fatalf("%s: status %d, want %d\n%s", what, w.Code, code, w.Body)
	}
	return w.Body.String()
}

func TestTestimonyHistoryPagesAndRestore(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	mona, other := env.user(t, "monitor"), env.user(t, "monitor")
	monaC, otherC, coordC := env.session(t, mona), env.session(t, other), env.login(t, "coordinator")
	a := domain.Actor{UserID: mona.ID, Role: "monitor"}
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: "first account <script>alert(1)</script>",
		Consent: domain.Consent{Store: true}}
	must(t, env.Svc.CreateTestimony(ctx, a, &tm))
	tm.Narrative = "second account"
	must(t, env.Svc.UpdateTestimony(ctx, a, &tm))
	base := fmt.Sprintf("/testimonies/%d/history", tm.ID)

	show := wantPage(t, env.do(t, "GET", fmt.Sprintf("/testimonies/%d", tm.ID), nil, monaC, nil), 200, "testimony page")
	if !strings.Contains(show, `href="`+base+`"`) {
		t.Error("the testimony page has no link to its history")
	}
	list := wantPage(t, env.do(t, "GET", base, nil, monaC, nil), 200, "history")
	for _, want := range []string{`id="version-2"`, `id="version-1"`, "Narrative", base + "/2", mona.Username} {
		if !strings.Contains(list, want) {
			t.Errorf("the history page lacks %q", want)
		}
	}
	wantPage(t, env.do(t, "GET", base, nil, otherC, nil), 404, "another monitor's history")
	wantPage(t, env.do(t, "GET", base+"/1", nil, otherC, nil), 404, "another monitor's version")
	wantPage(t, env.do(t, "GET", base, nil, coordC, nil), 200, "coordinator's history")

	v2 := wantPage(t, env.do(t, "GET", base+"/2", nil, monaC, nil), 200, "version 2")
	if !strings.Contains(v2, "<ins>second</ins> account") || !strings.Contains(v2, "<del>first</del> account<del> &lt;script&gt;") {
		t.Errorf("version 2 does not show the change:\n%s", v2)
	}
	if strings.Contains(v2, "<script>alert") {
		t.Error("the diff shows a narrative unescaped")
	}
	if strings.Contains(v2, `id="restore-form"`) {
		t.Error("the current version offers a restore")
	}
	v1 := wantPage(t, env.do(t, "GET", base+"/1?against=2", nil, monaC, nil), 200, "version 1 against 2")
	if !strings.Contains(v1, `id="restore-form"`) || !strings.Contains(v1, `name="expect" value="2"`) {
		t.Errorf("version 1 offers no restore:\n%s", v1)
	}
	wantPage(t, env.do(t, "GET", base+"/1?against=x", nil, monaC, nil), 422, "a bad against")
	wantPage(t, env.do(t, "GET", base+"/7", nil, monaC, nil), 404, "a missing version")

	wantPage(t, env.postForm(t, base+"/1/restore", url.Values{"expect": {"2"}}, otherC), 404, "another monitor's restore")
	w := env.postForm(t, base+"/1/restore", url.Values{"expect": {"2"}}, monaC)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != base+"/3?msg=history_restored" {
		t.Fatalf("restore: %d %s", w.Code, w.Header().Get("Location"))
	}
	wantPage(t, env.postForm(t, base+"/1/restore", url.Values{"expect": {"2"}}, monaC), 409, "a stale restore")
	v3 := wantPage(t, env.do(t, "GET", base+"/3?msg=history_restored", nil, monaC, nil), 200, "version 3")
	if !strings.Contains(v3, "was restored") {
		t.Error("no flash after the restore")
	}
	got, err := env.Svc.GetTestimony(ctx, a, tm.ID)
	must(t, err)
	if got.Version != 3 || !strings.HasPrefix(got.Narrative, "first account") {
		t.Fatalf("after the restore: version %d, %q", got.Version, got.Narrative)
	}
	es, err := env.Svc.Store.RecentAudit(ctx, 1)
	must(t, err)
	if es[0].Action != store.ActionRestore || es[0].ActorID != mona.ID {
		t.Fatalf("the restore was audited as %+v", es[0])
	}

	tok, err := env.Svc.CreateAPIToken(ctx, domain.System, mona.ID, "t")
	must(t, err)
	w = env.api(t, "GET", fmt.Sprintf("/api/v1/testimonies/%d/history", tm.ID), tok, "")
	var h struct {
		Current int `json:"current_version"`
		Items   []struct {
			Version int      `json:"version"`
			Actor   string   `json:"actor"`
			Action  string   `json:"action"`
			Changed []string `json:"changed"`
		} `json:"items"`
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &h) != nil || h.Current != 3 || len(h.Items) != 3 ||
		h.Items[0].Action != "restore" || strings.Join(h.Items[0].Changed, ",") != "narrative" || h.Items[2].Changed == nil {
		t.Fatalf("API history: %d %s", w.Code, w.Body)
	}
	otherTok, err := env.Svc.CreateAPIToken(ctx, domain.System, other.ID, "t")
	must(t, err)
	if w := env.api(t, "GET", fmt.Sprintf("/api/v1/testimonies/%d/history", tm.ID), otherTok, ""); w.Code != 404 {
		t.Fatalf("another monitor's API history: %d", w.Code)
	}
	if w := env.api(t, "GET", fmt.Sprintf("/api/v1/testimonies/%d/history/2?against=1", tm.ID), tok, ""); w.Code != 200 ||
		!strings.Contains(w.Body.String(), `"new":"second account"`) {
		t.Fatalf("API version: %d %s", w.Code, w.Body)
	}
}

// TestCaseHistoryHidesIdentity: a coordinator may read cases but not
// identities, in the history as on the case page.
func TestCaseHistoryHidesIdentity(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	legal := env.user(t, "legal_aid")
	la := domain.Actor{UserID: legal.ID, Role: "legal_aid"}
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: "P", Identity: domain.Identity{Name: "Secret Realname"}}, AssignedTo: legal.ID}
	must(t, env.Svc.SaveCase(ctx, la, &c))
	c.Person.Identity.Name = "Secret Othername"
	must(t, env.Svc.SaveCase(ctx, la, &c))
	base := fmt.Sprintf("/cases/%d/history", c.ID)
	for _, path := range []string{base, base + "/1", base + "/2"} {
		body := wantPage(t, env.do(t, "GET", path, nil, env.login(t, "coordinator"), nil), 200, "coordinator "+path)
		if strings.Contains(body, "Secret") {
			t.Errorf("a coordinator sees an identity on %s", path)
		}
	}
	body := wantPage(t, env.do(t, "GET", base+"/2", nil, env.session(t, legal), nil), 200, "legal aid")
	if !strings.Contains(body, "Secret <del>Realname</del>") || !strings.Contains(body, "Secret <ins>Othername</ins>") {
		t.Errorf("the legal-aid worker does not see the identity change:\n%s", body)
	}
	show := wantPage(t, env.do(t, "GET", fmt.Sprintf("/cases/%d", c.ID), nil, env.session(t, legal), nil), 200, "case page")
	if !strings.Contains(show, `href="`+base+`"`) {
		t.Error("the case page has no link to its history")
	}
}

func TestAuditAdminPage(t *testing.T) {
	env := newTestServer(t)
	admin := env.login(t, "admin")
	page := wantPage(t, env.do(t, "GET", "/audit", nil, admin, nil), 200, "audit page")
	key := fmt.Sprintf("%x", env.Svc.Store.AuditPublicKey())
	if !strings.Contains(page, key) || !strings.Contains(page, `id="audit-table"`) {
		t.Errorf("the audit page lacks the key or the entries:\n%s", page)
	}
	w := env.postForm(t, "/audit/checkpoint", nil, admin)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign: %d", w.Code)
	}
	seq, _, err := env.Svc.Store.AuditHead(context.Background())
	must(t, err)
	page = wantPage(t, env.do(t, "GET", "/audit?msg=audit_signed", nil, admin, nil), 200, "audit page")
	if !strings.Contains(page, fmt.Sprintf("entry %d", seq)) || !strings.Contains(page, "Checkpoint signed") {
		t.Errorf("the page does not show the new checkpoint at entry %d", seq)
	}
	page = wantPage(t, env.postForm(t, "/audit/verify", nil, admin), 200, "verify")
	if !strings.Contains(page, "The audit chain is intact") {
		t.Errorf("verify does not say intact:\n%s", page)
	}
	if _, err := env.Svc.Store.DB().Exec(`UPDATE audit_log SET actor_id = 99 WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	page = wantPage(t, env.postForm(t, "/audit/verify", nil, admin), 200, "verify")
	if !strings.Contains(page, "BROKEN") || !strings.Contains(page, "entry 1 was altered") {
		t.Errorf("verify does not name the altered entry:\n%s", page)
	}
}

func TestWordDiff(t *testing.T) {
	show := func(segs []segment, mark string) string {
		var b strings.Builder
		for _, s := range segs {
			if s.Diff {
				b.WriteString(mark + "[" + s.Text + "]")
			} else {
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	for _, tc := range []struct{ old, cur, o, n string }{
		{"the guards beat him", "the soldiers beat him twice", "the -[guards] beat him", "the +[soldiers] beat him+[ twice]"},
		{"same text", "same text", "same text", "same text"},
		{"", "new", "", "+[new]"},
		{"gone", "", "-[gone]", ""},
		{"line one\nline two", "line one\nline 2", "line one\nline -[two]", "line one\nline +[2]"},
	} {
		o, n := wordDiff(tc.old, tc.cur)
		if got := show(o, "-"); got != tc.o {
			t.Errorf("%q → %q: old side %q, want %q", tc.old, tc.cur, got, tc.o)
		}
		if got := show(n, "+"); got != tc.n {
			t.Errorf("%q → %q: new side %q, want %q", tc.old, tc.cur, got, tc.n)
		}
	}
	// Past the size limit the field is shown as replaced whole, and still
	// reads back to the two texts.
	long := strings.Repeat("a b ", 1200)
	o, n := wordDiff(long+"x", "y"+long)
	if show(o, "") != "["+long+"x]" && strings.ReplaceAll(strings.ReplaceAll(show(o, ""), "[", ""), "]", "") != long+"x" {
		t.Errorf("long old side does not read back")
	}
	if strings.ReplaceAll(strings.ReplaceAll(show(n, ""), "[", ""), "]", "") != "y"+long {
		t.Errorf("long new side does not read back")
	}
}

// TestHistoryEveryKind saves a record of every versioned kind twice and
// reads its history through the UI and the API.
func TestHistoryEveryKind(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	sys := domain.System
	admin := env.user(t, "admin")
	cookie := env.session(t, admin)
	tok, err := env.Svc.CreateAPIToken(ctx, sys, admin.ID, "t")
	must(t, err)

	cp := domain.CrossingPoint{Code: "vaalimaa", NameEN: "Vaalimaa", Country: "FI", Mode: "road"}
	must(t, env.Svc.SaveCrossingPoint(ctx, sys, &cp))
	cp.Notes = "closed since November"
	must(t, env.Svc.SaveCrossingPoint(ctx, sys, &cp))
	pe := domain.PolicyEvent{When: domain.FuzzyDate{From: domain.MustDate("2023-11-18"), To: domain.MustDate("2023-11-18"), Precision: "day"},
		Kind: "closed", CrossingPoints: []string{"vaalimaa"}, Detail: "closed", Source: domain.Source{Publisher: "Tulli"}}
	must(t, env.Svc.SavePolicyEvent(ctx, sys, &pe))
	pe.Detail = "closed at midnight"
	must(t, env.Svc.SavePolicyEvent(ctx, sys, &pe))
	fig := domain.Figure{PeriodTo: domain.MustDate("2024-01-29"), Measure: "asylum_seekers", Value: 1271, Unit: "persons", Producer: "Migri", Source: domain.Source{Publisher: "Blog"}}
	must(t, env.Svc.SaveFigure(ctx, sys, &fig))
	fig.Value = 1300
	must(t, env.Svc.SaveFigure(ctx, sys, &fig))
	in := domain.Incident{Title: "incident", Kinds: []string{"pushback"}}
	must(t, env.Svc.CreateIncident(ctx, sys, &in))
	in.Title = "incident at Vaalimaa"
	must(t, env.Svc.UpdateIncident(ctx, sys, &in))
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: "P"}}
	must(t, env.Svc.SaveCase(ctx, sys, &c))
	c.Notes = "interview set"
	must(t, env.Svc.SaveCase(ctx, sys, &c))
	u := env.user(t, "monitor")
	u.Role = "coordinator"
	must(t, env.Svc.UpdateUser(ctx, domain.Actor{UserID: admin.ID, Role: "admin"}, &u))

	for _, tc := range []struct {
		ui, api string
		id      int64
		field   string // the label of the changed field, as the page shows it
	}{
		{"/crossing-points", "/api/v1/crossing-points", cp.ID, "Notes"},
		{"/timeline", "/api/v1/policy-events", pe.ID, "What was decided or changed"},
		{"/figures", "/api/v1/figures", fig.ID, "Value"},
		{"/incidents", "/api/v1/incidents", in.ID, "Title"},
		{"/cases", "/api/v1/cases", c.ID, "Notes"},
		{"/users", "/api/v1/users", u.ID, "Role"},
	} {
		path := fmt.Sprintf("%s/%d/history", tc.ui, tc.id)
		list := wantPage(t, env.do(t, "GET", path, nil, cookie, nil), 200, path)
		if !strings.Contains(list, `id="version-2"`) || !strings.Contains(list, tc.field) {
			t.Errorf("%s lacks version 2 or the field %q", path, tc.field)
		}
		wantPage(t, env.do(t, "GET", path+"/2", nil, cookie, nil), 200, path+"/2")
		w := env.api(t, "GET", fmt.Sprintf("%s/%d/history", tc.api, tc.id), tok, "")
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"version":2`) {
			t.Errorf("%s API: %d %s", tc.api, w.Code, w.Body)
		}
	}
	if body := wantPage(t, env.do(t, "GET", fmt.Sprintf("/users/%d/history/2", u.ID), nil, cookie, nil), 200, "user version"); !strings.Contains(body, "role or access changed") || strings.Contains(body, "argon2") {
		t.Errorf("the user's version page:\n%s", body)
	}
	w := env.postForm(t, fmt.Sprintf("/users/%d/history/1/restore", u.ID), url.Values{"expect": {"2"}}, cookie)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("restore a user: %d %s", w.Code, w.Body)
	}
	back, err := env.Svc.Store.GetUser(ctx, u.ID)
	must(t, err)
	if back.Role != "monitor" || back.PasswordHash == "" {
		t.Fatalf("restored user: role %s, hash kept %v", back.Role, back.PasswordHash != "")
	}
}
