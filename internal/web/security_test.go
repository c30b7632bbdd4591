package web

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/service"
)

func init() {
	for pat, roles := range map[string]string{
		"GET /login/2fa":                           "*",
		"POST /login/2fa":                          "*",
		"POST /login/2fa/reset":                    "*",
		"GET /reauth":                              "ACMLN",
		"POST /reauth":                             "ACMLN",
		"GET /account/2fa":                         "ACMLN",
		"POST /account/2fa/setup":                  "ACMLN",
		"POST /account/2fa/confirm":                "ACMLN",
		"POST /account/2fa/recovery-codes":         "ACMLN",
		"POST /account/2fa/disable":                "ACMLN",
		"GET /account/sessions":                    "ACMLN",
		"POST /account/sessions/{id}/revoke":       "ACMLN",
		"POST /account/sessions/revoke-others":     "ACMLN",
		"GET /admin/security":                      "A",
		"POST /admin/security/roles":               "A",
		"POST /admin/security/resets":              "A",
		"POST /admin/security/resets/{id}/approve": "A",
		"POST /admin/security/resets/{id}/reject":  "A",
	} {
		expectedAccess[pat] = roles
	}
}

// clock is the service's clock in these tests: it moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type secEnv struct {
	*testEnv
	clk *clock
}

func newSecEnv(t *testing.T) *secEnv {
	t.Helper()
	env := newTestServer(t)
	env.Svc.MasterKey = make([]byte, 32)
	_, _ = rand.Read(env.Svc.MasterKey)
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	env.Svc.Now = clk.Now
	return &secEnv{testEnv: env, clk: clk}
}

// account creates a user with a known password.
func (e *secEnv) account(t *testing.T, name, role string) domain.User {
	t.Helper()
	u := domain.User{Username: name, Role: role}
	if _, err := e.Svc.CreateUser(context.Background(), domain.System, &u, name+"-password-long"); err != nil {
		t.Fatal(err)
	}
	return u
}

// browser keeps cookies as a browser would: it stores what Set-Cookie
// says and sends it back, so cookie rotation is tested for real.
type browser struct {
	e       *secEnv
	ip      string
	ua      string
	cookies map[string]string
}

func (e *secEnv) browser(ip string) *browser {
	return &browser{e: e, ip: ip, ua: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		cookies: map[string]string{}}
}

func (b *browser) do(t *testing.T, method, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = b.ip + ":40000"
	r.Header.Set("User-Agent", b.ua)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.e.H.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return w
}

func (b *browser) get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	return b.do(t, "GET", path, nil)
}

func (b *browser) post(t *testing.T, path string, kv ...string) *httptest.ResponseRecorder {
	t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return b.do(t, "POST", path, v)
}

func (b *browser) login(t *testing.T, name, password string) *httptest.ResponseRecorder {
	t.Helper()
	return b.post(t, "/login", "username", name, "password", password, "next", "/")
}

func wantStatus(t *testing.T, what string, w *httptest.ResponseRecorder, status int, location string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("%s: status %d, want %d; location %q body %.300s", what, w.Code, status, w.Header().Get("Location"), w.Body.String())
	}
	if location != "" && w.Header().Get("Location") != location {
		t.Fatalf("%s: location %q, want %q", what, w.Header().Get("Location"), location)
	}
}

var (
	totpSecretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)
	codeRE       = regexp.MustCompile(`<li><code>([a-z0-9-]{14})</code></li>`)
	alertRE      = regexp.MustCompile(`(?s)<div class="alert" role="alert"><p>(.*?)</p>`)
	sessionRE    = regexp.MustCompile(`<tr id="session-([0-9a-f]+)">`)
	thisRowRE    = regexp.MustCompile(`<tr id="session-([0-9a-f]+)">\s*<td[^>]*>[^<]*(?:<span class="badge open">[^<]*</span>)?\s*<span class="badge" id="this-session">`)
	resetRowRE   = regexp.MustCompile(`<tr id="reset-(\d+)">`)
)

