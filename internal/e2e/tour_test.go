package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"vigil/internal/app"
	"vigil/internal/domain"
	"vigil/internal/store"
)

var missingKeyRE = regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`)

// TestTourOfPages opens every page of the demo scenario as the admin, at a
// laptop and at a phone width, in English and Finnish, and checks that
// each one renders with no missing translation and nothing wider than the
// screen (tables scroll inside their own box).
func TestTourOfPages(t *testing.T) {
	a := startApp(t)
	ctx0 := context.Background()
	logins, err := app.LoadDemo(ctx0, a.Service)
	if err != nil {
		t.Fatal(err)
	}
	var adminPW string
	for _, l := range logins {
		if l.Username == "admin" {
			adminPW = l.Password
		}
	}
	incs, _, err := a.Store.ListIncidents(ctx0, store.IncidentFilter{}, domain.Page{Limit: 1})
	if err != nil || len(incs) == 0 {
		t.Fatal("no demo incident", err)
	}
	tes, _, _ := a.Store.ListTestimonies(ctx0, store.TestimonyFilter{}, domain.Page{Limit: 1})
	cases, _, _ := a.Store.ListCases(ctx0, store.CaseFilter{}, domain.Page{Limit: 1})
	points, _ := a.Store.ListCrossingPoints(ctx0)
	figs, _, _ := a.Store.ListFigures(ctx0, store.FigureFilter{}, domain.Page{Limit: 1})
	if len(tes) == 0 || len(cases) == 0 || len(points) == 0 || len(figs) == 0 {
		t.Fatal("demo data incomplete")
	}
	// Another account that is logged in somewhere, for the page where an
	// administrator sees its sessions.
	var other domain.User
	for _, l := range logins {
		if l.Username != "admin" && other.ID == 0 {
			if other, err = a.Store.GetUserByUsername(ctx0, l.Username); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := a.Service.StartSession(ctx0, other); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{
		"dashboard":       "/",
		"testimonies":     "/testimonies",
		"testimony":       fmt.Sprintf("/testimonies/%d", tes[0].ID),
		"testimony-edit":  fmt.Sprintf("/testimonies/%d/edit", tes[0].ID),
		"testimony-new":   "/testimonies/new",
		"incidents":       "/incidents",
		"incident":        fmt.Sprintf("/incidents/%d", incs[0].ID),
		"incident-edit":   fmt.Sprintf("/incidents/%d/edit", incs[0].ID),
		"incident-new":    "/incidents/new",
		"cases":           "/cases",
		"case":            fmt.Sprintf("/cases/%d", cases[0].ID),
		"case-edit":       fmt.Sprintf("/cases/%d/edit", cases[0].ID),
		"crossing-points": "/crossing-points?on=2023-11-25",
		"crossing-point":  fmt.Sprintf("/crossing-points/%d", points[0].ID),
		"timeline":        "/timeline",
		"figures":         "/figures",
		"figure":          fmt.Sprintf("/figures/%d", figs[0].ID),
		"users":           "/users",
		"user":            fmt.Sprintf("/users/%d/edit", other.ID),
		"account":         "/account",
		"search":          "/search?q=border",
	}
	ctx := browser(t)
	login(t, ctx, a.URL(), "admin", adminPW)
	for _, lang := range []string{"en", "fi"} {
		must(t, chromedp.Do(ctx, chromedp.Navigate(a.URL()+"/")), "dashboard")
		// Wait for the navigation the click starts (a POST, then a redirect)
		// to finish: a page that is already showing .stats would not tell,
		// and the next Navigate would abort it.
		_, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`.lang button[value="`+lang+`"]`)))
		must(t, err, "switch language")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] .stats`))), "language switched")
		for _, width := range []int64{1280, 390} {
			must(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)), "viewport")
			for name, path := range pages {
				must(t, chromedp.Do(ctx, chromedp.Navigate(a.URL()+path), chromedp.WaitVisible(chromedp.CSS("main h1"))), name)
				body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
				must(t, err, name)
				if m := missingKeyRE.FindString(body); m != "" {
					t.Errorf("%s (%s): missing translation %s", name, lang, m)
				}
				if strings.Contains(body, "internal error") {
					t.Errorf("%s (%s): internal error", name, lang)
				}
				over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
				must(t, err, name)
				if over {
					t.Errorf("%s (%s) is wider than a %d px screen", name, lang, width)
				}
				shot(t, ctx, fmt.Sprintf("%s-%s-%d", name, lang, width))
			}
		}
	}
}
