package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/service"
)

// Session fixation and brute force (issue 3, part 9), beyond what
// security_test.go covers: a session planted in the victim's browser never
// becomes theirs, the token changes at every step of a login, logout ends
// the session on the server, and wrong second-factor codes, wrong
// re-authentication passwords and wrong API tokens get no more tries than
// wrong passwords do.

// sessionUser is who the server thinks a session token belongs to ("" for
// nobody).
func (e *secEnv) sessionUser(token string) string {
	st, err := e.Svc.Session(context.Background(), token)
	if err != nil {
		return ""
	}
	return st.User.Username
}

// whoRE finds the signed-in username in the page header.
var whoRE = regexp.MustCompile(`<a href="/account" class="who">([^<]+)</a>`)

// whoAmI asks the server, with only this cookie, whose account page it is.
func (e *secEnv) whoAmI(t *testing.T, token string) string {
	t.Helper()
	b := e.browser("198.51.100.250")
	b.cookies[sessionCookie] = token
	w := b.get(t, "/account")
	if w.Code != http.StatusOK {
		return ""
	}
	m := whoRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("account page without the username: %s", w.Body.String())
	}
	return m[1]
}

func TestSessionFixation(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	e.account(t, "mallory", "coordinator")
	attacker := e.browser("203.0.113.66")
	wantStatus(t, "the attacker logs in", attacker.login(t, "mallory", "mallory-password-long"), 303, "/")
	mallorys := attacker.cookies[sessionCookie]
	if e.whoAmI(t, mallorys) != "mallory" {
		t.Fatal("the attacker's own session does not work")
	}

	cases := []struct {
		name  string
		plant func(t *testing.T) string
	}{
		{"random value", func(t *testing.T) string { return auth.NewSecret("", 32) }},
		{"the attacker's own valid session", func(t *testing.T) string { return mallorys }},
		{"the victim's own earlier session", func(t *testing.T) string {
			b := e.browser("198.51.100.20")
			b.login(t, "aino", "aino-password-long")
			return b.cookies[sessionCookie]
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			planted := c.plant(t)
			b := e.browser("198.51.100.21")
			b.cookies[sessionCookie] = planted
			wantStatus(t, "login", b.login(t, "aino", "aino-password-long"), 303, "/")
			got := b.cookies[sessionCookie]
			if got == "" || got == planted {
				t.Fatalf("the session token did not change at login: %q", got)
			}
			if e.whoAmI(t, got) != "aino" {
				t.Fatal("the new session is not aino's")
			}
			// The planted token is not aino's, and the login ended it.
			if u := e.sessionUser(planted); u != "" {
				t.Fatalf("the planted token still works, as %q", u)
			}
			if who := e.whoAmI(t, planted); who != "" {
				t.Fatalf("the planted token opens the account page of %q", who)
			}
		})
	}
}

