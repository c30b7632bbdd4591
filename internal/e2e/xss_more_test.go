package e2e

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/evidence/evidencetest"
	"vigil/internal/service"
)

// moreXSSPayloads add what the pages since xss_test.go give an attacker:
// file names keep quotes and equals signs (SafeName drops < > and "), so
// single-quoted attribute breakouts; handlers that fire without a click;
// and text that would turn into markup if anything decoded it twice.
var moreXSSPayloads = []string{
	`' autofocus onfocus='window.__xss=1' x='`,
	`javascript:window.__xss=1`,
	`&lt;script&gt;window.__xss=1&lt;/script&gt;`,
	`<svg><animate onbegin="window.__xss=1" attributeName="x" dur="1s">`,
	`<details open ontoggle="window.__xss=1">`,
	`<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">`,
}

// allXSS is every payload, the lead's first.
func allXSS() []string { return append(append([]string{}, xssPayloads...), moreXSSPayloads...) }

// markupProbe counts what no Vigil page has of its own (no page has a
// script or a style element; all styling is the one stylesheet) and what
// any payload would add if it became markup.
const markupProbe = `document.querySelectorAll("script, style, iframe, object, embed, base, [srcdoc], [onerror], [onload], [onmouseover], [onfocus], [ontoggle], [onbegin], [onclick], a[href^='javascript:' i], [action^='javascript:' i], [formaction]").length`

// pageCheck opens path in the browser and checks that no payload ran, none
// became markup, and the HTML response carries a CSP whose script-src has
// no 'unsafe-inline'.
type pageCheck struct {
	t     *testing.T
	ctx   context.Context
	base  string
	pages int
}

func (pc *pageCheck) open(path string) {
	t := pc.t
	t.Helper()
	resp, err := chromedp.Run(pc.ctx, chromedp.NavigateResponse(pc.base+path))
	must(t, err, path)
	must(t, chromedp.Do(pc.ctx, chromedp.WaitReady(chromedp.CSS("body"))), path)
	if resp.Status >= 500 {
		t.Errorf("%s: status %d", path, resp.Status)
	}
	if !strings.HasPrefix(resp.MimeType, "text/html") {
		t.Errorf("%s: %s, not a page", path, resp.MimeType)
	}
	checkCSP(t, path, resp)
	ran, err := chromedp.Run(pc.ctx, chromedp.Evaluate[bool](`window.__xss === 1`))
	must(t, err, path)
	if ran {
		t.Errorf("%s: a payload ran", path)
	}
	n, err := chromedp.Run(pc.ctx, chromedp.Evaluate[int](markupProbe))
	must(t, err, path)
	if n != 0 {
		t.Errorf("%s: %d payload elements became markup", path, n)
	}
	pc.pages++
}

func checkCSP(t *testing.T, path string, resp *network.Response) {
	t.Helper()
	var csp string
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "Content-Security-Policy") {
			csp, _ = v.(string)
		}
	}
	var scriptSrc string
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == "script-src" {
			scriptSrc = d
		}
	}
	if scriptSrc == "" || strings.Contains(scriptSrc, "'unsafe-inline'") || strings.Contains(scriptSrc, "'unsafe-eval'") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("%s: Content-Security-Policy %q", path, csp)
	}
}

// intakeRefuses reports whether evidence intake refuses a file holding p
// as a polyglot (internal/evidence checkPolyglot).
func intakeRefuses(p string) bool {
	l := strings.ToLower(p)
	for _, tag := range []string{"<html", "<script", "<svg", "<iframe", "<body", "<object", "<embed", "<!doctype html", "javascript:"} {
		if strings.Contains(l, tag) {
			return true
		}
	}
	return false
}

// text returns the text content of the first element matching sel.
func (pc *pageCheck) text(sel string) string {
	s, err := chromedp.Run(pc.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)))
	must(pc.t, err, sel)
	return s
}

