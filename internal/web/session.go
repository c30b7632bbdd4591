package web

import (
	"context"
	"net/http"
	"net/url"

	"vigil/internal/domain"
	"vigil/internal/i18n"
	"vigil/internal/service"
)

func (s *Server) sessionRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/login", Perm: domain.PermPublic, Handler: s.loginPage},
		{Method: "POST", Path: "/login", Perm: domain.PermPublic, Handler: s.login},
		// The second step of a login with two-factor authentication. It is
		// public as a route, but answers only to a half-finished login's
		// cookie, which grants nothing else.
		{Method: "GET", Path: "/login/2fa", Perm: domain.PermPublic, Handler: s.loginCodePage},
		{Method: "POST", Path: "/login/2fa", Perm: domain.PermPublic, Handler: s.loginCode},
		{Method: "POST", Path: "/login/2fa/reset", Perm: domain.PermPublic, Handler: s.loginResetRequest},
		{Method: "GET", Path: "/reauth", Perm: domain.PermSelf, Handler: s.reauthPage},
		{Method: "POST", Path: "/reauth", Perm: domain.PermSelf, Handler: s.reauth},
		{Method: "POST", Path: "/logout", Perm: domain.PermSelf, Handler: s.logout},
		{Method: "POST", Path: "/lang", Perm: domain.PermPublic, Handler: s.setLang},
	}
}

// sessionInfo is the session of a signed-in browser request.
type sessionInfo struct {
	token string
	state service.SessionState
}

type sessionCtxKey struct{}

func withSession(ctx context.Context, token string, st service.SessionState) context.Context {
	return context.WithValue(ctx, sessionCtxKey{}, sessionInfo{token: token, state: st})
}

// sessionOf returns the browser session of the request, if any (API
// requests have none).
func sessionOf(r *http.Request) (sessionInfo, bool) {
	si, ok := r.Context().Value(sessionCtxKey{}).(sessionInfo)
	return si, ok
}

// clientIP is the address the request came from, for login throttling and
// anything that records where a request came from; every such use goes
// through here. It is the TCP peer, unless that peer is a reverse proxy the
// operator named with --trusted-proxy: only then is X-Forwarded-For read
// (see TrustedProxies.client), because any client can send the header.
func (s *Server) clientIP(r *http.Request) string { return s.TrustedProxies.client(r) }

type loginData struct {
	Username string
	Next     string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := userOf(r); ok {
		redirect(w, r, safeNext(r.URL.Query().Get("next")), "")
		return
	}
	v := s.view(r, "login.title")
	v.Data = loginData{Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, r, http.StatusOK, "login", v)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := safeNext(f.str("next"))
	res, err := s.Svc.Login(r.Context(), service.LoginAttempt{Username: f.str("username"), Password: f.str("password"),
		Client: s.clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.loginFailed(w, r, "login", "login.title", loginData{Username: f.str("username"), Next: next}, err)
		return
	}
	// Whatever session the browser had ends here: a session id planted
	// before login is never the one that becomes authenticated.
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.Svc.EndSession(r.Context(), c.Value)
	}
	if res.Pending != "" {
		s.clearSessionCookie(w)
		http.SetCookie(w, hostCookie(pendingCookie, res.Pending, int(service.PendingLoginLife.Seconds())))
		redirect(w, r, "/login/2fa?next="+url.QueryEscape(next), "")
		return
	}
	s.setSessionCookie(w, res.Session)
	redirect(w, r, next, "")
}

// loginFailed shows a login form again with the one message that fits
// every refusal of its kind: a wrong password and an unknown user read the
// same, and so do the lockouts of either.
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, page, title string, data any, err error) {
	v := s.view(r, title)
	v.Data = data
	status := http.StatusUnauthorized
	switch {
	case err == service.ErrThrottled:
		status = http.StatusTooManyRequests
		v.FormError = i18n.T(v.Lang, "login.throttled")
		// Retry-After is the same for everyone: the real unlock time
		// would tell a known account from an unknown one.
		w.Header().Set("Retry-After", "60")
	case err == service.ErrBadCode:
		v.FormError = i18n.T(v.Lang, "login.bad_code")
	case domain.ErrorCode(err) == domain.EUnauthorized:
		v.FormError = i18n.T(v.Lang, "login.failed")
	default:
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, page, v)
}

