package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/store"
)

// Login security: throttled logins, the TOTP second factor with recovery
// codes, the roles that must use it, resets of a lost factor approved by an
// administrator, re-authentication before sensitive actions, and each
// user's list of sessions.

const (
	// ReauthWindow is how long a login or a re-authentication counts for
	// sensitive actions (user administration, API tokens, 2FA changes,
	// exports and backups).
	ReauthWindow = 10 * time.Minute
	// PendingLoginLife is how long the second-factor form waits after the
	// password was accepted.
	PendingLoginLife = 5 * time.Minute
	// MaxCodeAttempts wrong second-factor codes end a half-finished login;
	// the person starts again with the password (and the account's
	// failure count keeps growing).
	MaxCodeAttempts = 5
	// RecoveryCodeCount recovery codes are made at a time.
	RecoveryCodeCount = 10
	// throttleForget: failures older than this no longer count.
	throttleForget = 24 * time.Hour
	// TOTPIssuer names Vigil in authenticator apps.
	TOTPIssuer = "Vigil"
)

// ThrottlePolicy is exponential backoff after failed logins: the first
// Free failures cost nothing, then each failure locks the key for Base,
// 2×Base, 4×Base, … up to Max, counted from the last failure.
type ThrottlePolicy struct {
	Free      int
	Base, Max time.Duration
}

// The policies for a typed username and for a client address. A client
// gets more free tries because several people may share one address (an
// office, a NAT), and each person mistypes now and then.
var (
	AccountThrottle = ThrottlePolicy{Free: 5, Base: 30 * time.Second, Max: 15 * time.Minute}
	ClientThrottle  = ThrottlePolicy{Free: 20, Base: 30 * time.Second, Max: 15 * time.Minute}
)

// LockedUntil is when a key with the count t may try again; a time in the
// past (or zero) means now.
func (p ThrottlePolicy) LockedUntil(t store.Throttle) time.Time {
	if t.Failures < p.Free {
		return time.Time{}
	}
	d := p.Max
	if shift := t.Failures - p.Free; shift < 30 {
		d = min(p.Base<<shift, p.Max)
	}
	return t.LastFailureAt.Add(d)
}

// ErrThrottled is the one answer while a username or a client is locked
// out. It is the same whether the account exists or not, and the password
// is not even checked, so it reveals nothing.
var ErrThrottled = domain.Errorf(domain.ERateLimited, "too many failed attempts: wait a few minutes before trying again")

// ErrLoginExpired sends the person back to the password form: the
// half-finished login is gone (expired, too many wrong codes, or reset).
var ErrLoginExpired = domain.Errorf(domain.EUnauthorized, "your login has expired: log in again")

// ErrBadCode is a wrong second-factor code.
var ErrBadCode = domain.Errorf(domain.EUnauthorized, "wrong code")

// throttleKeys are the keyed hashes of a typed username and of a client
// address: the table of counts holds neither in the clear.
type throttleKeys struct{ account, client []byte }

func (s *Service) throttleKeys(username, client string) throttleKeys {
	k := auth.DeriveKey(s.MasterKey, "throttle v1")
	sum := func(kind, v string) []byte {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(kind))
		m.Write([]byte{0})
		m.Write([]byte(v))
		return m.Sum(nil)
	}
	return throttleKeys{account: sum("user", normalizeUsername(username)), client: sum("client", clientKey(client))}
}

func normalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// clientKey reduces an address to what one client controls: an IPv4
// address, or an IPv6 /64 (one household or machine usually has a whole
// /64, so counting single IPv6 addresses would be no limit at all).
func clientKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

// throttled reports whether either key is locked out now.
func (s *Service) throttled(ctx context.Context, k throttleKeys) (bool, error) {
	now := s.Now().UTC()
	for _, c := range []struct {
		key []byte
		p   ThrottlePolicy
	}{{k.account, AccountThrottle}, {k.client, ClientThrottle}} {
		t, err := s.Store.GetThrottle(ctx, c.key)
		if err != nil {
			return false, err
		}
		if now.Before(c.p.LockedUntil(t)) {
			return true, nil
		}
	}
	return false, nil
}

