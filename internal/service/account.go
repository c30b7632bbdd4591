package service

import (
	"context"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/store"
)

// ListUsers lists every account.
func (s *Service) ListUsers(ctx context.Context, a domain.Actor) ([]domain.User, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return nil, err
	}
	return s.Store.ListUsers(ctx)
}

// GetUser returns an account: any for an admin, one's own for others.
func (s *Service) GetUser(ctx context.Context, a domain.Actor, id int64) (domain.User, error) {
	if id != a.UserID {
		if err := require(a, domain.PermUserAdmin); err != nil {
			return domain.User{}, err
		}
	}
	return s.Store.GetUser(ctx, id)
}

// CreateUser makes an account with the given password; an empty password
// gets a generated one, which is returned (and shown once by the caller).
func (s *Service) CreateUser(ctx context.Context, a domain.Actor, u *domain.User, password string) (string, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return "", err
	}
	if password == "" {
		password = auth.NewPassword()
	}
	u.Normalize()
	err := u.Validate()
	if err = mergeProblems(err, domain.ValidatePassword(password)); err != nil {
		return "", err
	}
	h, err := auth.HashPassword(password, s.PasswordParams)
	if err != nil {
		return "", err
	}
	u.PasswordHash = h
	stamp(&u.Meta, a, true)
	return password, s.Store.CreateUser(ctx, u)
}

// UpdateUser changes an account's role, name, language or disabled flag.
// Disabling signs the user out everywhere. Admins cannot disable or demote
// themselves, so an instance cannot lose its last way in by accident.
func (s *Service) UpdateUser(ctx context.Context, a domain.Actor, u *domain.User) error {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return err
	}
	old, err := s.Store.GetUser(ctx, u.ID)
	if err != nil {
		return err
	}
	if u.ID == a.UserID && (u.Disabled || u.Role != old.Role) {
		return domain.Errorf(domain.EInvalid, "you cannot disable your own account or change your own role")
	}
	u.PasswordHash, u.Username, u.CreatedAt, u.CreatedBy = old.PasswordHash, old.Username, old.CreatedAt, old.CreatedBy
	if err := check(u); err != nil {
		return err
	}
	stamp(&u.Meta, a, false)
	if err := s.Store.UpdateUser(ctx, u); err != nil {
		return err
	}
	if u.Disabled {
		return s.Store.DeleteUserSessions(ctx, u.ID)
	}
	return nil
}

// SetLanguage changes the actor's own interface language.
func (s *Service) SetLanguage(ctx context.Context, a domain.Actor, lang string) error {
	u, err := s.Store.GetUser(ctx, a.UserID)
	if err != nil {
		return err
	}
	u.Lang = lang
	if err := check(&u); err != nil {
		return err
	}
	return s.Store.UpdateUser(ctx, &u)
}

// ChangePassword sets a new password for the actor after checking the old
// one, and ends all of the actor's sessions.
func (s *Service) ChangePassword(ctx context.Context, a domain.Actor, oldPW, newPW string) error {
	u, err := s.Store.GetUser(ctx, a.UserID)
	if err != nil {
		return err
	}
	if ok, _ := auth.CheckPassword(oldPW, u.PasswordHash); !ok {
		var p domain.Problems
		p.Add("old_password", "is not your current password")
		return p.Err()
	}
	if err := domain.ValidatePassword(newPW); err != nil {
		return err
	}
	if u.PasswordHash, err = auth.HashPassword(newPW, s.PasswordParams); err != nil {
		return err
	}
	if err := s.Store.UpdateUser(ctx, &u); err != nil {
		return err
	}
	if err := s.Store.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	return s.audit(ctx, a, "password_changed", "user", u.ID, nil)
}

// ErrBadLogin is the one answer for an unknown user, a wrong password and a
// disabled account, so the login form does not reveal which accounts exist.
var ErrBadLogin = domain.Errorf(domain.EUnauthorized, "wrong username or password")

// Authenticate checks a username and password. It neither throttles nor
// audits: the login form goes through Login, which does both.
func (s *Service) Authenticate(ctx context.Context, username, password string) (domain.User, error) {
	u, _, err := s.checkPassword(ctx, username, password)
	if err != nil {
		return domain.User{}, err
	}
	_ = s.Store.SetLastLogin(ctx, u.ID, s.Now().UTC())
	return u, nil
}

// StartSession creates a session for u and returns its secret token, which
// only the browser keeps; the store holds its hash.
func (s *Service) StartSession(ctx context.Context, u domain.User) (string, error) {
	return s.startSession(ctx, u, "", false, nil)
}

// SessionUser returns the user of a live session token and refreshes its
// idle timer. Expired, idle and disabled sessions are refused.
func (s *Service) SessionUser(ctx context.Context, token string) (domain.User, error) {
	st, err := s.Session(ctx, token)
	return st.User, err
}

// EndSession logs a session out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	return s.Store.DeleteSession(ctx, auth.HashSecret(token))
}

// APITokenPrefix marks Vigil API tokens so they are recognisable in logs
// and secret scanners.
const APITokenPrefix = "vgl_"

// CreateAPIToken makes a token for user; the plain token is returned once.
func (s *Service) CreateAPIToken(ctx context.Context, a domain.Actor, userID int64, name string) (string, error) {
	if userID != a.UserID {
		if err := require(a, domain.PermUserAdmin); err != nil {
			return "", err
		}
	}
	u, err := s.Store.GetUser(ctx, userID)
	if err != nil {
		return "", err
	}
	if u.Disabled {
		return "", domain.Errorf(domain.EInvalid, "user %s is disabled", u.Username)
	}
	name = domain.CleanText(name)
	if name == "" {
		name = "API token"
	}
	if len(name) > domain.MaxShortText {
		return "", domain.Errorf(domain.EInvalid, "token name is too long")
	}
	tok := auth.NewSecret(APITokenPrefix, 32)
	t := store.APIToken{UserID: userID, Name: name, Hash: auth.HashSecret(tok), CreatedAt: s.Now().UTC()}
	if err := s.Store.CreateAPIToken(ctx, &t); err != nil {
		return "", err
	}
	return tok, s.audit(ctx, a, "token_created", "api_token", t.ID, map[string]int64{"user_id": userID})
}

// TokenUser returns the user of a live API token.
func (s *Service) TokenUser(ctx context.Context, token string) (domain.User, error) {
	if !strings.HasPrefix(token, APITokenPrefix) {
		return domain.User{}, domain.ErrUnauthorized
	}
	t, err := s.Store.GetAPITokenByHash(ctx, auth.HashSecret(token))
	if err != nil || t.RevokedAt != nil {
		return domain.User{}, domain.ErrUnauthorized
	}
	u, err := s.Store.GetUser(ctx, t.UserID)
	if err != nil || u.Disabled {
		return domain.User{}, domain.ErrUnauthorized
	}
	return u, nil
}

// ActorOf is the actor for a signed-in user.
func ActorOf(u domain.User) domain.Actor { return domain.Actor{UserID: u.ID, Role: u.Role} }
