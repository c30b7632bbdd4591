package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"vigil/internal/domain"
)

// xssPayloads try to break out of text, attributes, textareas and URLs.
// Each sets window.__xss when it runs, and each would leave an element
// with an event handler or a script in the DOM if it were not escaped.
var xssPayloads = []string{
	`<script>window.__xss=1</script>`,
	`<img src=x onerror="window.__xss=1">`,
	`"><svg onload="window.__xss=1">`,
	`'><iframe srcdoc="<script>parent.__xss=1</script>">`,
	`</textarea><script>window.__xss=1</script>`,
	`</title><script>window.__xss=1</script>`,
	`<a href="javascript:window.__xss=1">x</a>`,
	`{{.Lang}}<style>body{display:none}</style>`,
	"\u202e<b onmouseover=window.__xss=1>rtl</b>",
}

// TestNoScriptRunsFromStoredText stores the payloads in every free-text
// field of every record type and opens every page that shows them in
// headless Chromium: no payload may run, and none may become markup.
func TestNoScriptRunsFromStoredText(t *testing.T) {
	a := startApp(t)
	ctx0, sys := context.Background(), domain.System
	p := strings.Join(xssPayloads, " ")
	short := func(i int) string { return xssPayloads[i%len(xssPayloads)] }

	cp := domain.CrossingPoint{Code: "vaalimaa", NameEN: short(1), NameFI: short(2), NameRU: short(3), Country: "FI", Mode: "road",
		Counterpart: short(5), Municipality: short(6), Notes: p}
	must(t, a.Service.SaveCrossingPoint(ctx0, sys, &cp), "crossing point")
	pe := domain.PolicyEvent{When: domain.FuzzyDate{From: domain.MustDate("2023-11-18"), To: domain.MustDate("2023-11-18"), Precision: "day"},
		Kind: "closed", CrossingPoints: []string{"vaalimaa"}, Detail: p, Source: domain.Source{Publisher: short(0), URL: "https://example.org/?q=\"><script>window.__xss=1</script>"}}
	must(t, a.Service.SavePolicyEvent(ctx0, sys, &pe), "policy event")
	fig := domain.Figure{PeriodTo: domain.MustDate("2024-01-29"), Measure: "asylum_seekers", Value: 1271, Unit: "persons",
		Producer: short(1), Note: p, Source: domain.Source{Publisher: short(2)}}
	must(t, a.Service.SaveFigure(ctx0, sys, &fig), "figure")
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: p, PublicQuotes: p, Language: "ar",
		Narrator: domain.Narrator{Pseudonym: short(1)}, Consent: domain.Consent{Store: true, QuotePublicly: true}}
	must(t, a.Service.CreateTestimony(ctx0, sys, &tm), "testimony")
	in := domain.Incident{Title: short(1), Place: short(2), PerpetratorUnit: short(3), Summary: p, PublicSummary: p, Kinds: []string{"pushback"},
		Verification: domain.Verification{Status: "disputed", Reason: p}, CrossingPoint: "vaalimaa"}
	must(t, a.Service.CreateIncident(ctx0, sys, &in), "incident")
	must(t, a.Service.Link(ctx0, sys, domain.Link{TestimonyID: tm.ID, IncidentID: in.ID, Relation: "victim", Note: p}), "link")
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: short(2), Identity: domain.Identity{Name: short(3), Phone: "+358 <b>"}}, Notes: p,
		CrossingPoint: "vaalimaa", Events: []domain.ProcedureEvent{{On: domain.MustDate("2023-11-20"), Kind: "applied", Note: p}}}
	must(t, a.Service.SaveCase(ctx0, sys, &c), "case")
	admin := domain.User{Username: "root", Role: "admin", DisplayName: short(1)}
	if _, err := a.Service.CreateUser(ctx0, sys, &admin, "admin-password-1"); err != nil {
		t.Fatal(err)
	}

	ctx := browser(t)
	login(t, ctx, a.URL(), "root", "admin-password-1")
	pages := []string{
		"/", "/testimonies", fmt.Sprintf("/testimonies/%d", tm.ID), fmt.Sprintf("/testimonies/%d/edit", tm.ID),
		"/incidents", fmt.Sprintf("/incidents/%d", in.ID), fmt.Sprintf("/incidents/%d/edit", in.ID),
		"/crossing-points", fmt.Sprintf("/crossing-points/%d", cp.ID), fmt.Sprintf("/crossing-points/%d/edit", cp.ID),
		"/timeline", fmt.Sprintf("/timeline/%d/edit", pe.ID),
		"/figures", fmt.Sprintf("/figures/%d", fig.ID), fmt.Sprintf("/figures/%d/edit", fig.ID),
		"/cases", fmt.Sprintf("/cases/%d", c.ID), fmt.Sprintf("/cases/%d/edit", c.ID),
		"/users", "/account", "/search?q=" + "script",
		"/search?q=%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E", "/testimonies?q=%22%3E%3Csvg%20onload%3Dwindow.__xss%3D1%3E",
		"/login?next=%22%3E%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E",
	}
	checked := 0
	for _, path := range pages {
		must(t, chromedp.Do(ctx, chromedp.Navigate(a.URL()+path), chromedp.WaitReady(chromedp.CSS("body"))), path)
		ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__xss === 1`))
		must(t, err, path)
		if ran {
			t.Errorf("%s: a stored payload ran", path)
		}
		markup, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("main script, [onerror], [onload], [onmouseover], iframe, main style, a[href^='javascript:']").length`))
		must(t, err, path)
		if markup != 0 {
			t.Errorf("%s: %d payload elements became markup", path, markup)
		}
		checked++
	}
	// The payload text itself must be on the record page, shown as text.
	must(t, chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/testimonies/%d", a.URL(), tm.ID))), "testimony")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("narrative-text")))
	must(t, err, "narrative")
	if !strings.Contains(text, `<img src=x onerror="window.__xss=1">`) {
		t.Errorf("narrative not shown as text: %q", text)
	}
	if checked != len(pages) {
		t.Fatalf("checked %d of %d pages", checked, len(pages))
	}
}
