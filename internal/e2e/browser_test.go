// Package e2e drives the real Vigil program in headless Chromium, as a
// person would use it. It runs when Chromium is installed (make test
// installs it and sets VIGIL_E2E=1, which turns a missing browser into a
// failure instead of a skip).
package e2e

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/app"
	"vigil/internal/auth"
	"vigil/internal/domain"
)

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VIGIL_E2E") == "1" {
		t.Fatal("VIGIL_E2E=1 but no Chromium is installed (apt-get install chromium)")
	}
	t.Skip("no Chromium installed; `make test` installs it")
	return ""
}

// startApp runs the real program on a free port over a fresh encrypted store.
func startApp(t *testing.T) *app.App {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	a, err := app.Run(context.Background(), app.Config{DataDir: t.TempDir(), Key: key, Addr: "127.0.0.1:0",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a.Service.PasswordParams = auth.TestParams
	t.Cleanup(func() { a.Close() })
	return a
}

// browser starts headless Chromium with no network chatter of its own.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func login(t *testing.T, ctx context.Context, base, user, pw string) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(".stats")),
	), "log in")
}

var idInPath = regexp.MustCompile(`/(testimonies|incidents)/(\d+)`)

// TestRecordLinkSearch is the core path: log in, record a testimony, create
// an incident, link them, and find both by search.
func TestRecordLinkSearch(t *testing.T) {
	a := startApp(t)
	u := domain.User{Username: "coord", Role: "coordinator"}
	if _, err := a.Service.CreateUser(context.Background(), domain.System, &u, "coordinator-password"); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	base := a.URL()
	login(t, ctx, base, "coord", "coordinator-password")

	// A testimony with a script payload in it: it must show as text.
	narrative := "We crossed near the quokkafence post at night. <img src=x onerror=\"document.title='pwned'\"> The guard shouted."
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/testimonies/new"),
		chromedp.SetValue(chromedp.ID("received_on"), "2024-03-01"),
		chromedp.SendKeys(chromedp.ID("narrator_pseudonym"), "Samir"),
		chromedp.SendKeys(chromedp.ID("narrative"), narrative),
		chromedp.Click(chromedp.ID("testimony-save")),
		chromedp.WaitVisible(chromedp.ID("narrative-text")),
	), "record a testimony")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(t, err, "location")
	m := idInPath.FindStringSubmatch(loc)
	if m == nil || m[1] != "testimonies" {
		t.Fatalf("after saving a testimony the browser is at %s", loc)
	}
	testimonyID := m[2]
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("narrative-text")))
	must(t, err, "read narrative")
	if !strings.Contains(shown, "<img src=x") {
		t.Errorf("narrative not shown as text: %q", shown)
	}
	title, _ := chromedp.Run(ctx, chromedp.Title())
	if title == "pwned" {
		t.Fatal("a script in a narrative ran")
	}

	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/incidents/new"),
		chromedp.SendKeys(chromedp.ID("title"), "Group turned back at the quokkafence post"),
		chromedp.SetValue(chromedp.ID("when"), "2023-12"),
		chromedp.Click(chromedp.CSS(`input[name="kinds"][value="pushback"]`)),
		chromedp.SendKeys(chromedp.ID("summary"), "Reported by one narrator; not yet corroborated."),
		chromedp.Click(chromedp.ID("incident-save")),
		chromedp.WaitVisible(chromedp.ID("incident-title")),
	), "create an incident")
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	if m = idInPath.FindStringSubmatch(loc); m == nil || m[1] != "incidents" {
		t.Fatalf("after saving an incident the browser is at %s", loc)
	}

	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("testimony_id"), testimonyID),
		chromedp.SetValue(chromedp.ID("relation"), "eyewitness"),
		chromedp.Click(chromedp.ID("link-save")),
		chromedp.WaitVisible(chromedp.ID("links-table")),
	), "link the testimony")
	links, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("links-table")))
	must(t, err, "read links")
	if !strings.Contains(links, "Samir") {
		t.Errorf("links table does not show the narrator: %q", links)
	}

	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.SendKeys(chromedp.ID("q-top"), "quokkafence\n"),
		chromedp.WaitVisible(chromedp.ID("search-incidents")),
	), "search")
	inc, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("search-incidents")))
	must(t, err, "incident results")
	tes, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("search-testimonies")))
	must(t, err, "testimony results")
	if !strings.Contains(inc, "Group turned back") || !strings.Contains(tes, "Samir") {
		t.Errorf("search did not find both: incidents %q, testimonies %q", inc, tes)
	}
	shot(t, ctx, "search")
}

// shot saves a screenshot when VIGIL_SCREENSHOTS names a folder.
func shot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("VIGIL_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
}