// failed counts a failed attempt against both keys and audits it. When the
// failure locks the account key for the first time in a row, that is
// audited too.
func (s *Service) failed(ctx context.Context, k throttleKeys, userID int64, action, stage string) error {
	now := s.Now().UTC()
	t, err := s.Store.RecordFailure(ctx, k.account, now, now.Add(-throttleForget))
	if err != nil {
		return err
	}
	if _, err := s.Store.RecordFailure(ctx, k.client, now, now.Add(-throttleForget)); err != nil {
		return err
	}
	if err := s.audit(ctx, domain.Actor{}, action, "user", userID, map[string]string{"stage": stage}); err != nil {
		return err
	}
	if t.Failures == AccountThrottle.Free {
		return s.audit(ctx, domain.Actor{}, "login_locked", "user", userID, nil)
	}
	return nil
}

// LoginAttempt is what the login form sends, plus where it came from.
type LoginAttempt struct {
	Username, Password string
	Client             string // the client's IP address
	UserAgent          string // the User-Agent header
}

// LoginResult is a finished login (Session is its token) or one that waits
// for the second factor (Pending is the token of the half-finished login).
type LoginResult struct {
	User    domain.User
	Session string
	Pending string
}

// Login checks a username and password. A user with a second factor gets a
// half-finished login that grants nothing but the second-factor form;
// anyone else gets a new session. Unknown users, wrong passwords and
// disabled accounts all answer ErrBadLogin, and a locked-out username or
// client answers ErrThrottled before any password is checked.
func (s *Service) Login(ctx context.Context, in LoginAttempt) (LoginResult, error) {
	now := s.Now().UTC()
	// Housekeeping rides on logins: they are rare next to page views.
	_ = s.Store.DeleteExpiredPendingLogins(ctx, now)
	_ = s.Store.DeleteExpiredSessions(ctx, now)
	keys := s.throttleKeys(in.Username, in.Client)
	if locked, err := s.throttled(ctx, keys); err != nil {
		return LoginResult{}, err
	} else if locked {
		return LoginResult{}, ErrThrottled
	}
	u, known, err := s.checkPassword(ctx, in.Username, in.Password)
	if err != nil {
		if errors.Is(err, ErrBadLogin) {
			if ferr := s.failed(ctx, keys, known, "login_failed", "password"); ferr != nil {
				return LoginResult{}, ferr
			}
		}
		return LoginResult{}, err
	}
	m, err := s.Store.GetMFA(ctx, u.ID)
	if err != nil && domain.ErrorCode(err) != domain.ENotFound {
		return LoginResult{}, err
	}
	if m.Enabled() {
		tok := auth.NewSecret("", 32)
		err := s.Store.CreatePendingLogin(ctx, store.PendingLogin{TokenHash: auth.HashSecret(tok), UserID: u.ID,
			CreatedAt: now, ExpiresAt: now.Add(PendingLoginLife), UserAgent: BrowserSummary(in.UserAgent)})
		return LoginResult{User: u, Pending: tok}, err
	}
	tok, err := s.finishLogin(ctx, u, keys, in.UserAgent, "", nil)
	return LoginResult{User: u, Session: tok}, err
}

// checkPassword is Authenticate that also tells which account a failure
// was about (0 when none), for the audit log.
func (s *Service) checkPassword(ctx context.Context, username, password string) (domain.User, int64, error) {
	u, err := s.Store.GetUserByUsername(ctx, normalizeUsername(username))
	if err != nil {
		if domain.ErrorCode(err) != domain.ENotFound {
			return domain.User{}, 0, err
		}
		auth.BurnTime(password)
		return domain.User{}, 0, ErrBadLogin
	}
	ok, err := auth.CheckPassword(password, u.PasswordHash)
	if err != nil || !ok || u.Disabled {
		return domain.User{}, u.ID, ErrBadLogin
	}
	return u, u.ID, nil
}

// finishLogin starts the session of a complete login, forgets the
// account's failures and audits the login. method names the second factor
// ("" for none).
func (s *Service) finishLogin(ctx context.Context, u domain.User, keys throttleKeys, userAgent, method string, pending []byte) (string, error) {
	now := s.Now().UTC()
	// The session first: a half-finished login that was ended meanwhile
	// stops here, before anything says the login succeeded.
	tok, err := s.startSession(ctx, u, userAgent, method != "", pending)
	if err != nil {
		return "", err
	}
	if err := s.Store.ClearThrottle(ctx, keys.account); err != nil {
		return "", err
	}
	_ = s.Store.PruneThrottle(ctx, now.Add(-throttleForget))
	_ = s.Store.SetLastLogin(ctx, u.ID, now)
	if method == "" {
		method = "none"
	}
	return tok, s.audit(ctx, ActorOf(u), "login", "user", u.ID, map[string]string{"second_factor": method})
}