func TestSessionTokenChangesThroughTwoFactorLogin(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	e.account(t, "mallory", "coordinator")
	b := e.browser("198.51.100.7")
	b.login(t, "aino", "aino-password-long")
	enrolled := b.cookies[sessionCookie]
	secret, _ := e.enrol(t, b)
	// Enrolment marks the same session as having passed the second
	// factor; the token stays (it was made by a full login).
	if b.cookies[sessionCookie] != enrolled {
		t.Fatal("the session changed during enrolment")
	}
	wantStatus(t, "logout", b.post(t, "/logout"), 303, "/login?msg=logged_out")
	if b.cookies[sessionCookie] != "" || e.sessionUser(enrolled) != "" {
		t.Fatal("logout left the session alive")
	}
	e.clk.Add(auth.TOTPPeriod)

	attacker := e.browser("203.0.113.66")
	attacker.login(t, "mallory", "mallory-password-long")
	planted1 := attacker.cookies[sessionCookie]
	b.cookies[sessionCookie] = planted1
	w := b.login(t, "aino", "aino-password-long")
	wantStatus(t, "password step", w, 303, "/login/2fa?next=%2F")
	pending := b.cookies[pendingCookie]
	if pending == "" || b.cookies[sessionCookie] != "" || e.sessionUser(planted1) != "" {
		t.Fatalf("after the password: cookies %v, planted alive as %q", b.cookies, e.sessionUser(planted1))
	}
	// The attacker plants a session again between the two steps.
	attacker.login(t, "mallory", "mallory-password-long")
	planted2 := attacker.cookies[sessionCookie]
	b.cookies[sessionCookie] = planted2
	wantStatus(t, "code step", b.post(t, "/login/2fa", "code", e.code(secret), "next", "/"), 303, "/")
	final := b.cookies[sessionCookie]
	for name, old := range map[string]string{"planted before the password": planted1, "planted before the code": planted2, "pending": pending} {
		if final == old {
			t.Fatalf("the session token after 2FA is the %s token", name)
		}
	}
	if b.cookies[pendingCookie] != "" {
		t.Fatal("the pending cookie outlived the login")
	}
	if e.sessionUser(final) != "aino" || e.sessionUser(planted2) != "" || e.sessionUser(pending) != "" {
		t.Fatalf("sessions after 2FA: final %q, planted %q, pending %q", e.sessionUser(final), e.sessionUser(planted2), e.sessionUser(pending))
	}
	// The finished half-login cannot be completed a second time.
	e.clk.Add(auth.TOTPPeriod)
	replay := e.browser("198.51.100.8")
	replay.cookies[pendingCookie] = pending
	wantStatus(t, "pending token reused", replay.post(t, "/login/2fa", "code", e.code(secret)), 303, "/login?msg=login_expired")
	if replay.cookies[sessionCookie] != "" {
		t.Fatal("a reused pending token gave a session")
	}

	// Logout ends it on the server: a copy of the cookie no longer works.
	wantStatus(t, "logged in", b.get(t, "/"), 200, "")
	wantStatus(t, "logout", b.post(t, "/logout"), 303, "/login?msg=logged_out")
	stolen := e.browser("203.0.113.66")
	stolen.cookies[sessionCookie] = final
	wantStatus(t, "the old cookie after logout", stolen.get(t, "/"), 303, "/login?next=%2F")
	if stolen.cookies[sessionCookie] != "" {
		t.Fatal("the server did not clear the dead cookie")
	}
	if e.whoAmI(t, final) != "" {
		t.Fatal("the old cookie still opens the account page")
	}
}

// TestWrongCodesCountAgainstTheAccount: with a stolen password, guessing
// the second factor over many half-finished logins (each ended after
// MaxCodeAttempts) still locks the account after AccountThrottle.Free
// failures, at the password step and at the code step alike, and even the
// right code is refused while it is locked.
func TestWrongCodesCountAgainstTheAccount(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	own := e.browser("198.51.100.7")
	own.login(t, "aino", "aino-password-long")
	secret, _ := e.enrol(t, own)
	e.clk.Add(auth.TOTPPeriod)

	if AccountThrottleFree := service.AccountThrottle.Free; AccountThrottleFree >= 2*service.MaxCodeAttempts {
		t.Fatalf("the test assumes the account locks within two half-logins (%d free)", AccountThrottleFree)
	}
	guesses := []string{"000000", "123456", "aaaa-bbbb-cccc", "999999", "zzzz-zzzz-zzzz", "654321", "111111", "222222"}
	failures, ip := 0, 10
	var last *browser
	for failures < service.AccountThrottle.Free {
		// Each half-login from a new address: only the account's count
		// can stop the guessing.
		b := e.browser("192.0.2." + itoa(ip))
		ip++
		wantStatus(t, "password", b.login(t, "aino", "aino-password-long"), 303, "/login/2fa?next=%2F")
		for i := 0; i < service.MaxCodeAttempts-1 && failures < service.AccountThrottle.Free; i++ {
			g := guesses[failures%len(guesses)]
			if g == e.code(secret) {
				g = wrongCode(secret, e.clk.Now())
			}
			wantStatus(t, "wrong code", b.post(t, "/login/2fa", "code", g), 401, "")
			failures++
		}
		last = b
	}
	// Locked: the half-login still alive gets 429 even for the right code,
	// and a new login gets 429 even with the right password.
	w := last.post(t, "/login/2fa", "code", e.code(secret))
	wantStatus(t, "right code while locked", w, 429, "")
	if w.Header().Get("Retry-After") == "" || last.cookies[sessionCookie] != "" {
		t.Fatalf("locked code step: Retry-After %q, cookies %v", w.Header().Get("Retry-After"), last.cookies)
	}
	wantStatus(t, "password while locked", e.browser("192.0.2.99").login(t, "aino", "aino-password-long"), 429, "")
	// The lock passes; the half-login that waited finishes with a fresh code.
	e.clk.Add(service.AccountThrottle.Base + time.Second)
	wantStatus(t, "right code after the lock", last.post(t, "/login/2fa", "code", e.code(secret), "next", "/"), 303, "/")
	if acts := e.auditActions(t, e.userID(t, "aino")); !contains(acts, "login_locked") {
		t.Errorf("the lock is not audited: %v", acts)
	}
}

