package web

import (
	"net/http"

	"vigil/internal/domain"
	"vigil/internal/i18n"
)

func (s *Server) sessionRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/login", Perm: domain.PermPublic, Handler: s.loginPage},
		{Method: "POST", Path: "/login", Perm: domain.PermPublic, Handler: s.login},
		{Method: "POST", Path: "/logout", Perm: domain.PermSelf, Handler: s.logout},
		{Method: "POST", Path: "/lang", Perm: domain.PermPublic, Handler: s.setLang},
	}
}

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
	u, err := s.Svc.Authenticate(r.Context(), f.str("username"), f.str("password"))
	if err != nil {
		v := s.view(r, "login.title")
		v.FormError = i18n.T(v.Lang, "login.failed")
		v.Data = loginData{Username: f.str("username"), Next: next}
		status := http.StatusUnauthorized
		if domain.ErrorCode(err) == domain.EInternal {
			s.Log.Error("login", "err", err)
			status = http.StatusInternalServerError
		}
		s.render(w, r, status, "login", v)
		return
	}
	// A new token at every login: a session id planted before login is
	// never the one that becomes authenticated.
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.Svc.EndSession(r.Context(), c.Value)
	}
	tok, err := s.Svc.StartSession(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setSessionCookie(w, tok)
	redirect(w, r, next, "")
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
	http.SetCookie(w, &http.Cookie{Name: "vigil_lang", Value: lang, Path: "/", SameSite: http.SameSiteLaxMode, Secure: s.Secure, MaxAge: 365 * 24 * 3600})
	redirect(w, r, safeNext(f.str("next")), "")
}