// pendingLogin returns the live half-finished login of token and its user.
func (s *Service) pendingLogin(ctx context.Context, token string) (store.PendingLogin, domain.User, error) {
	if token == "" {
		return store.PendingLogin{}, domain.User{}, ErrLoginExpired
	}
	p, err := s.Store.GetPendingLogin(ctx, auth.HashSecret(token))
	if err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			err = ErrLoginExpired
		}
		return p, domain.User{}, err
	}
	if !s.Now().UTC().Before(p.ExpiresAt) {
		_ = s.Store.DeletePendingLogin(ctx, p.TokenHash)
		return p, domain.User{}, ErrLoginExpired
	}
	u, err := s.Store.GetUser(ctx, p.UserID)
	if err != nil || u.Disabled {
		_ = s.Store.DeletePendingLogin(ctx, p.TokenHash)
		return p, domain.User{}, ErrLoginExpired
	}
	return p, u, nil
}

// PendingLoginUser returns the user of a live half-finished login, for the
// second-factor form.
func (s *Service) PendingLoginUser(ctx context.Context, token string) (domain.User, error) {
	_, u, err := s.pendingLogin(ctx, token)
	return u, err
}

// CompleteLogin checks the second factor of a half-finished login: a TOTP
// code or a recovery code. Right, it ends the half-finished login and
// starts a new session (a new token: nothing from before the second
// factor becomes the session). Wrong, it counts against the account and
// the client like a wrong password, and after MaxCodeAttempts the person
// must start again.
func (s *Service) CompleteLogin(ctx context.Context, token, code, client, userAgent string) (LoginResult, error) {
	p, u, err := s.pendingLogin(ctx, token)
	if err != nil {
		return LoginResult{}, err
	}
	keys := s.throttleKeys(u.Username, client)
	if locked, err := s.throttled(ctx, keys); err != nil {
		return LoginResult{}, err
	} else if locked {
		return LoginResult{}, ErrThrottled
	}
	method, ok, err := s.verifySecondFactor(ctx, u.ID, code)
	if err != nil {
		return LoginResult{}, err
	}
	if !ok {
		if err := s.failed(ctx, keys, u.ID, "login_failed", "second_factor"); err != nil {
			return LoginResult{}, err
		}
		n, err := s.Store.PendingLoginFailed(ctx, p.TokenHash)
		if err != nil || n >= MaxCodeAttempts {
			_ = s.Store.DeletePendingLogin(ctx, p.TokenHash)
			return LoginResult{}, ErrLoginExpired
		}
		return LoginResult{}, ErrBadCode
	}
	tok, err := s.finishLogin(ctx, u, keys, userAgent, method, p.TokenHash)
	if errors.Is(err, store.ErrPendingLoginGone) {
		return LoginResult{}, ErrLoginExpired
	}
	return LoginResult{User: u, Session: tok}, err
}

// verifySecondFactor checks code against the user's factor: a recovery
// code is spent, a TOTP code moves the replay guard, so neither works
// twice. method is "totp" or "recovery".
func (s *Service) verifySecondFactor(ctx context.Context, userID int64, code string) (method string, ok bool, err error) {
	m, err := s.Store.GetMFA(ctx, userID)
	if err != nil || !m.Enabled() {
		if err != nil && domain.ErrorCode(err) != domain.ENotFound {
			return "", false, err
		}
		return "", false, nil
	}
	if rc := auth.NormalizeRecoveryCode(code); rc != "" {
		ok, err := s.Store.UseRecoveryCode(ctx, userID, auth.HashSecret(rc), s.Now().UTC())
		if ok {
			err = errors.Join(err, s.audit(ctx, domain.Actor{UserID: userID}, "mfa_recovery_code_used", "user", userID, nil))
		}
		return "recovery", ok, err
	}
	secret, err := s.openTOTPSecret(userID, m.Secret)
	if err != nil {
		return "", false, err
	}
	step, match := auth.MatchTOTP(secret, code, s.Now(), m.LastStep)
	if !match {
		return "", false, nil
	}
	// The store moves the guard only forward: a code replayed at the same
	// moment by someone else loses here.
	ok, err = s.Store.UseTOTPStep(ctx, userID, step)
	return "totp", ok, err
}

