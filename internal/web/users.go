package web

import (
	"net/http"
	"strconv"
	"time"

	"vigil/internal/domain"
	"vigil/internal/service"
	"vigil/internal/store"
)

func (s *Server) userRoutes() []Route {
	rs := []Route{
		{Method: "GET", Path: "/users", Perm: domain.PermUserAdmin, Handler: s.userList},
		{Method: "GET", Path: "/users/new", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.userNew},
		{Method: "POST", Path: "/users", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.userCreate},
		{Method: "GET", Path: "/users/{id}/edit", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.userEdit},
		{Method: "POST", Path: "/users/{id}", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.userUpdate},
		{Method: "POST", Path: "/users/{id}/tokens", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.userTokenCreate},
		{Method: "POST", Path: "/users/{id}/tokens/{token}/revoke", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.userTokenRevoke},
		{Method: "POST", Path: "/users/{id}/sessions/revoke", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.userSessionsRevoke},
	}
	return append(rs, s.accountRoutes()...)
}

// --- list ---

type userListData struct {
	Items []domain.User
	Me    int64
	// Sessions counts each user's live sessions; a user without one is
	// missing (index gives 0).
	Sessions map[int64]int
}

func (s *Server) userList(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	us, err := s.Svc.ListUsers(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	counts, err := s.Svc.LiveSessionCounts(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "users.title")
	v.Data = userListData{Items: us, Me: a.UserID, Sessions: counts}
	s.render(w, r, http.StatusOK, "user_list", v)
}

// --- form ---

// userForm is the user form as typed.
type userForm struct {
	ID          int64
	Version     int
	Username    string
	DisplayName string
	Role        string
	Lang        string
	Disabled    bool
}

func userFormOf(u domain.User) userForm {
	return userForm{ID: u.ID, Version: u.Version, Username: u.Username, DisplayName: u.DisplayName,
		Role: u.Role, Lang: u.Lang, Disabled: u.Disabled}
}

func userFormFrom(f *form, id int64) userForm {
	return userForm{ID: id, Version: f.int("version"), Username: f.str("username"), DisplayName: f.str("display_name"),
		Role: f.str("role"), Lang: f.str("lang"), Disabled: f.bool("disabled")}
}

func (uf userForm) user() domain.User {
	return domain.User{Meta: domain.Meta{ID: uf.ID, Version: uf.Version}, Username: uf.Username,
		DisplayName: uf.DisplayName, Role: uf.Role, Lang: uf.Lang, Disabled: uf.Disabled}
}

type userFormData struct {
	F      userForm
	U      domain.User // the stored account, when editing
	Self   bool
	Tokens []store.APIToken
	// Sessions are the account's live sessions, when editing someone
	// else's; one's own are on one's own sessions page, which keeps the
	// session in use when logging out the rest.
	Sessions []service.SessionView
	Action   string
}

func (s *Server) userNew(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "users.new")
	v.Data = userFormData{F: userForm{Role: "monitor", Lang: v.Lang}, Action: "/users"}
	s.render(w, r, http.StatusOK, "user_form", v)
}

// userCreated is the page that shows a generated password or a new API
// token, once. It is answered directly to the POST: a secret must never
// travel in a redirect URL, and the page is marked no-store.
type userCreated struct {
	User      domain.User
	Secret    string
	IsToken   bool
	TokenName string
	Back      string
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	uf := userFormFrom(f, 0)
	u := uf.user()
	u.Version = 0
	pw, err := s.Svc.CreateUser(r.Context(), actorOf(r), &u, "")
	if err != nil {
		s.userFormError(w, r, "users.new", userFormData{F: uf, Action: "/users"}, err)
		return
	}
	v := s.view(r, "users.created")
	v.Data = userCreated{User: u, Secret: pw, Back: "/users"}
	s.render(w, r, http.StatusOK, "user_created", v)
}

func (s *Server) userFormError(w http.ResponseWriter, r *http.Request, title string, d userFormData, err error) {
	if status, ok := s.formErrorStatus(w, r, err); ok {
		s.renderFormError(w, r, status, title, "user_form", d, err)
	}
}

// userEditData loads what the edit page shows besides the form.
func (s *Server) userEditData(r *http.Request, id int64) (userFormData, error) {
	a := actorOf(r)
	u, err := s.Svc.GetUser(r.Context(), a, id)
	if err != nil {
		return userFormData{}, err
	}
	toks, err := s.Svc.ListUserAPITokens(r.Context(), a, id)
	if err != nil {
		return userFormData{}, err
	}
	d := userFormData{F: userFormOf(u), U: u, Self: id == a.UserID, Tokens: toks,
		Action: "/users/" + strconv.FormatInt(id, 10)}
	if !d.Self {
		if d.Sessions, err = s.Svc.UserSessions(r.Context(), a, id); err != nil {
			return userFormData{}, err
		}
	}
	return d, nil
}

func (s *Server) userEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.userEditData(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "users.edit")
	v.Data = d
	s.render(w, r, http.StatusOK, "user_form", v)
}