func (e *secEnv) userID(t *testing.T, name string) int64 {
	t.Helper()
	u, err := e.Svc.Store.GetUserByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestReauthIsThrottled: someone with a stolen session who guesses the
// password at the re-authentication form is locked out like at the login
// form, and the lock holds for the login form too.
func TestReauthIsThrottled(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "root", "admin")
	b := e.browser("198.51.100.1")
	b.login(t, "root", "root-password-long")
	e.clk.Add(service.ReauthWindow + time.Second)
	for i := 0; i < service.AccountThrottle.Free; i++ {
		wantStatus(t, "wrong password", b.post(t, "/reauth", "password", "guess-"+itoa(i), "next", "/users/new"), 422, "")
	}
	w := b.post(t, "/reauth", "password", "root-password-long", "next", "/users/new")
	wantStatus(t, "right password while locked", w, 429, "")
	wantStatus(t, "still not re-authenticated", b.get(t, "/users/new"), 303, "/reauth?next=%2Fusers%2Fnew&msg=reauth_needed")
	wantStatus(t, "login form while locked", e.browser("198.51.100.2").login(t, "root", "root-password-long"), 429, "")
	e.clk.Add(service.AccountThrottle.Base + time.Second)
	wantStatus(t, "right password after the lock", b.post(t, "/reauth", "password", "root-password-long", "next", "/users/new"), 303, "/users/new")
}

// TestAPITokenGuessing: the API has no password login; tokens are 256-bit
// random secrets, so guessing is hopeless rather than throttled. What must
// hold is that a wrong token teaches nothing (malformed, unknown, revoked
// and a disabled user's tokens get one identical answer) and that a flood
// of wrong tokens does not lock out the right one.
func TestAPITokenGuessing(t *testing.T) {
	e := newSecEnv(t)
	ctx := context.Background()
	u := e.account(t, "aino", "monitor")
	good, err := e.Svc.CreateAPIToken(ctx, domain.System, u.ID, "script")
	must(t, err)
	revoked, err := e.Svc.CreateAPIToken(ctx, domain.System, u.ID, "old")
	must(t, err)
	toks, err := e.Svc.ListAPITokens(ctx, service.ActorOf(u))
	must(t, err)
	for _, tk := range toks {
		if tk.Name == "old" {
			must(t, e.Svc.RevokeUserAPIToken(ctx, domain.System, u.ID, tk.ID))
		}
	}
	gone := e.account(t, "gone", "monitor")
	disabledTok, err := e.Svc.CreateAPIToken(ctx, domain.System, gone.ID, "script")
	must(t, err)
	gone.Disabled = true
	must(t, e.Svc.UpdateUser(ctx, domain.System, &gone))

	type answer struct {
		code int
		body string
	}
	ask := func(tok string) answer {
		w := e.api(t, "GET", "/api/v1/me", tok, "")
		return answer{w.Code, w.Body.String()}
	}
	want := ask("vgl_" + strings.Repeat("A", 43))
	if want.code != http.StatusUnauthorized {
		t.Fatalf("unknown token: %+v", want)
	}
	for name, tok := range map[string]string{
		"malformed": "not-a-token", "no prefix": good[len(service.APITokenPrefix):], "truncated": good[:len(good)-1],
		"revoked": revoked, "disabled user": disabledTok, "sql": "vgl_' OR '1'='1", "empty bearer": " ",
	} {
		if got := ask(tok); got != want {
			t.Errorf("%s token: %+v, want the same answer as an unknown one %+v", name, got, want)
		}
	}
	for i := 0; i < 200; i++ {
		ask(auth.NewSecret(service.APITokenPrefix, 32))
	}
	if got := ask(good); got.code != http.StatusOK || !strings.Contains(got.body, `"aino"`) {
		t.Fatalf("the right token after a flood of wrong ones: %+v", got)
	}
}