// --- the TOTP secret at rest ---

func (s *Service) totpKey() ([]byte, error) {
	if len(s.MasterKey) == 0 {
		return nil, domain.Errorf(domain.EInternal, "the instance has no key to protect two-factor secrets")
	}
	return auth.DeriveKey(s.MasterKey, "totp v1"), nil
}

// totpAAD binds a sealed secret to its user: a secret copied into another
// user's row does not open.
func totpAAD(userID int64) []byte { return []byte("vigil totp user " + strconv.FormatInt(userID, 10)) }

func (s *Service) sealTOTPSecret(userID int64, secret []byte) ([]byte, error) {
	k, err := s.totpKey()
	if err != nil {
		return nil, err
	}
	return auth.Seal(k, secret, totpAAD(userID))
}

func (s *Service) openTOTPSecret(userID int64, sealed []byte) ([]byte, error) {
	k, err := s.totpKey()
	if err != nil {
		return nil, err
	}
	p, err := auth.Open(k, sealed, totpAAD(userID))
	if err != nil {
		return nil, &domain.Error{Code: domain.EInternal, Message: "the two-factor secret cannot be read", Cause: err}
	}
	return p, nil
}

// --- sessions ---

// SessionState is a live session with its user, and whether the user must
// set up a second factor before doing anything else.
type SessionState struct {
	User           domain.User
	Session        store.Session
	NeedsEnrolment bool
}

// startSession creates a session for u; mfa marks that the login passed a
// second factor. The login itself counts as a fresh authentication.
func (s *Service) startSession(ctx context.Context, u domain.User, userAgent string, mfa bool, pending []byte) (string, error) {
	tok := auth.NewSecret("", 32)
	now := s.Now().UTC()
	se := store.Session{TokenHash: auth.HashSecret(tok), UserID: u.ID,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.SessionMax),
		UserAgent: BrowserSummary(userAgent), ReauthAt: now, MFA: mfa}
	if pending != nil {
		// The half-finished login is used up in the same transaction.
		return tok, s.Store.CreateSessionFromPendingLogin(ctx, pending, se)
	}
	return tok, s.Store.CreateSession(ctx, se)
}

// Session returns the state of a live session token and refreshes its idle
// timer. Expired, idle and disabled sessions are refused.
func (s *Service) Session(ctx context.Context, token string) (SessionState, error) {
	h := auth.HashSecret(token)
	sess, err := s.Store.GetSession(ctx, h)
	if err != nil {
		return SessionState{}, domain.ErrUnauthorized
	}
	now := s.Now().UTC()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.SessionIdle {
		_ = s.Store.DeleteSession(ctx, h)
		return SessionState{}, domain.ErrUnauthorized
	}
	u, err := s.Store.GetUser(ctx, sess.UserID)
	if err != nil || u.Disabled {
		return SessionState{}, domain.ErrUnauthorized
	}
	st := SessionState{User: u, Session: sess}
	// A session that passed a second factor needs no check; any other asks
	// whether its user must enrol (a required role or an approved reset).
	if !sess.MFA {
		if st.NeedsEnrolment, err = s.NeedsMFAEnrolment(ctx, u); err != nil {
			return SessionState{}, err
		}
	}
	// Touch at most once a minute: a write per request would serialize
	// every page view on SQLite's single writer.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		_ = s.Store.TouchSession(ctx, h, now)
	}
	return st, nil
}

// NeedsMFAEnrolment reports whether u must set up a second factor before
// doing anything else: their role requires one, or an administrator
// approved a reset of their lost one, and they have none.
func (s *Service) NeedsMFAEnrolment(ctx context.Context, u domain.User) (bool, error) {
	g, err := s.Store.MFAGateOf(ctx, u.ID, u.Role)
	if err != nil {
		return false, err
	}
	return (g.RoleRequires || g.MustEnrol) && !g.Enabled, nil
}

// ReauthFresh reports whether the session's owner proved who they are
// recently enough for a sensitive action.
func (s *Service) ReauthFresh(sess store.Session) bool {
	return !sess.ReauthAt.IsZero() && s.Now().UTC().Sub(sess.ReauthAt) <= ReauthWindow
}

