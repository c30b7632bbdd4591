package web

import (
	"net/http"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// accountRoutes are one's own account: every signed-in user has them.
func (s *Server) accountRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/account", Perm: domain.PermSelf, Handler: s.accountPage},
		{Method: "POST", Path: "/account/password", Perm: domain.PermSelf, Handler: s.accountPassword},
		{Method: "POST", Path: "/account/tokens", Perm: domain.PermSelf, Reauth: true, Handler: s.accountTokenCreate},
		{Method: "POST", Path: "/account/tokens/{id}/revoke", Perm: domain.PermSelf, Handler: s.accountTokenRevoke},
	}
}

type accountData struct {
	U      domain.User
	Tokens []store.APIToken
	// NewToken is a token just created, shown this once.
	NewToken     string
	NewTokenName string
	// TokenName is what was typed in the token form, kept on an error.
	TokenName string
}

// renderAccount loads the account and its tokens and shows the page; d
// carries what the current request adds (a new token, typed input).
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, v View, d accountData) {
	a := actorOf(r)
	u, err := s.Svc.GetUser(r.Context(), a, a.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	toks, err := s.Svc.ListAPITokens(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.U, d.Tokens = u, toks
	v.Data = d
	s.render(w, r, status, "account", v)
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, s.view(r, "account.title"), accountData{})
}

// accountFormError shows the account page again with the problems marked.
// Passwords are never sent back into the form.
func (s *Server) accountFormError(w http.ResponseWriter, r *http.Request, d accountData, err error) {
	status, ok := s.formErrorStatus(w, r, err)
	if !ok {
		return
	}
	v := s.view(r, "account.title")
	v.withError(err)
	s.renderAccount(w, r, status, v, d)
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	oldPW, newPW, repeat := f.str("old_password"), f.str("new_password"), f.str("new_password_repeat")
	// Check the new password here first: the service would otherwise
	// change it before a mistyped repeat could be noticed.
	var p domain.Problems
	if oldPW == "" {
		p.Add("old_password", "is required")
	}
	for _, fe := range domain.ErrorFields(domain.ValidatePassword(newPW)) {
		p.Add("new_password", "%s", fe.Message)
	}
	if newPW != repeat {
		p.Add("new_password_repeat", "does not match the new password")
	}
	err = p.Err()
	if err == nil {
		err = s.Svc.ChangePassword(r.Context(), actorOf(r), oldPW, newPW)
	}
	if err != nil {
		s.accountFormError(w, r, accountData{}, accountRenameField(err, "password", "new_password"))
		return
	}
	// Every session has ended, this one included.
	s.clearSessionCookie(w)
	redirect(w, r, "/login", "password_changed")
}

// accountRenameField moves a field error to the name the form uses.
func accountRenameField(err error, from, to string) error {
	e, ok := err.(*domain.Error)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]domain.FieldError, len(e.Fields))
	for i, fe := range e.Fields {
		if fe.Field == from {
			fe.Field = to
		}
		out.Fields[i] = fe
	}
	return &out
}

func (s *Server) accountTokenCreate(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a := actorOf(r)
	name := f.str("token_name")
	tok, err := s.Svc.CreateAPIToken(r.Context(), a, a.UserID, name)
	if err != nil {
		s.accountFormError(w, r, accountData{TokenName: name}, err)
		return
	}
	if name = domain.CleanText(name); name == "" {
		name = "API token"
	}
	// The token is shown in the answer to this POST and never again; a
	// redirect would have to carry it in the URL.
	v := s.view(r, "account.title")
	s.renderAccount(w, r, http.StatusOK, v, accountData{NewToken: tok, NewTokenName: name})
}

func (s *Server) accountTokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Svc.RevokeAPIToken(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/account", "token_revoked")
}