// enrol turns on two-factor authentication in a signed-in browser and
// returns the secret and the recovery codes.
func (e *secEnv) enrol(t *testing.T, b *browser) ([]byte, []string) {
	t.Helper()
	wantStatus(t, "2fa page", b.get(t, "/account/2fa"), 200, "")
	w := b.post(t, "/account/2fa/setup")
	wantStatus(t, "setup", w, 200, "")
	if !strings.Contains(w.Body.String(), `src="data:image/png;base64,`) {
		t.Fatal("the set-up page has no inline QR code")
	}
	m := totpSecretRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no secret on the set-up page: %s", w.Body.String())
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	// A wrong first code shows the same secret again.
	w = b.post(t, "/account/2fa/confirm", "code", wrongCode(secret, e.clk.Now()))
	wantStatus(t, "wrong first code", w, 422, "")
	if !strings.Contains(w.Body.String(), m[1]) {
		t.Fatal("after a wrong first code the set-up shows another secret")
	}
	w = b.post(t, "/account/2fa/confirm", "code", auth.TOTPCode(secret, auth.TOTPStep(e.clk.Now())))
	wantStatus(t, "confirm", w, 200, "")
	var codes []string
	for _, c := range codeRE.FindAllStringSubmatch(w.Body.String(), -1) {
		codes = append(codes, c[1])
	}
	if len(codes) != service.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown: %s", len(codes), w.Body.String())
	}
	return secret, codes
}

// wrongCode is a six-digit code that matches no step around now.
func wrongCode(secret []byte, now time.Time) string {
	s := auth.TOTPStep(now)
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if c != auth.TOTPCode(secret, s-1) && c != auth.TOTPCode(secret, s) && c != auth.TOTPCode(secret, s+1) {
			return c
		}
	}
	panic("unreachable")
}

func (e *secEnv) code(secret []byte) string { return auth.TOTPCode(secret, auth.TOTPStep(e.clk.Now())) }

