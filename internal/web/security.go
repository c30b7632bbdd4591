package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"vigil/internal/domain"
	"vigil/internal/service"
	"vigil/internal/store"
)

// Two-factor authentication, one's own sessions, and the administrator's
// security settings (roles that must use 2FA, resets of lost factors).
func (s *Server) securityRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/account/2fa", Perm: domain.PermSelf, Reauth: true, Handler: s.mfaPage},
		{Method: "POST", Path: "/account/2fa/setup", Perm: domain.PermSelf, Reauth: true, Handler: s.mfaSetup},
		{Method: "POST", Path: "/account/2fa/confirm", Perm: domain.PermSelf, Reauth: true, Handler: s.mfaConfirm},
		{Method: "POST", Path: "/account/2fa/recovery-codes", Perm: domain.PermSelf, Reauth: true, Handler: s.mfaRecoveryCodes},
		{Method: "POST", Path: "/account/2fa/disable", Perm: domain.PermSelf, Reauth: true, Handler: s.mfaDisable},
		{Method: "GET", Path: "/account/sessions", Perm: domain.PermSelf, Handler: s.sessionsPage},
		{Method: "POST", Path: "/account/sessions/{id}/revoke", Perm: domain.PermSelf, Handler: s.sessionRevoke},
		{Method: "POST", Path: "/account/sessions/revoke-others", Perm: domain.PermSelf, Handler: s.sessionRevokeOthers},
		{Method: "GET", Path: "/admin/security", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.securityAdmin},
		{Method: "POST", Path: "/admin/security/roles", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.securityRoles},
		{Method: "POST", Path: "/admin/security/resets", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.securityResetStart},
		{Method: "POST", Path: "/admin/security/resets/{id}/approve", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.securityResetApprove},
		{Method: "POST", Path: "/admin/security/resets/{id}/reject", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.securityResetReject},
	}
}

// --- the gate every signed-in request passes ---

// enrolmentRoutes are all that a user who must set up a second factor can
// reach until they have: the set-up itself, re-authentication and logout.
var enrolmentRoutes = map[string]bool{
	"GET /account/2fa": true, "POST /account/2fa/setup": true, "POST /account/2fa/confirm": true,
	"GET /reauth": true, "POST /reauth": true, "POST /logout": true,
}

// securityGate runs after the permission check of a signed-in request. It
// sends a user who must enrol in two-factor authentication to the set-up
// page, refuses their API tokens, and asks for the password again before
// a sensitive action when the last one is too old. It reports whether the
// handler may run.
func (s *Server) securityGate(w http.ResponseWriter, r *http.Request, rt Route, u domain.User) bool {
	si, ok := sessionOf(r)
	if !ok {
		if rt.Surface != API {
			return true
		}
		need, err := s.Svc.NeedsMFAEnrolment(r.Context(), u)
		if err == nil && need {
			err = domain.Errorf(domain.EForbidden, "your account must use two-factor authentication: log in to the web interface and set it up")
		}
		if err != nil {
			s.fail(w, r, err)
			return false
		}
		return true
	}
	if si.state.NeedsEnrolment && !enrolmentRoutes[rt.Pattern()] {
		redirect(w, r, "/account/2fa", "mfa_required")
		return false
	}
	if rt.Reauth && rt.Surface == UI && !s.Svc.ReauthFresh(si.state.Session) {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			// A form cannot be sent again after a redirect; the person
			// confirms and then comes back to the page the form was on.
			next = s.formPageFor(r.URL.Path)
		}
		redirect(w, r, "/reauth?next="+url.QueryEscape(next), "reauth_needed")
		return false
	}
	return true
}

// formPageFor finds the page that most likely holds the form posting to
// path: path+"/edit" or path itself, then the same for each parent, the
// first that is a GET route. /users/5 → /users/5/edit, /account/tokens →
// /account.
func (s *Server) formPageFor(path string) string {
	mux := http.NewServeMux()
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, rt := range s.Routes() {
		if rt.Method == http.MethodGet && rt.Surface == UI {
			mux.Handle(rt.Pattern(), noop)
		}
	}
	for p := path; p != "" && p != "/"; p = p[:strings.LastIndexByte(p, '/')] {
		for _, c := range []string{p + "/edit", p} {
			req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: c}, Host: "vigil"}
			if _, pat := mux.Handler(req); pat != "" {
				return c
			}
		}
	}
	return "/"
}

// --- one's own second factor ---

type mfaPageData struct {
	State service.MFAState
	// Enrol is a set-up waiting for its first code.
	Enrol *enrolView
	// Codes are recovery codes made by this request, shown this once.
	Codes []string
}

type enrolView struct {
	QR         template.URL // a data: URL of the QR code's PNG
	SecretText string
	URI        string
}