// --- the second step ---

type loginCodeData struct {
	Next string
}

// pendingToken is the half-finished login's token from its cookie.
func pendingToken(r *http.Request) string {
	if c, err := r.Cookie(pendingCookie); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) clearPendingCookie(w http.ResponseWriter) {
	http.SetCookie(w, hostCookie(pendingCookie, "", -1))
}

// loginExpired sends the browser back to the password form.
func (s *Server) loginExpired(w http.ResponseWriter, r *http.Request) {
	s.clearPendingCookie(w)
	redirect(w, r, "/login", "login_expired")
}

func (s *Server) loginCodePage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Svc.PendingLoginUser(r.Context(), pendingToken(r)); err != nil {
		if domain.ErrorCode(err) == domain.EUnauthorized {
			s.loginExpired(w, r)
		} else {
			s.fail(w, r, err)
		}
		return
	}
	v := s.view(r, "login.title")
	v.Data = loginCodeData{Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, r, http.StatusOK, "security_login_code", v)
}

func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := safeNext(f.str("next"))
	res, err := s.Svc.CompleteLogin(r.Context(), pendingToken(r), f.str("code"), s.clientIP(r), r.UserAgent())
	if err == service.ErrLoginExpired {
		s.loginExpired(w, r)
		return
	}
	if err != nil {
		s.loginFailed(w, r, "security_login_code", "login.title", loginCodeData{Next: next}, err)
		return
	}
	// A new session token after the second factor, and the half-finished
	// login's cookie is gone.
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.Svc.EndSession(r.Context(), c.Value)
	}
	s.clearPendingCookie(w)
	s.setSessionCookie(w, res.Session)
	redirect(w, r, next, "")
}

// loginResetRequest asks an administrator to clear a lost second factor.
// Only someone who just gave the right password can ask.
func (s *Server) loginResetRequest(w http.ResponseWriter, r *http.Request) {
	if _, err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.Svc.RequestMFAResetFromLogin(r.Context(), pendingToken(r))
	if err == service.ErrLoginExpired {
		s.loginExpired(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearPendingCookie(w)
	redirect(w, r, "/login", "mfa_reset_requested")
}

// --- re-authentication ---

type reauthData struct {
	Next string
	MFA  bool // the user has a second factor: the form asks for a code too
}

func (s *Server) reauthForm(w http.ResponseWriter, r *http.Request, status int, next string, err error) {
	v := s.view(r, "reauth.title")
	if err != nil {
		v.withError(err)
	}
	st, serr := s.Svc.MFAStateOf(r.Context(), actorOf(r))
	if serr != nil {
		s.fail(w, r, serr)
		return
	}
	v.Data = reauthData{Next: next, MFA: st.Enabled}
	s.render(w, r, status, "security_reauth", v)
}

func (s *Server) reauthPage(w http.ResponseWriter, r *http.Request) {
	s.reauthForm(w, r, http.StatusOK, safeNext(r.URL.Query().Get("next")), nil)
}

func (s *Server) reauth(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := safeNext(f.str("next"))
	si, ok := sessionOf(r)
	if !ok {
		s.fail(w, r, domain.ErrUnauthorized)
		return
	}
	err = s.Svc.Reauthenticate(r.Context(), actorOf(r), si.token, f.str("password"), f.str("code"), s.clientIP(r))
	switch {
	case err == service.ErrThrottled:
		w.Header().Set("Retry-After", "60")
		s.reauthForm(w, r, http.StatusTooManyRequests, next, err)
	case domain.ErrorCode(err) == domain.EInvalid:
		s.reauthForm(w, r, http.StatusUnprocessableEntity, next, err)
	case err != nil:
		s.fail(w, r, err)
	default:
		redirect(w, r, next, "")
	}
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.Svc.EndSession(r.Context(), c.Value)
	}
	s.clearSessionCookie(w)
	redirect(w, r, "/login", "logged_out")
}

// setLang switches the interface language: saved on the account when
// signed in, else in a cookie.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := i18n.Supported(f.str("lang"))
	if u, ok := userOf(r); ok {
		if err := s.Svc.SetLanguage(r.Context(), domain.Actor{UserID: u.ID, Role: u.Role}, lang); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, hostCookie(langCookie, lang, 365*24*3600))
	redirect(w, r, safeNext(f.str("next")), "")
}