// TestNoScriptRunsFromNewerPages does for the pages added by the security
// work what TestNoScriptRunsFromStoredText does for the record pages:
// account, two-factor and sessions pages, evidence files whose name and
// embedded metadata carry payloads, version histories and diffs, user
// administration with a payload display name, the audit page, the
// timeline; and every query parameter of every list page set to payloads.
func TestNoScriptRunsFromNewerPages(t *testing.T) {
	a := startApp(t)
	ctx0, sys := context.Background(), domain.System
	payloads := allXSS()
	long := strings.Join(payloads, " ")
	short := func(i int) string { return payloads[i%len(payloads)] }

	admin := domain.User{Username: "root", Role: "admin", DisplayName: short(9)}
	if _, err := a.Service.CreateUser(ctx0, sys, &admin, "admin-password-1"); err != nil {
		t.Fatal(err)
	}
	act := service.ActorOf(admin)
	victim := domain.User{Username: "victim", Role: "monitor", DisplayName: short(1)}
	if _, err := a.Service.CreateUser(ctx0, sys, &victim, "victim-password-1"); err != nil {
		t.Fatal(err)
	}
	victim.DisplayName = short(10)
	must(t, a.Service.UpdateUser(ctx0, sys, &victim), "rename the user")
	for i := 0; i < 3; i++ {
		_, err := a.Service.CreateAPIToken(ctx0, act, admin.ID, short(i+11))
		must(t, err, "API token")
	}
	_, err := a.Service.RequestMFAReset(ctx0, act, victim.ID)
	must(t, err, "reset request")

	cp := domain.CrossingPoint{Code: "vaalimaa", NameEN: short(2), Country: "FI", Mode: "road", Notes: long}
	must(t, a.Service.SaveCrossingPoint(ctx0, sys, &cp), "crossing point")
	cp.Notes, cp.NameEN = "changed "+long, short(3)
	must(t, a.Service.SaveCrossingPoint(ctx0, sys, &cp), "crossing point edit")
	pe := domain.PolicyEvent{When: domain.FuzzyDate{From: domain.MustDate("2023-11-18"), To: domain.MustDate("2023-11-18"), Precision: "day"},
		Kind: "closed", CrossingPoints: []string{"vaalimaa"}, Detail: long, Source: domain.Source{Publisher: short(4), URL: "https://example.org/?q=%22%3E%3Cscript%3Ewindow.__xss=1%3C/script%3E"}}
	must(t, a.Service.SavePolicyEvent(ctx0, sys, &pe), "policy event")
	pe.Detail = "changed " + long
	must(t, a.Service.SavePolicyEvent(ctx0, sys, &pe), "policy event edit")
	fig := domain.Figure{PeriodTo: domain.MustDate("2024-01-29"), Measure: "asylum_seekers", Value: 1271, Unit: "persons",
		Producer: short(5), Note: long, Source: domain.Source{Publisher: short(6)}}
	must(t, a.Service.SaveFigure(ctx0, sys, &fig), "figure")
	fig.Note = "changed " + long
	must(t, a.Service.SaveFigure(ctx0, sys, &fig), "figure edit")

	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: long, PublicQuotes: long,
		Narrator: domain.Narrator{Pseudonym: short(7)}, Consent: domain.Consent{Store: true, QuotePublicly: true}}
	must(t, a.Service.CreateTestimony(ctx0, act, &tm), "testimony")
	tm.Narrative, tm.Narrator.Pseudonym = "second version "+long, short(8)
	must(t, a.Service.UpdateTestimony(ctx0, act, &tm), "testimony edit")
	must(t, a.Service.ShareTestimony(ctx0, act, tm.ID, victim.ID), "share")
	in := domain.Incident{Title: short(0), Place: short(1), Summary: long, PublicSummary: long, Kinds: []string{"pushback"}, CrossingPoint: "vaalimaa"}
	must(t, a.Service.CreateIncident(ctx0, act, &in), "incident")
	in.Summary, in.Title = "second "+long, short(2)
	must(t, a.Service.UpdateIncident(ctx0, act, &in), "incident edit")
	must(t, a.Service.Link(ctx0, act, domain.Link{TestimonyID: tm.ID, IncidentID: in.ID, Relation: "victim", Note: long}), "link")
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: short(3), Identity: domain.Identity{Name: short(4)}}, Notes: long, CrossingPoint: "vaalimaa"}
	must(t, a.Service.SaveCase(ctx0, sys, &c), "case")
	c.Notes, c.Person.Pseudonym = "second "+long, short(5)
	must(t, a.Service.SaveCase(ctx0, sys, &c), "case edit")

	// Evidence: the file name and the metadata inside the file carry the
	// payloads (a JPEG comment, a PDF author). Intake refuses files with
	// script, SVG or frame markup in them as polyglots, so the metadata
	// carries the payloads that get past that filter: they must still be
	// shown as text.
	var inFile []string
	for _, p := range payloads {
		if !intakeRefuses(p) {
			inFile = append(inFile, p)
		}
	}
	if len(inFile) < 5 {
		t.Fatalf("only %d payloads fit in a file", len(inFile))
	}
	meta := strings.Join(inFile, " ")
	var atts []int64
	for _, f := range []struct {
		owner service.Owner
		name  string
		data  []byte
	}{
		{service.TestimonyOwner(tm.ID), moreXSSPayloads[0] + ".jpg", evidencetest.JPEGWithGPS(meta)},
		{service.TestimonyOwner(tm.ID), short(0) + short(12) + ".pdf", evidencetest.PDF(strings.NewReplacer("(", "[", ")", "]").Replace(meta), "")},
		{service.IncidentOwner(in.ID), short(1) + moreXSSPayloads[0], evidencetest.JPEGWithGPS(inFile[len(inFile)-1])},
	} {
		att, err := a.Service.AddAttachment(ctx0, act, f.owner, f.name, bytes.NewReader(f.data))
		must(t, err, "attachment")
		atts = append(atts, att.ID)
	}

	ctx := browser(t)
	login(t, ctx, a.URL(), "root", "admin-password-1")
	pc := &pageCheck{t: t, ctx: ctx, base: a.URL()}
	id := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }
	stored := []string{
		"/account", "/account/2fa", "/account/sessions", "/admin/security", "/audit",
		"/users", id("/users/%d/edit", victim.ID), id("/users/%d/history", victim.ID),
		id("/users/%d/history/2", victim.ID), id("/users/%d/history/2?against=1", victim.ID),
		id("/testimonies/%d", tm.ID), id("/testimonies/%d/history", tm.ID), id("/testimonies/%d/history/2", tm.ID),
		id("/testimonies/%d/history/1", tm.ID),
		id("/incidents/%d", in.ID), id("/incidents/%d/history", in.ID), id("/incidents/%d/history/2", in.ID),
		id("/cases/%d/history", c.ID), id("/cases/%d/history/2", c.ID),
		id("/figures/%d/history", fig.ID), id("/figures/%d/history/2", fig.ID),
		id("/crossing-points/%d/history", cp.ID), id("/crossing-points/%d/history/2", cp.ID),
		"/timeline", id("/timeline/%d/history", pe.ID), id("/timeline/%d/history/2", pe.ID),
	}
	for _, att := range atts {
		stored = append(stored, id("/attachments/%d", att))
	}
	for _, p := range stored {
		pc.open(p)
	}
	storedPages := pc.pages

	// The payloads did reach the pages, as text.
	pc.open(id("/attachments/%d", atts[0]))
	if meta := pc.text("#metadata-table"); !strings.Contains(meta, `<img src=x onerror="window.__xss=1">`) {
		t.Errorf("the JPEG comment is not shown as text: %q", meta)
	}
	if h := pc.text("h1"); !strings.Contains(h, `onfocus='window.__xss=1'`) {
		t.Errorf("the file name is not shown as text: %q", h)
	}
	pc.open(id("/testimonies/%d/history/2", tm.ID))
	if body := pc.text("main"); !strings.Contains(body, "</textarea><script>window.__xss=1</script>") {
		t.Errorf("the diff does not show the narrative as text")
	}

	// Reflected input: every query parameter the list pages read, set to
	// all payloads at once, then the path itself.
	reflected := map[string][]string{
		"/":                                    {"msg"},
		"/testimonies":                         {"q", "mode", "nationality", "from", "to", "cursor", "msg"},
		"/incidents":                           {"q", "crossing_point", "kind", "violence_type", "verification", "nationality", "from", "to", "cursor", "msg"},
		"/cases":                               {"q", "nationality", "mine", "cursor", "msg"},
		"/figures":                             {"measure", "msg"},
		"/crossing-points":                     {"on", "msg"},
		"/timeline":                            {"crossing_point", "msg"},
		"/search":                              {"q"},
		"/users":                               {"msg"},
		"/audit":                               {"msg"},
		"/account":                             {"msg"},
		"/reauth":                              {"next"},
		id("/testimonies/%d/history/2", tm.ID): {"against"},
	}
	params := 0
	for path, names := range reflected {
		for _, name := range names {
			pc.open(path + "?" + url.Values{name: {long}}.Encode())
			params++
		}
	}
	pc.open("/testimonies?" + url.Values{"q": {long}}.Encode())
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main input[name=q]").value`)); !strings.Contains(v, "<script>window.__xss=1</script>") {
		t.Errorf("the reflected query is not kept as the input's value: %q", v)
	}
	pc.open("/no-such-page/" + url.PathEscape(short(0)))
	pc.open("/testimonies/" + url.PathEscape(short(1)))

	// The second step of a login with two-factor authentication reflects
	// ?next= into its form: log out, and in again as a user with a factor.
	mfa := domain.User{Username: "mfa-user", Role: "coordinator", DisplayName: short(3)}
	if _, err := a.Service.CreateUser(ctx0, sys, &mfa, "mfa-user-password"); err != nil {
		t.Fatal(err)
	}
	enrol, err := a.Service.BeginMFAEnrolment(ctx0, service.ActorOf(mfa))
	must(t, err, "begin enrolment")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(enrol.SecretText, " ", ""))
	must(t, err, "secret")
	_, err = a.Service.ConfirmMFAEnrolment(ctx0, service.ActorOf(mfa), "", auth.TOTPCode(secret, auth.TOTPStep(time.Now())))
	must(t, err, "confirm enrolment")
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(a.URL()+"/"),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("username"), "mfa-user"),
		chromedp.SendKeys(chromedp.ID("password"), "mfa-user-password"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("code-form")),
	), "half a login")
	pc.open("/login/2fa?" + url.Values{"next": {long}}.Encode())
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#code-form").length`)); n != 1 {
		t.Error("the second-factor form is not shown")
	}
	params++
	pc.open("/login?" + url.Values{"next": {long}, "msg": {long}}.Encode())
	params += 2

	t.Logf("%d payloads; %d pages with stored payloads, %d reflected parameters, %d page loads checked in all (each for a run script, payload markup and the CSP header)",
		len(payloads), storedPages, params, pc.pages)
}
