package web

import (
	"crypto/rand"
	"encoding/base64"
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
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		}
		next.ServeHTTP(w, r)
	})
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

const sessionCookie = "vigil_session"

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
				if u, err := s.Svc.SessionUser(ctx, c.Value); err == nil {
					ctx = withUser(ctx, u)
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

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.Secure, SameSite: http.SameSiteLaxMode, MaxAge: int(s.Svc.SessionMax.Seconds())})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.Secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