// Reauthenticate checks the password (and the second factor, when the user
// has one) of the signed-in user again before sensitive actions. It is
// throttled like a login, since a stolen session could otherwise be used to
// guess the password.
func (s *Service) Reauthenticate(ctx context.Context, a domain.Actor, sessionToken, password, code, client string) error {
	u, err := s.Store.GetUser(ctx, a.UserID)
	if err != nil {
		return err
	}
	keys := s.throttleKeys(u.Username, client)
	if locked, err := s.throttled(ctx, keys); err != nil {
		return err
	} else if locked {
		return ErrThrottled
	}
	m, err := s.Store.GetMFA(ctx, u.ID)
	if err != nil && domain.ErrorCode(err) != domain.ENotFound {
		return err
	}
	var p domain.Problems
	if ok, _ := auth.CheckPassword(password, u.PasswordHash); !ok {
		p.Add("password", "is not your password")
	}
	mfa := false
	if m.Enabled() && p.Err() == nil {
		_, ok, err := s.verifySecondFactor(ctx, u.ID, code)
		if err != nil {
			return err
		}
		if !ok {
			p.Add("code", "is not right")
		}
		mfa = true
	}
	if err := p.Err(); err != nil {
		if ferr := s.failed(ctx, keys, u.ID, "reauth_failed", "reauth"); ferr != nil {
			return ferr
		}
		return err
	}
	if err := s.Store.SessionReauthenticated(ctx, auth.HashSecret(sessionToken), s.Now().UTC(), mfa); err != nil {
		return err
	}
	if err := s.Store.ClearThrottle(ctx, keys.account); err != nil {
		return err
	}
	return s.audit(ctx, a, "reauth", "user", u.ID, nil)
}

// SessionView is one of the user's sessions as the sessions page shows it.
type SessionView struct {
	ID         string // a handle derived from the token hash; never the token or its hash
	CreatedAt  time.Time
	LastSeenAt time.Time
	UserAgent  string
	MFA        bool
	Current    bool
}

// sessionHandle names a session on the page without giving away anything
// that finds it in the database.
func sessionHandle(tokenHash []byte) string {
	h := sha256.Sum256(append([]byte("vigil session handle\x00"), tokenHash...))
	return hex.EncodeToString(h[:12])
}

// ListSessions lists the actor's own live sessions, the current one
// marked.
func (s *Service) ListSessions(ctx context.Context, a domain.Actor, currentToken string) ([]SessionView, error) {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return nil, err
	}
	ss, err := s.Store.ListUserSessions(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	return s.liveSessionViews(ss, auth.HashSecret(currentToken)), nil
}

// sessionLive reports whether a stored session still works: Session
// refuses it once expired or idle too long, even before it is cleaned up.
func (s *Service) sessionLive(se store.Session, now time.Time) bool {
	return !now.After(se.ExpiresAt) && now.Sub(se.LastSeenAt) <= s.SessionIdle
}

// liveSessionViews keeps the live sessions of ss as the pages show them;
// the one whose token hash is current is marked (nil marks none).
func (s *Service) liveSessionViews(ss []store.Session, current []byte) []SessionView {
	now := s.Now().UTC()
	out := make([]SessionView, 0, len(ss))
	for _, se := range ss {
		if !s.sessionLive(se, now) {
			continue
		}
		out = append(out, SessionView{ID: sessionHandle(se.TokenHash), CreatedAt: se.CreatedAt, LastSeenAt: se.LastSeenAt,
			UserAgent: se.UserAgent, MFA: se.MFA, Current: current != nil && hmac.Equal(se.TokenHash, current)})
	}
	return out
}

// RevokeSession signs out one of the actor's own sessions by its handle.
// Another user's session is not found.
func (s *Service) RevokeSession(ctx context.Context, a domain.Actor, id string) error {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return err
	}
	ss, err := s.Store.ListUserSessions(ctx, a.UserID)
	if err != nil {
		return err
	}
	for _, se := range ss {
		if hmac.Equal([]byte(sessionHandle(se.TokenHash)), []byte(id)) {
			if err := s.Store.DeleteSession(ctx, se.TokenHash); err != nil {
				return err
			}
			return s.audit(ctx, a, "session_revoked", "user", a.UserID, nil)
		}
	}
	return domain.NotFound("session")
}

