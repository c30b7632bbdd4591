package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/service"
	"vigil/internal/store"
)

// testEnv is the real handler over a real SQLite store in a temp dir.
type testEnv struct {
	Srv *Server
	Svc *service.Service
	H   http.Handler
	n   int
}

func newTestServer(t testing.TB) *testEnv {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	st, err := store.Open(context.Background(), store.Config{Dir: t.TempDir(), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(st)
	svc.PasswordParams = auth.TestParams
	srv, err := New(svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{Srv: srv, Svc: svc, H: srv.Handler()}
}

// user creates an account with the role and returns it.
func (e *testEnv) user(t testing.TB, role string) domain.User {
	t.Helper()
	e.n++
	u := domain.User{Username: fmt.Sprintf("%s%d", role, e.n), Role: role}
	if _, err := e.Svc.CreateUser(context.Background(), domain.System, &u, "a-long-test-password"); err != nil {
		t.Fatal(err)
	}
	return u
}

// login creates a user of role and returns a live session cookie.
func (e *testEnv) login(t testing.TB, role string) *http.Cookie {
	t.Helper()
	u := e.user(t, role)
	tok, err := e.Svc.StartSession(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: tok}
}

// token creates a user of role and returns an API token for it.
func (e *testEnv) token(t testing.TB, role string) string {
	t.Helper()
	u := e.user(t, role)
	tok, err := e.Svc.CreateAPIToken(context.Background(), domain.System, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends a request through the full handler.
func (e *testEnv) do(t testing.TB, method, path string, body io.Reader, cookie *http.Cookie, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, body)
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.H.ServeHTTP(w, r)
	return w
}

// postForm submits a form as a same-origin browser would.
func (e *testEnv) postForm(t testing.TB, path string, vals url.Values, cookie *http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	return e.do(t, "POST", path, strings.NewReader(vals.Encode()), cookie, map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"})
}

// api sends a JSON request with a bearer token.
func (e *testEnv) api(t testing.TB, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	h := map[string]string{"Content-Type": "application/json"}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return e.do(t, method, path, rd, nil, h)
}