// qrDataURL renders text as a QR code PNG, on the server (no request
// leaves the machine), as a data: URL the page can show inline.
func qrDataURL(text string) (template.URL, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	if code, err = barcode.Scale(code, 240, 240); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return "", err
	}
	// The URL is made here from our own PNG, so marking it safe for
	// html/template (which refuses data: URLs by default) is sound.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

func (s *Server) renderMFA(w http.ResponseWriter, r *http.Request, status int, v View, d mfaPageData, enrol *service.Enrolment) {
	st, err := s.Svc.MFAStateOf(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.State = st
	if enrol != nil {
		img, err := qrDataURL(enrol.URI)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Enrol = &enrolView{QR: img, SecretText: enrol.SecretText, URI: enrol.URI}
	}
	v.Data = d
	s.render(w, r, status, "security_2fa", v)
}

func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request) {
	s.renderMFA(w, r, http.StatusOK, s.view(r, "mfa.title"), mfaPageData{}, nil)
}

func (s *Server) mfaSetup(w http.ResponseWriter, r *http.Request) {
	if _, err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := s.Svc.BeginMFAEnrolment(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderMFA(w, r, http.StatusOK, s.view(r, "mfa.title"), mfaPageData{}, &e)
}

func (s *Server) mfaConfirm(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	si, _ := sessionOf(r)
	a := actorOf(r)
	codes, err := s.Svc.ConfirmMFAEnrolment(r.Context(), a, si.token, f.str("code"))
	if domain.ErrorCode(err) == domain.EInvalid {
		// A wrong first code: show the same QR code again.
		e, eerr := s.Svc.CurrentEnrolment(r.Context(), a)
		if eerr != nil {
			s.fail(w, r, eerr)
			return
		}
		v := s.view(r, "mfa.title")
		v.withError(err)
		s.renderMFA(w, r, http.StatusUnprocessableEntity, v, mfaPageData{}, &e)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "mfa.title")
	v.Flash = v.T("flash.mfa_enabled")
	s.renderMFA(w, r, http.StatusOK, v, mfaPageData{Codes: codes}, nil)
}

func (s *Server) mfaRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	if _, err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	codes, err := s.Svc.RenewRecoveryCodes(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderMFA(w, r, http.StatusOK, s.view(r, "mfa.title"), mfaPageData{Codes: codes}, nil)
}

func (s *Server) mfaDisable(w http.ResponseWriter, r *http.Request) {
	if _, err := parseForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Svc.DisableMFA(r.Context(), actorOf(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/account/2fa", "mfa_disabled")
}

// --- one's own sessions ---

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request) {
	si, _ := sessionOf(r)
	list, err := s.Svc.ListSessions(r.Context(), actorOf(r), si.token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "sessions.title")
	v.Data = list
	s.render(w, r, http.StatusOK, "security_sessions", v)
}

func (s *Server) sessionRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.Svc.RevokeSession(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/account/sessions", "session_revoked")
}

func (s *Server) sessionRevokeOthers(w http.ResponseWriter, r *http.Request) {
	si, _ := sessionOf(r)
	if err := s.Svc.RevokeOtherSessions(r.Context(), actorOf(r), si.token); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/account/sessions", "sessions_revoked")
}

// --- administration ---

type securityAdminData struct {
	Required map[string]bool
	Users    []domain.User
	Enabled  map[int64]bool
	Resets   []store.MFAReset
	Me       int64
}

func (s *Server) securityAdmin(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), actorOf(r)
	roles, err := s.Svc.MFARequiredRoles(ctx, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := securityAdminData{Required: map[string]bool{}, Me: a.UserID}
	for _, role := range roles {
		d.Required[role] = true
	}
	if d.Users, err = s.Svc.ListUsers(ctx, a); err == nil {
		if d.Enabled, err = s.Svc.MFAEnabledUsers(ctx, a); err == nil {
			d.Resets, err = s.Svc.PendingMFAResets(ctx, a)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "secadmin.title")
	v.Data = d
	s.render(w, r, http.StatusOK, "security_admin", v)
}

func (s *Server) securityRoles(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Svc.SetMFARequiredRoles(r.Context(), actorOf(r), f.list("roles")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/admin/security", "saved")
}

func (s *Server) securityResetStart(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := strconv.ParseInt(f.str("user_id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, domain.Errorf(domain.EInvalid, "choose a user"))
		return
	}
	if _, err := s.Svc.RequestMFAReset(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/admin/security", "mfa_reset_started")
}

func (s *Server) securityResetDecide(w http.ResponseWriter, r *http.Request, approve bool, msg string) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Svc.DecideMFAReset(r.Context(), actorOf(r), id, approve); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/admin/security", msg)
}

func (s *Server) securityResetApprove(w http.ResponseWriter, r *http.Request) {
	s.securityResetDecide(w, r, true, "mfa_reset_approved")
}

func (s *Server) securityResetReject(w http.ResponseWriter, r *http.Request) {
	s.securityResetDecide(w, r, false, "mfa_reset_rejected")
}