// RevokeOtherSessions signs the actor out everywhere but here.
func (s *Service) RevokeOtherSessions(ctx context.Context, a domain.Actor, currentToken string) error {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return err
	}
	if err := s.Store.DeleteOtherSessions(ctx, a.UserID, auth.HashSecret(currentToken)); err != nil {
		return err
	}
	return s.audit(ctx, a, "sessions_revoked", "user", a.UserID, nil)
}

// --- other users' sessions, for a user administrator ---

// ErrOwnSessionsHere refuses an administrator's "log out everywhere" on
// their own account: it would end the session they are using, and their
// own sessions page already logs out every other one.
var ErrOwnSessionsHere = domain.Errorf(domain.EInvalid,
	"to log out your own sessions, use “Where you are logged in” under My account: it keeps the session you are using")

// UserSessions lists the live sessions of a user for a user administrator
// who needs to see where an account is signed in (a lost phone, a stolen
// laptop). It shows what the owner's own page shows, never a token or its
// hash, and marks none as current.
func (s *Service) UserSessions(ctx context.Context, a domain.Actor, userID int64) ([]SessionView, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return nil, err
	}
	if _, err := s.Store.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	ss, err := s.Store.ListUserSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.liveSessionViews(ss, nil), nil
}

// LiveSessionCounts counts each user's live sessions, for the user list;
// users without one are left out.
func (s *Service) LiveSessionCounts(ctx context.Context, a domain.Actor) (map[int64]int, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	return s.Store.CountLiveSessions(ctx, now, now.Add(-s.SessionIdle))
}

// RevokeUserSessions logs a user out everywhere on a user administrator's
// decision, without disabling the account, and audits it (in the same
// transaction) as "sessions_revoked" on the user with the administrator
// as actor. API tokens are not sessions and stay; the password stays too,
// so whoever knows it can log in again. An administrator's own account is
// refused (ErrOwnSessionsHere). It returns how many sessions ended.
func (s *Service) RevokeUserSessions(ctx context.Context, a domain.Actor, userID int64) (int, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return 0, err
	}
	if userID == a.UserID {
		return 0, ErrOwnSessionsHere
	}
	if _, err := s.Store.GetUser(ctx, userID); err != nil {
		return 0, err
	}
	return s.Store.RevokeUserSessions(ctx, userID, a.UserID, s.Now().UTC())
}

// BrowserSummary reduces a User-Agent header to "Browser on System", which
// is all the sessions page needs; the full string is a fingerprint and is
// not kept.
func BrowserSummary(ua string) string {
	browser := "Unknown browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
		{"curl/", "curl"}, {"Go-http-client/", "Go program"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " on " + system
}

// --- the user's own second factor ---

// MFAState is what the two-factor page shows.
type MFAState struct {
	Enabled      bool
	ConfirmedAt  *time.Time
	Enrolling    bool // a secret waits for its first code
	Required     bool // the role requires a second factor, or a reset asks for a new one
	RoleRequires bool
	RecoveryLeft int
	ResetPending bool
}

// MFAStateOf returns the actor's own two-factor state.
func (s *Service) MFAStateOf(ctx context.Context, a domain.Actor) (MFAState, error) {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return MFAState{}, err
	}
	m, err := s.Store.GetMFA(ctx, a.UserID)
	if err != nil && domain.ErrorCode(err) != domain.ENotFound {
		return MFAState{}, err
	}
	g, err := s.Store.MFAGateOf(ctx, a.UserID, a.Role)
	if err != nil {
		return MFAState{}, err
	}
	st := MFAState{Enabled: m.Enabled(), ConfirmedAt: m.ConfirmedAt, Enrolling: m.Secret != nil && m.ConfirmedAt == nil,
		Required: g.RoleRequires || g.MustEnrol, RoleRequires: g.RoleRequires}
	if st.Enabled {
		if st.RecoveryLeft, err = s.Store.UnusedRecoveryCodes(ctx, a.UserID); err != nil {
			return MFAState{}, err
		}
	}
	resets, err := s.Store.ListMFAResets(ctx, store.ResetPending)
	for _, r := range resets {
		st.ResetPending = st.ResetPending || r.UserID == a.UserID
	}
	return st, err
}

// Enrolment is a secret waiting for its first code: the URI goes into the
// QR code, the text is for typing it in by hand.
type Enrolment struct {
	URI        string
	SecretText string
}