func (s *Server) userUpdate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	d, err := s.userEditData(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	uf := userFormFrom(f, id)
	uf.Username = d.U.Username // not editable
	u := uf.user()
	if err := saveForm(r, f, &u, s.Svc.UpdateUser); err != nil {
		d.F = uf
		s.userFormError(w, r, "users.edit", d, err)
		return
	}
	redirect(w, r, "/users/"+strconv.FormatInt(id, 10)+"/edit", "saved")
}

func (s *Server) userTokenCreate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	a := actorOf(r)
	u, err := s.Svc.GetUser(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := f.str("token_name")
	tok, err := s.Svc.CreateAPIToken(r.Context(), a, id, name)
	if err != nil {
		d, derr := s.userEditData(r, id)
		if derr != nil {
			s.fail(w, r, derr)
			return
		}
		s.userFormError(w, r, "users.edit", d, err)
		return
	}
	if name == "" {
		name = "API token"
	}
	v := s.view(r, "users.token_created_title")
	back := "/users/" + strconv.FormatInt(id, 10) + "/edit"
	v.Data = userCreated{User: u, Secret: tok, IsToken: true, TokenName: domain.CleanText(name), Back: back}
	s.render(w, r, http.StatusOK, "user_created", v)
}

func (s *Server) userTokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tid, err := pathID(r, "token")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Svc.RevokeUserAPIToken(r.Context(), actorOf(r), id, tid); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/users/"+strconv.FormatInt(id, 10)+"/edit", "token_revoked")
}

// userSessionsRevoke logs the user out everywhere, for an account that may
// be in the wrong hands, without disabling it.
func (s *Server) userSessionsRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Svc.RevokeUserSessions(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/users/"+strconv.FormatInt(id, 10)+"/edit", "user_sessions_revoked")
}

// --- API ---

func (s *Server) userAPI() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/users", Perm: domain.PermUserAdmin, Handler: s.apiUserList,
			Doc: "Every account (no password hashes). Not paginated: next is always empty."},
		{Method: "POST", Path: "/api/v1/users", Perm: domain.PermUserAdmin, Handler: s.apiUserCreate, Secret: true,
			Doc: "Create an account: username, display_name, role, lang. Answers {user, password} with a generated password, shown this once. " +
				"Idempotency-Key is refused here, because a replay would need the password stored."},
		{Method: "GET", Path: "/api/v1/users/{id}", Perm: domain.PermUserAdmin, Handler: s.apiUserGet,
			Doc: "One account."},
		{Method: "GET", Path: "/api/v1/users/{id}/sessions", Perm: domain.PermUserAdmin, Handler: s.apiUserSessions,
			Doc: "The account's live sessions: when each began and was last active, a short browser summary and whether it passed a second factor. " +
				"Never a token or its hash. Not paginated: next is always empty."},
		{Method: "DELETE", Path: "/api/v1/users/{id}/sessions", Perm: domain.PermUserAdmin, Handler: s.apiUserSessionsRevoke,
			Doc: "Log the account out everywhere without disabling it: every session and half-finished login ends; API tokens and the password stay. " +
				"Audited as sessions_revoked. Refused for the caller's own account. Answers 204."},
		{Method: "GET", Path: "/api/v1/me", Perm: domain.PermSelf, Handler: s.apiMe,
			Doc: "The caller's own account."},
	}
}

func (s *Server) apiUserList(w http.ResponseWriter, r *http.Request) {
	us, err := s.Svc.ListUsers(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(us, ""))
}

type userInput struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Lang        string `json:"lang"`
}

type userCreatedOut struct {
	User     domain.User `json:"user"`
	Password string      `json:"password"`
}

func (s *Server) apiUserCreate(w http.ResponseWriter, r *http.Request) {
	// The idempotency layer stores the response to replay it; this one
	// carries a password, which must never be stored in plain text.
	if r.Header.Get("Idempotency-Key") != "" {
		s.fail(w, r, domain.Errorf(domain.EInvalid, "Idempotency-Key is not accepted when creating a user: the answer carries a one-time password that must not be stored"))
		return
	}
	var in userInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	u := domain.User{Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, Lang: in.Lang}
	pw, err := s.Svc.CreateUser(r.Context(), actorOf(r), &u, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	created(w, apiPath("users", u.ID), userCreatedOut{User: u, Password: pw})
}

func (s *Server) apiUserGet(w http.ResponseWriter, r *http.Request) {
	apiGetOne(s, w, r, s.Svc.GetUser)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	u, err := s.Svc.GetUser(r.Context(), a, a.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// sessionOut is a session as the API shows it to a user administrator.
type sessionOut struct {
	CreatedAt    time.Time `json:"created_at"`
	LastSeenAt   time.Time `json:"last_seen_at"`
	Browser      string    `json:"browser"`
	SecondFactor bool      `json:"second_factor"`
}

func (s *Server) apiUserSessions(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ss, err := s.Svc.UserSessions(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]sessionOut, 0, len(ss))
	for _, se := range ss {
		out = append(out, sessionOut{CreatedAt: se.CreatedAt, LastSeenAt: se.LastSeenAt, Browser: se.UserAgent, SecondFactor: se.MFA})
	}
	writeJSON(w, http.StatusOK, newList(out, ""))
}

func (s *Server) apiUserSessionsRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Svc.RevokeUserSessions(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
