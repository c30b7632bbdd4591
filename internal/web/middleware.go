package web

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"

	"vigil/internal/domain"
)

// MaxBody caps every request body; a testimony narrative is at most
// domain.MaxNarrative bytes, and a form carries a little more than that.
const MaxBody = 1 << 20

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = &cappedBody{ReadCloser: http.MaxBytesReader(w, r.Body, MaxBody), raw: r.Body}
		}
		next.ServeHTTP(w, r)
	})
}

// cappedBody keeps the uncapped body so that guard can give a route with
// a larger MaxBody its own limit, once the route's permission is checked.
type cappedBody struct {
	io.ReadCloser
	raw io.ReadCloser
}

// securityHeaders sets a strict Content-Security-Policy with a per-request
// nonce (no inline script or handler can run), and keeps the pages out of
// frames and referrers.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		nonce := base64.StdEncoding.EncodeToString(b)
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			// Served over TLS by Vigil itself: browsers should never
			// try plain HTTP for this host again.
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r.WithContext(withNonce(r.Context(), nonce)))
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic", "path", r.URL.Path, "panic", v)
				s.fail(w, r, domain.Errorf(domain.EInternal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Cookie names carry the __Host- prefix: the browser accepts them only
// with Secure, Path=/ and no Domain, so neither a sibling subdomain nor a
// plain-HTTP page can plant or overwrite them. Browsers treat
// http://localhost and http://127.0.0.1 as secure, so a local instance
// without TLS still works.
const (
	sessionCookie = "__Host-vigil_session"
	// pendingCookie holds a login whose second factor is still to come.
	pendingCookie = "__Host-vigil_pending"
	langCookie    = "__Host-vigil_lang"
)

// guard authenticates the request as its surface requires and checks the
// route's permission before the handler runs.
func (s *Server) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		switch rt.Surface {
		case API:
			if tok, ok := bearer(r); ok {
				u, err := s.Svc.TokenUser(ctx, tok)
				if err != nil {
					s.fail(w, r, domain.Errorf(domain.EUnauthorized, "invalid or revoked API token"))
					return
				}
				ctx = withUser(ctx, u)
			}
		default:
			if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
				if st, err := s.Svc.Session(ctx, c.Value); err == nil {
					ctx = withSession(withUser(ctx, st.User), c.Value, st)
				} else {
					s.clearSessionCookie(w)
				}
			}
		}
		r = r.WithContext(ctx)
		if rt.Perm != domain.PermPublic {
			u, ok := userOf(r)
			if !ok {
				if rt.Surface == UI {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				s.fail(w, r, domain.Errorf(domain.EUnauthorized, "authentication required: send Authorization: Bearer TOKEN"))
				return
			}
			if !domain.Can(u.Role, rt.Perm) {
				s.fail(w, r, domain.Errorf(domain.EForbidden, "you do not have permission to do this"))
				return
			}
			if !s.securityGate(w, r, rt, u) {
				return
			}
		}
		if cb, ok := r.Body.(*cappedBody); ok && rt.MaxBody > MaxBody {
			r.Body = http.MaxBytesReader(w, cb.raw, rt.MaxBody)
		}
		rt.Handler(w, r)
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// hostCookie is a cookie as the __Host- prefix requires it: Secure,
// Path=/, no Domain; and HttpOnly and SameSite=Lax besides. maxAge < 0
// deletes it.
func hostCookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge}
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, hostCookie(sessionCookie, token, int(s.Svc.SessionMax.Seconds())))
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, hostCookie(sessionCookie, "", -1))
}
