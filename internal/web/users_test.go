package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/domain"
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
			for _, p := range []string{"/cases", "/cases/new", fmt.Sprintf("/cases/%d", ac.ID), fmt.Sprintf("/cases/%d/edit", ac.ID),
				"/users", "/users/new", fmt.Sprintf("/users/%d/edit", u.ID), "/account"} {
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