// auditActions lists the audited actions on a user, oldest first.
func (e *secEnv) auditActions(t *testing.T, userID int64) []string {
	t.Helper()
	rows, err := e.Svc.Store.DB().Query(e.Svc.Store.Rebind(`SELECT action FROM audit_log WHERE entity = 'user' AND entity_id = ? ORDER BY seq`), userID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestLoginWithTwoFactor(t *testing.T) {
	e := newSecEnv(t)
	u := e.account(t, "aino", "monitor")
	b := e.browser("198.51.100.7")
	wantStatus(t, "login without 2FA", b.login(t, "aino", "aino-password-long"), 303, "/")
	elsewhere := e.browser("198.51.100.70")
	wantStatus(t, "a second login without 2FA", elsewhere.login(t, "aino", "aino-password-long"), 303, "/")
	secret, codes := e.enrol(t, b)
	// Sessions opened without the second factor end when it is turned on;
	// the one that turned it on stays.
	wantStatus(t, "the other session after enrolment", elsewhere.get(t, "/"), 303, "/login?next=%2F")
	wantStatus(t, "this session after enrolment", b.get(t, "/"), 200, "")
	wantStatus(t, "logout", b.post(t, "/logout"), 303, "")

	// The password alone gives a half-finished login, not a session.
	w := b.login(t, "aino", "aino-password-long")
	wantStatus(t, "password step", w, 303, "/login/2fa?next=%2F")
	if b.cookies[pendingCookie] == "" || b.cookies[sessionCookie] != "" {
		t.Fatalf("after the password: cookies %v", b.cookies)
	}
	wantStatus(t, "dashboard while half logged in", b.get(t, "/"), 303, "/login?next=%2F")
	// The pending token is no session token either.
	forged := &browser{e: e, ip: b.ip, cookies: map[string]string{sessionCookie: b.cookies[pendingCookie]}}
	wantStatus(t, "pending token as a session", forged.get(t, "/"), 303, "/login?next=%2F")
	wantStatus(t, "code form", b.get(t, "/login/2fa?next=%2F"), 200, "")

	steps := []struct {
		name   string
		code   func() string
		status int
	}{
		// The code that confirmed the enrolment was used in this time
		// step: the replay guard refuses it.
		{"replayed code", func() string { return e.code(secret) }, 401},
		{"wrong code", func() string { return wrongCode(secret, e.clk.Now()) }, 401},
		{"next step's code", func() string { e.clk.Add(auth.TOTPPeriod); return e.code(secret) }, 303},
	}
	for _, s := range steps {
		w := b.post(t, "/login/2fa", "code", s.code(), "next", "/testimonies")
		wantStatus(t, s.name, w, s.status, "")
		if s.status == 401 && !strings.Contains(w.Body.String(), "That code is not right") {
			t.Errorf("%s: no message", s.name)
		}
	}
	if b.cookies[pendingCookie] != "" || b.cookies[sessionCookie] == "" {
		t.Fatalf("after the second factor: cookies %v", b.cookies)
	}
	wantStatus(t, "dashboard", b.get(t, "/"), 200, "")
	// The same code again, in a new login: refused.
	b2 := e.browser("198.51.100.8")
	wantStatus(t, "second browser password", b2.login(t, "aino", "aino-password-long"), 303, "")
	wantStatus(t, "same code in another login", b2.post(t, "/login/2fa", "code", e.code(secret)), 401, "")

	// Recovery codes work once each.
	b3 := e.browser("198.51.100.9")
	wantStatus(t, "third browser password", b3.login(t, "aino", "aino-password-long"), 303, "")
	wantStatus(t, "recovery code", b3.post(t, "/login/2fa", "code", strings.ToUpper(codes[0]), "next", "/"), 303, "/")
	wantStatus(t, "logged in by recovery code", b3.get(t, "/"), 200, "")
	b3.post(t, "/logout")
	wantStatus(t, "again", b3.login(t, "aino", "aino-password-long"), 303, "")
	wantStatus(t, "used recovery code", b3.post(t, "/login/2fa", "code", codes[0]), 401, "")
	wantStatus(t, "another recovery code", b3.post(t, "/login/2fa", "code", codes[1]), 303, "")
	w = b3.get(t, "/account/2fa")
	if !strings.Contains(w.Body.String(), "Recovery codes left: 8") {
		t.Errorf("codes left not shown: %s", w.Body.String())
	}
	acts := e.auditActions(t, u.ID)
	for _, want := range []string{"login", "mfa_enabled", "login_failed", "mfa_recovery_code_used"} {
		if !contains(acts, want) {
			t.Errorf("audit has no %s: %v", want, acts)
		}
	}
}

func TestTooManyWrongCodesEndTheLogin(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	b := e.browser("198.51.100.7")
	b.login(t, "aino", "aino-password-long")
	secret, _ := e.enrol(t, b)
	b.post(t, "/logout")
	e.clk.Add(auth.TOTPPeriod)
	wantStatus(t, "password", b.login(t, "aino", "aino-password-long"), 303, "")
	for i := 1; i < service.MaxCodeAttempts; i++ {
		wantStatus(t, "wrong code", b.post(t, "/login/2fa", "code", wrongCode(secret, e.clk.Now())), 401, "")
	}
	wantStatus(t, "last wrong code", b.post(t, "/login/2fa", "code", wrongCode(secret, e.clk.Now())), 303, "/login?msg=login_expired")
	// Even the right code does not revive it.
	wantStatus(t, "right code too late", b.post(t, "/login/2fa", "code", e.code(secret)), 303, "/login?msg=login_expired")
	if b.cookies[sessionCookie] != "" {
		t.Fatal("a session after the login was ended")
	}
}

func TestPendingLoginExpires(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	b := e.browser("198.51.100.7")
	b.login(t, "aino", "aino-password-long")
	secret, _ := e.enrol(t, b)
	b.post(t, "/logout")
	b.login(t, "aino", "aino-password-long")
	e.clk.Add(service.PendingLoginLife + time.Second)
	wantStatus(t, "late code", b.post(t, "/login/2fa", "code", e.code(secret)), 303, "/login?msg=login_expired")
}

// TestLoginThrottling checks the exponential backoff and that an unknown
// username and a real one get exactly the same answers all the way.
func TestLoginThrottling(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	type answer struct {
		status int
		alert  string
		retry  string
	}
	try := func(name, password, ip string) answer {
		w := e.browser(ip).login(t, name, password)
		a := answer{status: w.Code, retry: w.Header().Get("Retry-After")}
		if m := alertRE.FindStringSubmatch(w.Body.String()); m != nil {
			a.alert = html.UnescapeString(m[1])
		}
		return a
	}
	failed := answer{401, "Wrong username or password.", ""}
	locked := answer{429, "Too many failed attempts. Wait a few minutes before trying again.", "60"}
	// Each step is tried for the real account and for a name nobody has,
	// each from its own address so that only the per-account count grows.
	steps := []struct {
		name    string
		advance time.Duration
		want    answer
	}{
		{"failure 1", 0, failed}, {"failure 2", 0, failed}, {"failure 3", 0, failed}, {"failure 4", 0, failed},
		{"failure 5 locks for 30 s", 0, failed},
		{"locked", 0, locked},
		{"still locked after 29 s", 29 * time.Second, locked},
		{"failure 6 after 30 s locks for 60 s", 2 * time.Second, failed},
		{"locked after 31 s", 31 * time.Second, locked},
		{"failure 7 after 60 s", 30 * time.Second, failed},
		{"locked for 2 minutes", 119 * time.Second, locked},
	}
	for i, s := range steps {
		e.clk.Add(s.advance)
		real := try("aino", "wrong-password-1", "192.0.2."+itoa(10+i))
		unknown := try("nobody", "wrong-password-1", "192.0.2."+itoa(100+i))
		if real != s.want || unknown != s.want {
			t.Fatalf("%s: real %+v, unknown %+v, want %+v", s.name, real, unknown, s.want)
		}
	}
	// While locked, even the right password gets the lockout answer.
	if got := try("aino", "aino-password-long", "192.0.2.200"); got != locked {
		t.Fatalf("right password while locked: %+v", got)
	}
	// The counts are in the database: a restarted service still refuses.
	svc := service.New(e.Svc.Store)
	svc.MasterKey, svc.Now, svc.PasswordParams = e.Svc.MasterKey, e.clk.Now, auth.TestParams
	if _, err := svc.Login(context.Background(), service.LoginAttempt{Username: "aino", Password: "aino-password-long", Client: "192.0.2.201"}); err != service.ErrThrottled {
		t.Fatalf("after a restart: %v", err)
	}
	// After the lock, the right password works and clears the count.
	e.clk.Add(2 * time.Minute)
	if got := try("aino", "aino-password-long", "192.0.2.202"); got.status != 303 {
		t.Fatalf("right password after the lock: %+v", got)
	}
	if got := try("aino", "wrong-password-1", "192.0.2.203"); got != failed {
		t.Fatalf("first failure after a success: %+v", got)
	}
}

func TestClientThrottling(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	// One address trying many names: the per-client count locks it.
	for i := range service.ClientThrottle.Free {
		if w := e.browser("203.0.113.5").login(t, "user"+itoa(i), "guess-guess-guess"); w.Code != 401 {
			t.Fatalf("guess %d: %d", i, w.Code)
		}
	}
	if w := e.browser("203.0.113.5").login(t, "aino", "aino-password-long"); w.Code != 429 {
		t.Fatalf("locked client, right password: %d", w.Code)
	}
	// Another address is not affected.
	if w := e.browser("203.0.113.6").login(t, "aino", "aino-password-long"); w.Code != 303 {
		t.Fatalf("other client: %d", w.Code)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestSessionsPage(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	e.account(t, "bertta", "monitor")
	a, b := e.browser("198.51.100.1"), e.browser("198.51.100.2")
	b.ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
	a.login(t, "aino", "aino-password-long")
	b.login(t, "aino", "aino-password-long")
	other := e.browser("198.51.100.3")
	other.login(t, "bertta", "bertta-password-long")

	w := a.get(t, "/account/sessions")
	wantStatus(t, "sessions page", w, 200, "")
	page := w.Body.String()
	ids := sessionRE.FindAllStringSubmatch(page, -1)
	this := thisRowRE.FindStringSubmatch(page)
	if len(ids) != 2 || this == nil || strings.Count(page, `id="this-session"`) != 1 ||
		!strings.Contains(page, "Firefox on Linux") || !strings.Contains(page, "Chrome on Windows") {
		t.Fatalf("sessions page: %s", page)
	}
	if strings.Contains(page, "Mozilla/5.0") {
		t.Fatal("the full User-Agent is kept")
	}
	var bID string
	for _, m := range ids {
		if m[1] != this[1] {
			bID = m[1]
		}
	}
	// Someone else's session is not found by its handle.
	ow := other.get(t, "/account/sessions")
	otherID := sessionRE.FindStringSubmatch(ow.Body.String())[1]
	wantStatus(t, "revoke another user's session", a.post(t, "/account/sessions/"+otherID+"/revoke"), 404, "")
	wantStatus(t, "their session lives", other.get(t, "/"), 200, "")

	wantStatus(t, "revoke b", a.post(t, "/account/sessions/"+bID+"/revoke"), 303, "/account/sessions?msg=session_revoked")
	wantStatus(t, "b is logged out", b.get(t, "/"), 303, "/login?next=%2F")
	wantStatus(t, "a still in", a.get(t, "/"), 200, "")

	c := e.browser("198.51.100.4")
	c.login(t, "aino", "aino-password-long")
	wantStatus(t, "revoke others", a.post(t, "/account/sessions/revoke-others"), 303, "/account/sessions?msg=sessions_revoked")
	wantStatus(t, "c is logged out", c.get(t, "/"), 303, "/login?next=%2F")
	wantStatus(t, "a still in after revoking others", a.get(t, "/"), 200, "")
	wantStatus(t, "the other user is untouched", other.get(t, "/"), 200, "")

	// A password change ends every session, this one included.
	c.login(t, "aino", "aino-password-long")
	wantStatus(t, "password change", a.post(t, "/account/password", "old_password", "aino-password-long",
		"new_password", "a-new-long-password", "new_password_repeat", "a-new-long-password"), 303, "/login?msg=password_changed")
	wantStatus(t, "c after the password change", c.get(t, "/"), 303, "/login?next=%2F")
}

func TestReauthentication(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "root", "admin")
	b := e.browser("198.51.100.1")
	b.login(t, "root", "root-password-long")
	// Just logged in: fresh enough.
	wantStatus(t, "new user form", b.get(t, "/users/new"), 200, "")

	e.clk.Add(service.ReauthWindow + time.Second)
	cases := []struct {
		name, method, path, location string
	}{
		{"user form", "GET", "/users/new", "/reauth?next=%2Fusers%2Fnew&msg=reauth_needed"},
		{"create user", "POST", "/users", "/reauth?next=%2Fusers&msg=reauth_needed"},
		{"edit user", "POST", "/users/1", "/reauth?next=%2Fusers%2F1%2Fedit&msg=reauth_needed"},
		{"user token", "POST", "/users/1/tokens", "/reauth?next=%2Fusers%2F1%2Fedit&msg=reauth_needed"},
		{"own token", "POST", "/account/tokens", "/reauth?next=%2Faccount&msg=reauth_needed"},
		{"2FA set-up", "POST", "/account/2fa/setup", "/reauth?next=%2Faccount%2F2fa&msg=reauth_needed"},
		{"security settings", "GET", "/admin/security", "/reauth?next=%2Fadmin%2Fsecurity&msg=reauth_needed"},
	}
	for _, c := range cases {
		wantStatus(t, c.name, b.do(t, c.method, c.path, url.Values{}), 303, c.location)
	}
	// Pages that are not sensitive still work.
	wantStatus(t, "user list", b.get(t, "/users"), 200, "")
	wantStatus(t, "reauth page", b.get(t, "/reauth?next=%2Fusers%2Fnew"), 200, "")
	w := b.post(t, "/reauth", "password", "not-my-password", "next", "/users/new")
	wantStatus(t, "wrong password", w, 422, "")
	wantStatus(t, "still refused", b.get(t, "/users/new"), 303, "")
	wantStatus(t, "right password", b.post(t, "/reauth", "password", "root-password-long", "next", "/users/new"), 303, "/users/new")
	wantStatus(t, "user form after reauth", b.get(t, "/users/new"), 200, "")
	wantStatus(t, "create a user after reauth", b.post(t, "/users", "username", "newbie", "role", "analyst", "lang", "en"), 200, "")

	// With a second factor, re-authentication asks for a code too.
	b.get(t, "/account/2fa")
	secret, _ := e.enrol(t, b)
	e.clk.Add(service.ReauthWindow + time.Second)
	w = b.get(t, "/reauth?next=%2Fusers%2Fnew")
	if !strings.Contains(w.Body.String(), `name="code"`) {
		t.Fatal("the reauth form asks no code of a user with 2FA")
	}
	wantStatus(t, "password without code", b.post(t, "/reauth", "password", "root-password-long", "next", "/users/new"), 422, "")
	e.clk.Add(auth.TOTPPeriod)
	wantStatus(t, "password and code", b.post(t, "/reauth", "password", "root-password-long", "code", e.code(secret),
		"next", "/users/new"), 303, "/users/new")
	wantStatus(t, "user form after 2FA reauth", b.get(t, "/users/new"), 200, "")
}

func TestRequiredTwoFactorRole(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "root", "admin")
	mon := e.account(t, "mona", "monitor")
	tok, err := e.Svc.CreateAPIToken(context.Background(), domain.System, mon.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	admin := e.browser("198.51.100.1")
	admin.login(t, "root", "root-password-long")
	wantStatus(t, "require for monitors", admin.post(t, "/admin/security/roles", "roles", "monitor"), 303, "/admin/security?msg=saved")
	if w := admin.get(t, "/admin/security"); !strings.Contains(w.Body.String(), `id="require-monitor" checked`) {
		t.Fatalf("setting not shown: %s", w.Body.String())
	}
	wantStatus(t, "an admin is not affected", admin.get(t, "/"), 200, "")

	m := e.browser("198.51.100.2")
	wantStatus(t, "monitor login", m.login(t, "mona", "mona-password-long"), 303, "/")
	for _, p := range []string{"/", "/testimonies", "/account", "/account/sessions"} {
		wantStatus(t, "before enrolment "+p, m.get(t, p), 303, "/account/2fa?msg=mfa_required")
	}
	wantStatus(t, "before enrolment: a form post", m.post(t, "/testimonies"), 303, "/account/2fa?msg=mfa_required")
	if w := e.api(t, "GET", "/api/v1/testimonies", tok, ""); w.Code != 403 {
		t.Fatalf("API token before enrolment: %d", w.Code)
	}
	w := m.get(t, "/account/2fa")
	wantStatus(t, "the set-up page", w, 200, "")
	if !strings.Contains(w.Body.String(), `id="mfa-required"`) {
		t.Fatal("the set-up page does not say it is required")
	}
	e.enrol(t, m)
	wantStatus(t, "after enrolment", m.get(t, "/testimonies"), 200, "")
	if w := e.api(t, "GET", "/api/v1/testimonies", tok, ""); w.Code != 200 {
		t.Fatalf("API token after enrolment: %d", w.Code)
	}
	// A required factor cannot be turned off.
	wantStatus(t, "turn off required 2FA", m.post(t, "/account/2fa/disable"), 403, "")
	// Unknown roles are refused.
	wantStatus(t, "unknown role", admin.post(t, "/admin/security/roles", "roles", "superuser"), 422, "")
}

func TestAdminApprovedReset(t *testing.T) {
	e := newSecEnv(t)
	root := e.account(t, "root", "admin")
	e.account(t, "root2", "admin")
	u := e.account(t, "aino", "coordinator")
	b := e.browser("198.51.100.1")
	b.login(t, "aino", "aino-password-long")
	e.enrol(t, b)
	e.clk.Add(auth.TOTPPeriod)

	// Lost phone and codes: the user asks at the second step.
	lost := e.browser("198.51.100.2")
	wantStatus(t, "password", lost.login(t, "aino", "aino-password-long"), 303, "")
	wantStatus(t, "ask for a reset", lost.post(t, "/login/2fa/reset"), 303, "/login?msg=mfa_reset_requested")
	wantStatus(t, "no login from asking", lost.get(t, "/"), 303, "/login?next=%2F")
	// Asking needs the password: without a half-finished login it does nothing.
	wantStatus(t, "ask without a password", e.browser("198.51.100.3").post(t, "/login/2fa/reset"), 303, "/login?msg=login_expired")

	admin := e.browser("198.51.100.4")
	admin.login(t, "root", "root-password-long")
	w := admin.get(t, "/admin/security")
	m := resetRowRE.FindStringSubmatch(w.Body.String())
	if m == nil || !strings.Contains(w.Body.String(), ">aino<") {
		t.Fatalf("the reset request is not listed: %s", w.Body.String())
	}
	wantStatus(t, "the factor still works until approval", b.get(t, "/"), 200, "")
	wantStatus(t, "approve", admin.post(t, "/admin/security/resets/"+m[1]+"/approve"), 303, "/admin/security?msg=mfa_reset_approved")
	wantStatus(t, "approve twice", admin.post(t, "/admin/security/resets/"+m[1]+"/approve"), 409, "")
	wantStatus(t, "the user's sessions ended", b.get(t, "/"), 303, "/login?next=%2F")

	// The password alone now logs in, straight into a new enrolment.
	wantStatus(t, "login after reset", lost.login(t, "aino", "aino-password-long"), 303, "/")
	wantStatus(t, "must enrol again", lost.get(t, "/"), 303, "/account/2fa?msg=mfa_required")
	e.enrol(t, lost)
	wantStatus(t, "after re-enrolment", lost.get(t, "/"), 200, "")

	// An administrator cannot approve a reset of their own factor.
	admin.get(t, "/account/2fa")
	e.enrol(t, admin)
	r, err := e.Svc.RequestMFAReset(context.Background(), service.ActorOf(root), root.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "approve one's own reset", admin.post(t, "/admin/security/resets/"+itoa(int(r.ID))+"/approve"), 403, "")
	// An administrator can start one for someone who asked in person; it
	// still needs the approval step.
	wantStatus(t, "admin starts a reset", admin.post(t, "/admin/security/resets", "user_id", itoa(int(u.ID))), 303, "/admin/security?msg=mfa_reset_started")
	wantStatus(t, "still logged in", lost.get(t, "/"), 200, "")

	acts := e.auditActions(t, u.ID)
	for _, want := range []string{"mfa_reset_requested", "mfa_reset_approved", "mfa_enabled"} {
		if !contains(acts, want) {
			t.Errorf("audit has no %s: %v", want, acts)
		}
	}
}

func TestSecurityCookiesAndHeaders(t *testing.T) {
	e := newSecEnv(t)
	e.account(t, "aino", "monitor")
	planted := "planted-by-an-attacker"
	b := e.browser("198.51.100.1")
	b.cookies[sessionCookie] = planted
	w := b.login(t, "aino", "aino-password-long")
	wantStatus(t, "login", w, 303, "/")
	var sess *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			sess = c
		}
	}
	if sess == nil || !strings.HasPrefix(sess.Name, "__Host-") || !sess.Secure || !sess.HttpOnly ||
		sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Domain != "" || sess.Value == planted {
		t.Fatalf("session cookie %+v", sess)
	}
	w = b.get(t, "/account")
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'nonce-", "frame-ancestors 'none'", "img-src 'self' data:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || w.Header().Get("Referrer-Policy") != "no-referrer" || w.Header().Get("Permissions-Policy") == "" {
		t.Errorf("headers %v", w.Header())
	}
	w = b.post(t, "/lang", "lang", "fi", "next", "/")
	for _, c := range w.Result().Cookies() {
		if c.Name != langCookie || !c.Secure || c.Path != "/" {
			t.Errorf("language cookie %+v", c)
		}
	}
}

// TestNoInlineScriptOrStyle scans every template: the CSP would block an
// inline handler or style attribute, so none may exist.
func TestNoInlineScriptOrStyle(t *testing.T) {
	bad := regexp.MustCompile(`(?i)\s(on[a-z]+|style)\s*=`)
	names, _ := assets.ReadDir("templates")
	n := 0
	for _, d := range names {
		if d.IsDir() {
			continue
		}
		b, _ := assets.ReadFile("templates/" + d.Name())
		n++
		if m := bad.FindString(string(b)); m != "" {
			t.Errorf("%s has an inline %q attribute", d.Name(), strings.TrimSpace(m))
		}
	}
	if n < 10 {
		t.Fatalf("scanned only %d templates", n)
	}
}
