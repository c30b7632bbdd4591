package e2e

import (
	"context"
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/auth"
	"vigil/internal/domain"
)

// TestTwoFactorInBrowser sets up two-factor authentication as a person
// would (the QR code must show under the page's strict CSP), then logs in
// again with a recovery code.
func TestTwoFactorInBrowser(t *testing.T) {
	a := startApp(t)
	u := domain.User{Username: "aino", Role: "coordinator"}
	if _, err := a.Service.CreateUser(context.Background(), domain.System, &u, "coordinator-password"); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	base := a.URL()
	login(t, ctx, base, "aino", "coordinator-password")
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/account/2fa"),
		chromedp.Click(chromedp.ID("setup-mfa")),
		chromedp.WaitVisible(chromedp.ID("totp-qr")),
	), "start the set-up")
	shot(t, ctx, "2fa-setup")
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("totp-qr").naturalWidth`))
	must(t, err, "QR width")
	if width < 100 {
		t.Fatalf("the QR code did not load (natural width %d): blocked by the CSP?", width)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("totp-secret")))
	must(t, err, "read the secret")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(strings.TrimSpace(text), " ", ""))
	must(t, err, "decode the secret")
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), auth.TOTPCode(secret, auth.TOTPStep(time.Now()))),
		chromedp.Click(chromedp.ID("confirm-submit")),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	), "confirm the set-up")
	shot(t, ctx, "2fa-recovery-codes")
	codes, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("recovery-codes")))
	must(t, err, "read the recovery codes")
	first := strings.Fields(codes)[0]

	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("username"), "aino"),
		chromedp.SendKeys(chromedp.ID("password"), "coordinator-password"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("code-form")),
	), "log in again")
	shot(t, ctx, "2fa-login")
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), first),
		chromedp.Click(chromedp.ID("code-submit")),
		chromedp.WaitVisible(chromedp.CSS(".stats")),
	), "log in with a recovery code")
}
