package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/service"
)

// sessionFor returns a session cookie for an existing user.
func sessionFor(t *testing.T, e *testEnv, u domain.User) *http.Cookie {
	t.Helper()
	tok, err := e.Svc.StartSession(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: tok}
}

var secretRE = regexp.MustCompile(`id="one-time-secret" type="text" readonly value="([^"]+)"`)

func oneTimeSecret(t *testing.T, body string) string {
	t.Helper()
	m := secretRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no one-time secret on the page: %.800s", body)
	}
	return m[1]
}

func checkBody(t *testing.T, body string, want, notWant []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q", s)
		}
	}
	for _, s := range notWant {
		if strings.Contains(body, s) {
			t.Errorf("body has %q", s)
		}
	}
}

func TestUserPages(t *testing.T) {
	e := newTestServer(t)
	adminUser := e.user(t, "admin")
	admin := sessionFor(t, e, adminUser)
	monitor := e.login(t, "monitor")
	other := e.user(t, "analyst")
	evil := domain.User{Username: "evil", DisplayName: `<script>alert(1)</script>`, Role: "monitor"}
	if _, err := e.Svc.CreateUser(context.Background(), domain.System, &evil, ""); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		method  string
		path    string
		form    url.Values
		cookie  *http.Cookie
		status  int
		want    []string
		notWant []string
	}{
		{name: "list", method: "GET", path: "/users", cookie: admin, status: 200,
			want:    []string{adminUser.Username, other.Username, "Analyst", "&lt;script&gt;alert(1)&lt;/script&gt;", `id="user-table"`, "Never"},
			notWant: []string{"<script>alert(1)", "$argon2", "password_hash"}},
		{name: "new form", method: "GET", path: "/users/new", cookie: admin, status: 200, want: []string{`id="user-form"`, `name="username"`}},
		{name: "edit form", method: "GET", path: fmt.Sprintf("/users/%d/edit", other.ID), cookie: admin, status: 200,
			want: []string{other.Username, `name="disabled"`, `id="user-token-form"`}, notWant: []string{`id="self-hint"`}},
		{name: "own edit form warns", method: "GET", path: fmt.Sprintf("/users/%d/edit", adminUser.ID), cookie: admin, status: 200,
			want: []string{`id="self-hint"`}},
		{name: "edit not found", method: "GET", path: "/users/99999/edit", cookie: admin, status: 404},
		{name: "update not found", method: "POST", path: "/users/99999", form: url.Values{"version": {"1"}, "role": {"monitor"}, "lang": {"en"}}, cookie: admin, status: 404},
		{name: "monitor cannot list", method: "GET", path: "/users", cookie: monitor, status: 403},
		{name: "monitor cannot create", method: "POST", path: "/users", form: url.Values{"username": {"x1"}, "role": {"admin"}, "lang": {"en"}}, cookie: monitor, status: 403},
		{name: "monitor cannot make tokens for others", method: "POST", path: fmt.Sprintf("/users/%d/tokens", other.ID), form: url.Values{}, cookie: monitor, status: 403},
		{name: "anonymous redirected", method: "GET", path: "/users", status: 303},
		{name: "invalid fields all reported", method: "POST", path: "/users", cookie: admin, status: 422,
			form: url.Values{"username": {"Bad Name!"}, "display_name": {"Typed <i>Name</i>"}, "role": {"king"}, "lang": {"xx"}},
			want: []string{`value="Bad Name!"`, `value="Typed &lt;i&gt;Name&lt;/i&gt;"`, "use 2–40 lower-case", `unknown value &#34;king&#34;`, "must be en or fi"}},
		{name: "duplicate username", method: "POST", path: "/users", cookie: admin, status: 409,
			form: url.Values{"username": {other.Username}, "display_name": {"Dup"}, "role": {"monitor"}, "lang": {"fi"}},
			want: []string{"username already taken", `value="Dup"`}},
		{name: "self demotion refused", method: "POST", path: fmt.Sprintf("/users/%d", adminUser.ID), cookie: admin, status: 422,
			form: url.Values{"version": {"1"}, "display_name": {"Me"}, "role": {"monitor"}, "lang": {"en"}},
			want: []string{"you cannot disable your own account or change your own role", `value="Me"`}},
		{name: "stale edit", method: "POST", path: fmt.Sprintf("/users/%d", other.ID), cookie: admin, status: 409,
			form: url.Values{"version": {"7"}, "display_name": {"Stale Typed"}, "role": {"analyst"}, "lang": {"en"}},
			want: []string{"changed by someone else", `value="Stale Typed"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w *httptest.ResponseRecorder
			if tc.method == "POST" {
				w = e.postForm(t, tc.path, tc.form, tc.cookie)
			} else {
				w = e.do(t, tc.method, tc.path, nil, tc.cookie, nil)
			}
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body: %.600s", w.Code, tc.status, w.Body.String())
			}
			checkBody(t, w.Body.String(), tc.want, tc.notWant)
		})
	}
}

func TestUserCreateShowsPasswordOnce(t *testing.T) {
	e := newTestServer(t)
	admin := e.login(t, "admin")
	w := e.postForm(t, "/users", url.Values{"username": {"newbie"}, "display_name": {"New Bie"}, "role": {"legal_aid"}, "lang": {"fi"}}, admin)
	if w.Code != http.StatusOK || w.Header().Get("Location") != "" {
		t.Fatalf("create: %d %q", w.Code, w.Header().Get("Location"))
	}
	body := w.Body.String()
	pw := oneTimeSecret(t, body)
	checkBody(t, body, []string{`id="once-warning"`, "newbie"}, nil)
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	u, err := e.Svc.Authenticate(context.Background(), "newbie", pw)
	if err != nil || u.Role != "legal_aid" || u.Lang != "fi" || u.DisplayName != "New Bie" {
		t.Fatalf("generated password does not log in: %v %+v", err, u)
	}
	if strings.Contains(u.PasswordHash, pw) {
		t.Fatal("password stored in plain text")
	}
	// The list never shows it again.
	if strings.Contains(e.do(t, "GET", "/users", nil, admin, nil).Body.String(), pw) {
		t.Error("password shown again in the list")
	}

	// Editing: change name and disable; the user is signed out at once.
	sess := sessionFor(t, e, u)
	w = e.postForm(t, fmt.Sprintf("/users/%d", u.ID), url.Values{"version": {"1"}, "display_name": {"Renamed"}, "role": {"legal_aid"}, "lang": {"en"}, "disabled": {"on"}}, admin)
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/edit?msg=saved") {
		t.Fatalf("update: %d %q %.400s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	if w := e.do(t, "GET", "/account", nil, sess, nil); w.Code != http.StatusSeeOther {
		t.Errorf("disabled user's session still works: %d", w.Code)
	}
	got, _ := e.Svc.GetUser(context.Background(), domain.System, u.ID)
	if got.DisplayName != "Renamed" || !got.Disabled || got.Username != "newbie" {
		t.Errorf("after update: %+v", got)
	}
}

func TestUserTokensByAdmin(t *testing.T) {
	e := newTestServer(t)
	admin := e.login(t, "admin")
	u := e.user(t, "analyst")
	w := e.postForm(t, fmt.Sprintf("/users/%d/tokens", u.ID), url.Values{"token_name": {"<b>nightly</b>"}}, admin)
	if w.Code != http.StatusOK {
		t.Fatalf("create token: %d %.400s", w.Code, w.Body.String())
	}
	tok := oneTimeSecret(t, w.Body.String())
	checkBody(t, w.Body.String(), []string{"&lt;b&gt;nightly&lt;/b&gt;", u.Username}, []string{"<b>nightly"})
	if w := e.api(t, "GET", "/api/v1/me", tok, ""); w.Code != 200 || !strings.Contains(w.Body.String(), u.Username) {
		t.Fatalf("token does not work: %d %s", w.Code, w.Body.String())
	}
	// It is listed on the user's page, without the secret, and can be revoked.
	page := e.do(t, "GET", fmt.Sprintf("/users/%d/edit", u.ID), nil, admin, nil).Body.String()
	m := regexp.MustCompile(`action="(/users/\d+/tokens/\d+/revoke)"`).FindStringSubmatch(page)
	if m == nil || strings.Contains(page, tok) {
		t.Fatalf("token list wrong")
	}
	w = e.postForm(t, m[1], nil, admin)
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "msg=token_revoked") {
		t.Fatalf("revoke: %d", w.Code)
	}
	if w := e.api(t, "GET", "/api/v1/me", tok, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("revoked token still works: %d", w.Code)
	}
	if w := e.postForm(t, fmt.Sprintf("/users/%d/tokens", 99999), url.Values{}, admin); w.Code != 404 {
		t.Errorf("token for missing user: %d", w.Code)
	}
	if w := e.postForm(t, fmt.Sprintf("/users/%d/tokens/99999/revoke", u.ID), nil, admin); w.Code != 404 {
		t.Errorf("revoke missing token: %d", w.Code)
	}
}

func TestAccount(t *testing.T) {
	e := newTestServer(t)
	u := e.user(t, "monitor")
	sess := sessionFor(t, e, u)
	other := e.token(t, "analyst")
	_ = other

	w := e.do(t, "GET", "/account", nil, sess, nil)
	if w.Code != 200 {
		t.Fatalf("account: %d", w.Code)
	}
	checkBody(t, w.Body.String(), []string{u.Username, "Monitor", `id="password-form"`, `id="token-form"`}, nil)

	pwTests := []struct {
		name   string
		form   url.Values
		status int
		want   []string
	}{
		{"all wrong at once", url.Values{"old_password": {""}, "new_password": {"short"}, "new_password_repeat": {"other"}}, 422,
			[]string{"is required", "must be at least 12 characters", "does not match the new password"}},
		{"wrong old password", url.Values{"old_password": {"not-my-password"}, "new_password": {"a-brand-new-password"}, "new_password_repeat": {"a-brand-new-password"}}, 422,
			[]string{"is not your current password"}},
	}
	for _, tc := range pwTests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.postForm(t, "/account/password", tc.form, sess)
			if w.Code != tc.status {
				t.Fatalf("status %d: %.400s", w.Code, w.Body.String())
			}
			checkBody(t, w.Body.String(), tc.want, []string{"a-brand-new-password", "not-my-password"})
		})
	}

	// Own tokens: create (shown once), list, revoke; another user's token
	// id is not found.
	w = e.postForm(t, "/account/tokens", url.Values{"token_name": {"laptop"}}, sess)
	if w.Code != 200 {
		t.Fatalf("create own token: %d", w.Code)
	}
	tok := oneTimeSecret(t, w.Body.String())
	if w := e.api(t, "GET", "/api/v1/me", tok, ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"username":"`+u.Username+`"`) {
		t.Fatalf("own token: %d %s", w.Code, w.Body.String())
	}
	page := e.do(t, "GET", "/account", nil, sess, nil).Body.String()
	if strings.Contains(page, tok) || !strings.Contains(page, "laptop") {
		t.Fatal("token list wrong")
	}
	if w := e.postForm(t, "/account/tokens", url.Values{"token_name": {strings.Repeat("n", 300)}}, sess); w.Code != 422 || !strings.Contains(w.Body.String(), strings.Repeat("n", 300)) {
		t.Errorf("too long token name: %d", w.Code)
	}
	m := regexp.MustCompile(`action="/account/tokens/(\d+)/revoke"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no revoke button")
	}
	// The analyst's token (id 1) belongs to someone else.
	if w := e.postForm(t, "/account/tokens/1/revoke", nil, sess); w.Code != 404 {
		t.Errorf("revoking another's token: %d", w.Code)
	}
	if w := e.postForm(t, "/account/tokens/"+m[1]+"/revoke", nil, sess); w.Code != 303 {
		t.Errorf("revoke: %d", w.Code)
	}
	if w := e.api(t, "GET", "/api/v1/me", tok, ""); w.Code != 401 {
		t.Errorf("revoked token: %d", w.Code)
	}

	// Changing the password ends every session and sends to the login page.
	sess2 := sessionFor(t, e, u)
	w = e.postForm(t, "/account/password", url.Values{"old_password": {"a-long-test-password"},
		"new_password": {"a-brand-new-password"}, "new_password_repeat": {"a-brand-new-password"}}, sess)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?msg=password_changed" {
		t.Fatalf("change: %d %q %.400s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	for _, c := range []*http.Cookie{sess, sess2} {
		if w := e.do(t, "GET", "/account", nil, c, nil); w.Code != http.StatusSeeOther {
			t.Errorf("session survived the password change: %d", w.Code)
		}
	}
	if _, err := e.Svc.Authenticate(context.Background(), u.Username, "a-brand-new-password"); err != nil {
		t.Error("new password does not work")
	}
	if w := e.do(t, "GET", "/login?msg=password_changed", nil, nil, nil); !strings.Contains(w.Body.String(), "Log in with the new password") {
		t.Error("no flash on the login page")
	}
	if w := e.do(t, "GET", "/account", nil, nil, nil); w.Code != http.StatusSeeOther {
		t.Errorf("anonymous account: %d", w.Code)
	}
}

func TestUserAPI(t *testing.T) {
	e := newTestServer(t)
	admin := e.token(t, "admin")
	monitor := e.token(t, "monitor")

	w := e.api(t, "POST", "/api/v1/users", admin, `{"username":"apiuser","display_name":"Api User","role":"coordinator","lang":"en"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body.String())
	}
	var out struct {
		User     domain.User `json:"user"`
		Password string      `json:"password"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Password == "" || out.User.ID == 0 || strings.Contains(w.Body.String(), "password_hash") {
		t.Fatalf("create answer: %s", w.Body.String())
	}
	if _, err := e.Svc.Authenticate(context.Background(), "apiuser", out.Password); err != nil {
		t.Fatal("generated password does not log in")
	}

	tests := []struct {
		name, method, path, token, body string
		header                          map[string]string
		status                          int
		want, notWant                   []string
	}{
		{"list", "GET", "/api/v1/users", admin, "", nil, 200, []string{`"items":[`, `"username":"apiuser"`, `"next":""`}, []string{"password"}},
		{"one", "GET", fmt.Sprintf("/api/v1/users/%d", out.User.ID), admin, "", nil, 200, []string{`"role":"coordinator"`}, nil},
		{"one missing", "GET", "/api/v1/users/99999", admin, "", nil, 404, []string{`{"error":{"code":"not_found","message":`}, nil},
		{"monitor cannot list", "GET", "/api/v1/users", monitor, "", nil, 403, []string{`"code":"forbidden"`}, nil},
		{"monitor cannot create", "POST", "/api/v1/users", monitor, `{"username":"x2","role":"admin","lang":"en"}`, nil, 403, []string{`"code":"forbidden"`}, nil},
		{"no token", "GET", "/api/v1/users", "", "", nil, 401, []string{`"code":"unauthorized"`}, nil},
		{"me", "GET", "/api/v1/me", monitor, "", nil, 200, []string{`"role":"monitor"`}, []string{"password"}},
		{"me without token", "GET", "/api/v1/me", "", "", nil, 401, []string{`"code":"unauthorized"`}, nil},
		{"invalid", "POST", "/api/v1/users", admin, `{"username":"A B","role":"king","lang":"de"}`, nil, 422,
			[]string{`"field":"username"`, `"field":"role"`, `"field":"lang"`}, nil},
		{"duplicate", "POST", "/api/v1/users", admin, `{"username":"apiuser","role":"monitor","lang":"en"}`, nil, 409, []string{`"code":"conflict"`}, nil},
		{"no password input", "POST", "/api/v1/users", admin, `{"username":"pw","role":"monitor","lang":"en","password":"chosen-by-me-123"}`, nil, 422, []string{"unknown field"}, nil},
		{"idempotency refused", "POST", "/api/v1/users", admin, `{"username":"idem","role":"monitor","lang":"en"}`,
			map[string]string{"Idempotency-Key": "k1"}, 422, []string{"Idempotency-Key is not accepted"}, []string{`"password"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/json"}
			if tc.token != "" {
				h["Authorization"] = "Bearer " + tc.token
			}
			for k, v := range tc.header {
				h[k] = v
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			w := e.do(t, tc.method, tc.path, body, nil, h)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body.String())
			}
			checkBody(t, w.Body.String(), tc.want, tc.notWant)
		})
	}
	// The refused idempotent request created nobody and stored no password.
	if _, err := e.Svc.Store.GetUserByUsername(context.Background(), "idem"); err == nil {
		t.Error("user created despite the refusal")
	}
}

// TestCaseAndUserPagesTranslated renders every page of cases, users and
// the account in each staff language and looks for untranslated keys.
func TestCaseAndUserPagesTranslated(t *testing.T) {
	missing := regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`)
	for _, lang := range []string{"en", "fi"} {
		t.Run(lang, func(t *testing.T) {
			e := newTestServer(t)
			u := domain.User{Username: "admin-" + lang, Role: "admin", Lang: lang}
			if _, err := e.Svc.CreateUser(context.Background(), domain.System, &u, "a-long-test-password"); err != nil {
				t.Fatal(err)
			}
			c := sessionFor(t, e, u)
			ac := domain.AsylumCase{Person: domain.Person{Pseudonym: "P"}, ArrivedOn: domain.MustDate("2023-11-20"),
				Events: []domain.ProcedureEvent{{On: domain.MustDate("2023-11-21"), Kind: "applied"}}}
			if err := e.Svc.SaveCase(context.Background(), domain.System, &ac); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Svc.CreateAPIToken(context.Background(), domain.System, u.ID, "t"); err != nil {
				t.Fatal(err)
			}
			pages := map[string]*httptest.ResponseRecorder{}
			// Another user with a live session, so that their page shows the
			// session table and the button that ends them.
			other := e.user(t, "monitor")
			sessionFor(t, e, other)
			for _, p := range []string{"/cases", "/cases/new", fmt.Sprintf("/cases/%d", ac.ID), fmt.Sprintf("/cases/%d/edit", ac.ID),
				"/users", "/users/new", fmt.Sprintf("/users/%d/edit", u.ID), fmt.Sprintf("/users/%d/edit", other.ID), "/account"} {
				pages[p] = e.do(t, "GET", p, nil, c, nil)
			}
			pages["created"] = e.postForm(t, "/users", url.Values{"username": {"x-" + lang}, "role": {"monitor"}, "lang": {"en"}}, c)
			pages["token"] = e.postForm(t, fmt.Sprintf("/users/%d/tokens", u.ID), url.Values{}, c)
			pages["case error"] = e.postForm(t, "/cases", url.Values{"person_pseudonym": {""}}, c)
			pages["password error"] = e.postForm(t, "/account/password", url.Values{}, c)
			for p, w := range pages {
				if w.Code >= 500 || (w.Code != 200 && w.Code != 422) {
					t.Errorf("%s: status %d", p, w.Code)
				}
				if m := missing.FindString(w.Body.String()); m != "" {
					t.Errorf("%s: untranslated %s", p, m)
				}
			}
		})
	}
}

// TestAdminEndsUserSessions: an administrator sees where an account is
// logged in and logs it out everywhere without disabling it; the action
// needs a fresh re-authentication, is audited, refuses forged cross-site
// requests and leaves other users' sessions alone.
func TestAdminEndsUserSessions(t *testing.T) {
	e := newSecEnv(t)
	root := e.account(t, "root", "admin")
	aino := e.account(t, "aino", "monitor")
	e.account(t, "bertta", "monitor")
	e.account(t, "cecilia", "coordinator")
	admin := e.browser("198.51.100.1")
	wantStatus(t, "admin login", admin.login(t, "root", "root-password-long"), 303, "")
	a1, a2 := e.browser("198.51.100.2"), e.browser("198.51.100.3")
	a2.ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
	a1.login(t, "aino", "aino-password-long")
	a2.login(t, "aino", "aino-password-long")
	b := e.browser("198.51.100.4")
	b.login(t, "bertta", "bertta-password-long")
	coord := e.browser("198.51.100.5")
	coord.login(t, "cecilia", "cecilia-password-long")
	wantStatus(t, "aino logged in", a1.get(t, "/"), 200, "")

	ainoEdit := fmt.Sprintf("/users/%d/edit", aino.ID)
	ainoRevoke := fmt.Sprintf("/users/%d/sessions/revoke", aino.ID)

	// The list counts live sessions.
	w := admin.get(t, "/users")
	wantStatus(t, "user list", w, 200, "")
	checkBody(t, w.Body.String(), []string{fmt.Sprintf(`id="sessions-%d">2<`, aino.ID), fmt.Sprintf(`id="sessions-%d">1<`, root.ID)}, nil)

	// The user's page lists them, with the browser summary and never a
	// token or its hash.
	w = admin.get(t, ainoEdit)
	wantStatus(t, "aino's page", w, 200, "")
	page := w.Body.String()
	if n := strings.Count(page, `class="user-session"`); n != 2 {
		t.Fatalf("%d sessions on aino's page, want 2", n)
	}
	var secrets []string
	for _, br := range []*browser{a1, a2} {
		tok := br.cookies[sessionCookie]
		if tok == "" {
			t.Fatal("no session cookie in aino's browser")
		}
		secrets = append(secrets, tok, hex.EncodeToString(auth.HashSecret(tok)))
	}
	checkBody(t, page, []string{"Firefox on Linux", "Chrome on Windows", `id="user-sessions-revoke"`,
		`action="` + ainoRevoke + `"`}, append(secrets, "Mozilla/5.0", `id="own-sessions-hint"`))

	// One's own page points to one's own sessions page instead, and the
	// route refuses one's own account.
	w = admin.get(t, fmt.Sprintf("/users/%d/edit", root.ID))
	wantStatus(t, "own page", w, 200, "")
	checkBody(t, w.Body.String(), []string{`id="own-sessions-hint"`, `href="/account/sessions"`}, []string{`id="user-sessions-revoke"`})
	wantStatus(t, "ending one's own sessions here", admin.post(t, fmt.Sprintf("/users/%d/sessions/revoke", root.ID)), 422, "")
	wantStatus(t, "admin still in", admin.get(t, "/"), 200, "")

	// Not an administrator: refused, nothing ends.
	wantStatus(t, "coordinator", coord.post(t, ainoRevoke), 403, "")

	// Forged from another site: refused before anything happens.
	for _, f := range forgeries {
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		for k, v := range f.headers {
			h[k] = v
		}
		fw := e.do(t, "POST", ainoRevoke, strings.NewReader(""), &http.Cookie{Name: sessionCookie, Value: admin.cookies[sessionCookie]}, h)
		if fw.Code != http.StatusForbidden || !strings.Contains(fw.Body.String(), refusedText) {
			t.Fatalf("forged (%s): %d %.200s", f.name, fw.Code, fw.Body.String())
		}
	}

	// Without a recent re-authentication the administrator is asked for
	// the password first.
	e.clk.Add(service.ReauthWindow + time.Second)
	wantStatus(t, "stale re-authentication", admin.post(t, ainoRevoke), 303,
		"/reauth?next="+url.QueryEscape(ainoEdit)+"&msg=reauth_needed")
	for _, br := range []*browser{a1, a2} {
		wantStatus(t, "aino still in after the refusals", br.get(t, "/"), 200, "")
	}
	if contains(e.auditActions(t, aino.ID), "sessions_revoked") {
		t.Fatal("a refused request was audited as done")
	}

	wantStatus(t, "re-authenticate", admin.post(t, "/reauth", "password", "root-password-long", "next", ainoEdit), 303, ainoEdit)
	wantStatus(t, "log aino out everywhere", admin.post(t, ainoRevoke), 303, ainoEdit+"?msg=user_sessions_revoked")
	for _, br := range []*browser{a1, a2} {
		wantStatus(t, "aino is logged out", br.get(t, "/"), 303, "/login?next=%2F")
	}
	wantStatus(t, "bertta untouched", b.get(t, "/"), 200, "")
	wantStatus(t, "admin untouched", admin.get(t, "/"), 200, "")
	es, err := e.Svc.Store.RecentAudit(context.Background(), 1)
	if err != nil || len(es) != 1 {
		t.Fatalf("audit: %v %v", es, err)
	}
	if got := es[0]; got.Action != "sessions_revoked" || got.Entity != "user" || got.EntityID != aino.ID || got.ActorID != root.ID {
		t.Fatalf("audit entry %+v", got)
	}
	w = admin.get(t, ainoEdit+"?msg=user_sessions_revoked")
	checkBody(t, w.Body.String(), []string{`id="no-sessions"`, "The account was logged out everywhere."}, []string{`id="user-sessions-revoke"`})

	// The account is not disabled: aino logs in again.
	wantStatus(t, "aino logs in again", a1.login(t, "aino", "aino-password-long"), 303, "")
	wantStatus(t, "aino back in", a1.get(t, "/"), 200, "")
}

func TestUserSessionsAPI(t *testing.T) {
	e := newSecEnv(t)
	ctx := context.Background()
	root := e.account(t, "root", "admin")
	aino := e.account(t, "aino", "monitor")
	bertta := e.account(t, "bertta", "monitor")
	a := e.browser("198.51.100.2")
	a.login(t, "aino", "aino-password-long")
	b := e.browser("198.51.100.3")
	b.login(t, "bertta", "bertta-password-long")
	adminTok, err := e.Svc.CreateAPIToken(ctx, domain.System, root.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	coordTok := e.token(t, "coordinator")
	path := fmt.Sprintf("/api/v1/users/%d/sessions", aino.ID)

	w := e.api(t, "GET", path, adminTok, "")
	if w.Code != http.StatusOK {
		t.Fatalf("list: %d %s", w.Code, w.Body.String())
	}
	var got struct {
		Items []map[string]any `json:"items"`
		Next  string           `json:"next"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 1 || got.Items[0]["browser"] != "Firefox on Linux" || got.Items[0]["second_factor"] != false ||
		got.Items[0]["created_at"] == nil || got.Items[0]["last_seen_at"] == nil || len(got.Items[0]) != 4 {
		t.Fatalf("list: %s", w.Body.String())
	}
	tok := a.cookies[sessionCookie]
	checkBody(t, w.Body.String(), nil, []string{tok, hex.EncodeToString(auth.HashSecret(tok)), "token", "hash"})

	if w := e.api(t, "GET", path, coordTok, ""); w.Code != http.StatusForbidden {
		t.Fatalf("coordinator lists: %d", w.Code)
	}
	if w := e.api(t, "DELETE", path, coordTok, ""); w.Code != http.StatusForbidden {
		t.Fatalf("coordinator ends: %d", w.Code)
	}
	if w := e.api(t, "GET", "/api/v1/users/999999/sessions", adminTok, ""); w.Code != http.StatusNotFound {
		t.Fatalf("unknown user: %d", w.Code)
	}
	if w := e.api(t, "DELETE", fmt.Sprintf("/api/v1/users/%d/sessions", root.ID), adminTok, ""); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("own account: %d %s", w.Code, w.Body.String())
	}
	wantStatus(t, "aino in after the refusals", a.get(t, "/"), 200, "")

	if w := e.api(t, "DELETE", path, adminTok, ""); w.Code != http.StatusNoContent {
		t.Fatalf("end aino's sessions: %d %s", w.Code, w.Body.String())
	}
	wantStatus(t, "aino logged out", a.get(t, "/"), 303, "/login?next=%2F")
	wantStatus(t, "bertta untouched", b.get(t, "/"), 200, "")
	if w := e.api(t, "GET", path, adminTok, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"items":[]`) {
		t.Fatalf("list after: %d %s", w.Code, w.Body.String())
	}
	if acts := e.auditActions(t, aino.ID); !contains(acts, "sessions_revoked") {
		t.Fatalf("not audited: %v", acts)
	}
	if acts := e.auditActions(t, bertta.ID); contains(acts, "sessions_revoked") {
		t.Fatalf("bertta audited: %v", acts)
	}
}