// BeginMFAEnrolment makes a new secret for the actor, replacing one that
// was never confirmed. An enabled factor must be turned off first.
func (s *Service) BeginMFAEnrolment(ctx context.Context, a domain.Actor) (Enrolment, error) {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return Enrolment{}, err
	}
	secret := auth.NewTOTPSecret()
	sealed, err := s.sealTOTPSecret(a.UserID, secret)
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.Store.StartMFAEnrolment(ctx, a.UserID, sealed, s.Now().UTC()); err != nil {
		return Enrolment{}, err
	}
	return s.enrolment(ctx, a.UserID, secret)
}

// CurrentEnrolment returns the enrolment in progress, to show it again
// after a wrong code.
func (s *Service) CurrentEnrolment(ctx context.Context, a domain.Actor) (Enrolment, error) {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return Enrolment{}, err
	}
	m, err := s.Store.GetMFA(ctx, a.UserID)
	if err != nil {
		return Enrolment{}, err
	}
	if m.Secret == nil || m.ConfirmedAt != nil {
		return Enrolment{}, domain.NotFound("two-factor enrolment")
	}
	secret, err := s.openTOTPSecret(a.UserID, m.Secret)
	if err != nil {
		return Enrolment{}, err
	}
	return s.enrolment(ctx, a.UserID, secret)
}

func (s *Service) enrolment(ctx context.Context, userID int64, secret []byte) (Enrolment, error) {
	u, err := s.Store.GetUser(ctx, userID)
	if err != nil {
		return Enrolment{}, err
	}
	uri, err := auth.TOTPURI(TOTPIssuer, u.Username, secret)
	return Enrolment{URI: uri, SecretText: auth.TOTPSecretText(secret)}, err
}

// ConfirmMFAEnrolment turns the enrolment on when code is right, and
// returns the recovery codes, which are shown this once. The current
// session is marked as having passed the second factor, and every other
// session of the user ends: they were opened without it.
func (s *Service) ConfirmMFAEnrolment(ctx context.Context, a domain.Actor, sessionToken, code string) ([]string, error) {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return nil, err
	}
	m, err := s.Store.GetMFA(ctx, a.UserID)
	if err != nil || m.Secret == nil || m.ConfirmedAt != nil {
		if err == nil || domain.ErrorCode(err) == domain.ENotFound {
			err = domain.Errorf(domain.EConflict, "there is no two-factor set-up waiting for a code; start again")
		}
		return nil, err
	}
	secret, err := s.openTOTPSecret(a.UserID, m.Secret)
	if err != nil {
		return nil, err
	}
	step, ok := auth.MatchTOTP(secret, code, s.Now(), 0)
	if !ok {
		var p domain.Problems
		p.Add("code", "is not right: check that the time on your phone is correct and type the code that is shown now")
		return nil, p.Err()
	}
	codes, hashes := newRecoveryCodes()
	now := s.Now().UTC()
	if err := s.Store.ConfirmMFA(ctx, a.UserID, step, hashes, now); err != nil {
		return nil, err
	}
	h := auth.HashSecret(sessionToken)
	if err := s.Store.SessionReauthenticated(ctx, h, now, true); err != nil && domain.ErrorCode(err) != domain.ENotFound {
		return nil, err
	}
	if err := s.Store.DeleteOtherSessions(ctx, a.UserID, h); err != nil {
		return nil, err
	}
	return codes, nil
}

func newRecoveryCodes() (codes []string, hashes [][]byte) {
	for range RecoveryCodeCount {
		c := auth.NewRecoveryCode()
		codes = append(codes, c)
		hashes = append(hashes, auth.HashSecret(auth.NormalizeRecoveryCode(c)))
	}
	return codes, hashes
}

// RenewRecoveryCodes replaces the actor's recovery codes with new ones,
// returned to be shown once.
func (s *Service) RenewRecoveryCodes(ctx context.Context, a domain.Actor) ([]string, error) {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes()
	if err := s.Store.ReplaceRecoveryCodes(ctx, a.UserID, hashes, s.Now().UTC()); err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableMFA turns off the actor's own second factor, unless their role
// requires one.
func (s *Service) DisableMFA(ctx context.Context, a domain.Actor) error {
	if err := s.requireSelfOrAdmin(a, a.UserID); err != nil {
		return err
	}
	g, err := s.Store.MFAGateOf(ctx, a.UserID, a.Role)
	if err != nil {
		return err
	}
	if g.RoleRequires {
		return domain.Errorf(domain.EForbidden, "your role requires two-factor authentication; it cannot be turned off")
	}
	return s.Store.DisableMFA(ctx, a.UserID, a.UserID, s.Now().UTC())
}

// --- administration ---

// MFARequiredRoles lists the roles that must use a second factor.
func (s *Service) MFARequiredRoles(ctx context.Context, a domain.Actor) ([]string, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return nil, err
	}
	return s.Store.MFARequiredRoles(ctx)
}

// SetMFARequiredRoles sets which roles must use a second factor. Members
// without one are sent to set it up at their next request.
func (s *Service) SetMFARequiredRoles(ctx context.Context, a domain.Actor, roles []string) error {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return err
	}
	var clean []string
	for _, r := range roles {
		if !domain.Roles.Has(r) {
			return domain.Errorf(domain.EInvalid, "unknown role %q", r)
		}
		if !slices.Contains(clean, r) {
			clean = append(clean, r)
		}
	}
	slices.Sort(clean)
	return s.Store.SetMFARequiredRoles(ctx, clean, a.UserID, s.Now().UTC())
}

// MFAEnabledUsers returns the ids of the users with a working factor, for
// the administrator's overview.
func (s *Service) MFAEnabledUsers(ctx context.Context, a domain.Actor) (map[int64]bool, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return nil, err
	}
	return s.Store.MFAEnabledUsers(ctx)
}

// PendingMFAResets lists the reset requests waiting for a decision.
func (s *Service) PendingMFAResets(ctx context.Context, a domain.Actor) ([]store.MFAReset, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return nil, err
	}
	return s.Store.ListMFAResets(ctx, store.ResetPending)
}

// RequestMFAResetFromLogin files a reset request for the user of a
// half-finished login: they know the password but lost the second factor
// and their recovery codes. The half-finished login ends; an administrator
// must approve the request (after checking with the person by other
// means) before the user can log in again.
func (s *Service) RequestMFAResetFromLogin(ctx context.Context, pendingToken string) error {
	p, u, err := s.pendingLogin(ctx, pendingToken)
	if err != nil {
		return err
	}
	if _, err := s.Store.RequestMFAReset(ctx, u.ID, u.ID, s.Now().UTC()); err != nil {
		return err
	}
	return s.Store.DeletePendingLogin(ctx, p.TokenHash)
}

// RequestMFAReset lets an administrator start a reset for a user, who may
// have asked by phone or in person. It still needs an approval.
func (s *Service) RequestMFAReset(ctx context.Context, a domain.Actor, userID int64) (store.MFAReset, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return store.MFAReset{}, err
	}
	if _, err := s.Store.GetUser(ctx, userID); err != nil {
		return store.MFAReset{}, err
	}
	return s.Store.RequestMFAReset(ctx, userID, a.UserID, s.Now().UTC())
}

// DecideMFAReset approves or rejects a reset request. Approval clears the
// user's factor and recovery codes, signs them out everywhere, and makes
// them set up a new factor at their next login. Nobody decides on a reset
// of their own factor: that would let a stolen password undo the second
// factor of the administrator's own account.
func (s *Service) DecideMFAReset(ctx context.Context, a domain.Actor, id int64, approve bool) (store.MFAReset, error) {
	if err := require(a, domain.PermUserAdmin); err != nil {
		return store.MFAReset{}, err
	}
	r, err := s.Store.GetMFAReset(ctx, id)
	if err != nil {
		return r, err
	}
	if r.UserID == a.UserID {
		return r, domain.Errorf(domain.EForbidden, "another administrator must decide on a reset of your own second factor")
	}
	return s.Store.DecideMFAReset(ctx, id, a.UserID, approve, s.Now().UTC())
}

// ResetMFAByOperator clears a user's second factor on the operator's
// authority (the command line, which needs the instance key): the way back
// in when the only administrator has lost theirs. It is audited like an
// approved reset.
func (s *Service) ResetMFAByOperator(ctx context.Context, userID int64) error {
	now := s.Now().UTC()
	r, err := s.Store.RequestMFAReset(ctx, userID, domain.System.UserID, now)
	if err != nil {
		return err
	}
	_, err = s.Store.DecideMFAReset(ctx, r.ID, domain.System.UserID, true, now)
	return err
}
