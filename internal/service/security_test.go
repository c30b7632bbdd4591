package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/store"
)

// secService is a service with an instance key and a clock that moves only
// when told.
func secService(t *testing.T) (*Service, *time.Time) {
	t.Helper()
	s := newService(t)
	s.MasterKey = make([]byte, 32)
	_, _ = rand.Read(s.MasterKey)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	return s, &now
}

func TestThrottlePolicy(t *testing.T) {
	p := ThrottlePolicy{Free: 3, Base: 10 * time.Second, Max: time.Minute}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		failures int
		want     time.Duration // lock after the last failure; 0 = none
	}{{0, 0}, {2, 0}, {3, 10 * time.Second}, {4, 20 * time.Second}, {5, 40 * time.Second}, {6, time.Minute}, {60, time.Minute}, {1 << 20, time.Minute}} {
		got := p.LockedUntil(store.Throttle{Failures: c.failures, LastFailureAt: t0})
		if (c.want == 0 && !got.IsZero()) || (c.want != 0 && !got.Equal(t0.Add(c.want))) {
			t.Errorf("%d failures: locked until %v, want +%v", c.failures, got, c.want)
		}
	}
}

func TestClientKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"not an address", "not an address"},
	} {
		if got := clientKey(c.in); got != c.want {
			t.Errorf("%s: %s, want %s", c.in, got, c.want)
		}
	}
}

func TestBrowserSummary(t *testing.T) {
	for _, c := range []struct{ ua, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0", "Edge on Windows"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36", "Chrome on Android"},
		{"curl/8.5.0", "curl"},
		{"", "Unknown browser"},
	} {
		if got := BrowserSummary(c.ua); got != c.want {
			t.Errorf("%q: %q, want %q", c.ua, got, c.want)
		}
	}
}

func TestLoginRefusalsAlike(t *testing.T) {
	s, _ := secService(t)
	ctx := context.Background()
	u := domain.User{Username: "aino", Role: "monitor"}
	if _, err := s.CreateUser(ctx, domain.System, &u, "aino-password-long"); err != nil {
		t.Fatal(err)
	}
	d := domain.User{Username: "dora", Role: "monitor", Disabled: true}
	if _, err := s.CreateUser(ctx, domain.System, &d, "dora-password-long"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, user, pw string }{
		{"unknown user", "nobody", "aino-password-long"},
		{"wrong password", "aino", "wrong-password"},
		{"disabled account", "dora", "dora-password-long"},
	} {
		_, err := s.Login(ctx, LoginAttempt{Username: c.user, Password: c.pw, Client: "192.0.2.1"})
		if err != ErrBadLogin {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	res, err := s.Login(ctx, LoginAttempt{Username: " AINO ", Password: "aino-password-long", Client: "192.0.2.1"})
	if err != nil || res.Session == "" || res.Pending != "" || res.User.ID != u.ID {
		t.Fatalf("login: %+v %v", res, err)
	}
	st, err := s.Session(ctx, res.Session)
	if err != nil || st.User.ID != u.ID || st.NeedsEnrolment || st.Session.MFA || !s.ReauthFresh(st.Session) {
		t.Fatalf("session: %+v %v", st, err)
	}
}

func TestTOTPSecretAtRest(t *testing.T) {
	s, now := secService(t)
	ctx := context.Background()
	a := actor(t, s, "coordinator")
	e, err := s.BeginMFAEnrolment(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Store.GetMFA(ctx, a.UserID)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := s.CurrentEnrolment(ctx, a)
	if err != nil || e2 != e {
		t.Fatalf("current enrolment %+v %v, want %+v", e2, err, e)
	}
	secret, err := auth.Open(auth.DeriveKey(s.MasterKey, "totp v1"), m.Secret, totpAAD(a.UserID))
	if err != nil {
		t.Fatalf("the stored secret does not open with the derived key: %v", err)
	}
	if bytes.Contains(m.Secret, secret) || auth.TOTPSecretText(secret) != e.SecretText {
		t.Fatal("the stored secret is not sealed, or not the one shown")
	}
	if _, err := auth.Open(auth.DeriveKey(s.MasterKey, "totp v1"), m.Secret, totpAAD(a.UserID+1)); err == nil {
		t.Fatal("the sealed secret opens for another user")
	}
	// Without the instance key nothing is enrolled.
	keyless := *s
	keyless.MasterKey = nil
	if _, err := keyless.BeginMFAEnrolment(ctx, a); domain.ErrorCode(err) != domain.EInternal {
		t.Fatalf("enrolment without a key: %v", err)
	}

	if _, err := s.ConfirmMFAEnrolment(ctx, a, "", "000000x"); domain.ErrorCode(err) != domain.EInvalid {
		t.Fatalf("bad first code: %v", err)
	}
	codes, err := s.ConfirmMFAEnrolment(ctx, a, "", auth.TOTPCode(secret, auth.TOTPStep(*now)))
	if err != nil || len(codes) != RecoveryCodeCount {
		t.Fatalf("confirm: %v %v", codes, err)
	}
	// The confirming code cannot log in; the next step's can, once.
	u, _ := s.Store.GetUser(ctx, a.UserID)
	for _, c := range []struct {
		advance time.Duration
		ok      bool
	}{{0, false}, {auth.TOTPPeriod, true}, {0, false}} {
		*now = now.Add(c.advance)
		_, ok, err := s.verifySecondFactor(ctx, u.ID, auth.TOTPCode(secret, auth.TOTPStep(*now)))
		if err != nil || ok != c.ok {
			t.Fatalf("code at %v: %v %v, want %v", *now, ok, err, c.ok)
		}
	}
	// A different instance key cannot read the secret: a clear error, not
	// a silent failure.
	other := *s
	other.MasterKey = bytes.Repeat([]byte{7}, 32)
	*now = now.Add(auth.TOTPPeriod)
	if _, _, err := other.verifySecondFactor(ctx, u.ID, auth.TOTPCode(secret, auth.TOTPStep(*now))); domain.ErrorCode(err) != domain.EInternal {
		t.Fatalf("wrong instance key: %v", err)
	}
	st, err := s.MFAStateOf(ctx, a)
	if err != nil || !st.Enabled || st.RecoveryLeft != RecoveryCodeCount || st.Enrolling {
		t.Fatalf("state %+v %v", st, err)
	}
	if _, err := s.BeginMFAEnrolment(ctx, a); domain.ErrorCode(err) != domain.EConflict {
		t.Fatalf("enrolling over a working factor: %v", err)
	}
}

func TestSecurityAdministration(t *testing.T) {
	s, _ := secService(t)
	ctx := context.Background()
	admin, other, mon := actor(t, s, "admin"), actor(t, s, "admin"), actor(t, s, "monitor")
	if err := s.SetMFARequiredRoles(ctx, mon, []string{"monitor"}); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("monitor sets the policy: %v", err)
	}
	if err := s.SetMFARequiredRoles(ctx, admin, []string{"monitor", "admin", "monitor"}); err != nil {
		t.Fatal(err)
	}
	roles, _ := s.MFARequiredRoles(ctx, admin)
	if len(roles) != 2 || roles[0] != "admin" || roles[1] != "monitor" {
		t.Fatalf("roles %v", roles)
	}
	if err := s.SetMFARequiredRoles(ctx, admin, []string{"root"}); domain.ErrorCode(err) != domain.EInvalid {
		t.Fatalf("unknown role: %v", err)
	}
	monUser, _ := s.Store.GetUser(ctx, mon.UserID)
	if need, err := s.NeedsMFAEnrolment(ctx, monUser); err != nil || !need {
		t.Fatalf("monitor must enrol: %v %v", need, err)
	}
	if err := s.DisableMFA(ctx, mon); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("turning off a required factor: %v", err)
	}

	if _, err := s.RequestMFAReset(ctx, mon, admin.UserID); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("a monitor starts a reset: %v", err)
	}
	r, err := s.RequestMFAReset(ctx, admin, admin.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideMFAReset(ctx, admin, r.ID, true); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("deciding on one's own reset: %v", err)
	}
	if _, err := s.DecideMFAReset(ctx, mon, r.ID, true); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("a monitor decides: %v", err)
	}
	got, err := s.DecideMFAReset(ctx, other, r.ID, false)
	if err != nil || got.Status != store.ResetRejected {
		t.Fatalf("another admin rejects: %+v %v", got, err)
	}
	if _, err := s.PendingMFAResets(ctx, mon); domain.ErrorCode(err) != domain.EForbidden {
		t.Fatalf("a monitor lists resets: %v", err)
	}

	// The operator's reset (the command line) needs nobody's approval.
	if err := s.ResetMFAByOperator(ctx, admin.UserID); err != nil {
		t.Fatal(err)
	}
	adminUser, _ := s.Store.GetUser(ctx, admin.UserID)
	if need, _ := s.NeedsMFAEnrolment(ctx, adminUser); !need {
		t.Fatal("after an operator's reset the admin need not enrol")
	}
}

func TestReauthenticate(t *testing.T) {
	s, now := secService(t)
	ctx := context.Background()
	u := domain.User{Username: "aino", Role: "coordinator"}
	if _, err := s.CreateUser(ctx, domain.System, &u, "aino-password-long"); err != nil {
		t.Fatal(err)
	}
	res, err := s.Login(ctx, LoginAttempt{Username: "aino", Password: "aino-password-long", Client: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	sess := func() store.Session {
		st, err := s.Session(ctx, res.Session)
		if err != nil {
			t.Fatal(err)
		}
		return st.Session
	}
	*now = now.Add(ReauthWindow + time.Second)
	if s.ReauthFresh(sess()) {
		t.Fatal("fresh after the window")
	}
	a := ActorOf(u)
	if err := s.Reauthenticate(ctx, a, res.Session, "wrong", "", "192.0.2.1"); domain.ErrorCode(err) != domain.EInvalid {
		t.Fatalf("wrong password: %v", err)
	}
	if err := s.Reauthenticate(ctx, a, res.Session, "aino-password-long", "", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if !s.ReauthFresh(sess()) {
		t.Fatal("not fresh after re-authentication")
	}
	// Guessing through re-authentication is throttled like a login.
	for range AccountThrottle.Free {
		_ = s.Reauthenticate(ctx, a, res.Session, "wrong", "", "192.0.2.1")
	}
	if err := s.Reauthenticate(ctx, a, res.Session, "aino-password-long", "", "192.0.2.1"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("after many wrong passwords: %v", err)
	}
}

func TestAdministratorLogsUserOutEverywhere(t *testing.T) {
	s, now := secService(t)
	ctx := context.Background()
	admin, mon, coord := actor(t, s, "admin"), actor(t, s, "monitor"), actor(t, s, "coordinator")
	start := func(a domain.Actor) string {
		t.Helper()
		u, err := s.Store.GetUser(ctx, a.UserID)
		mustDo(t, err)
		tok, err := s.StartSession(ctx, u)
		mustDo(t, err)
		return tok
	}
	live := func(tok string) bool {
		_, err := s.Session(ctx, tok)
		return err == nil
	}
	adminTok := start(admin)
	monToks := []string{start(mon), start(mon)}
	coordTok := start(coord)

	// Only a user administrator sees or ends another user's sessions, and
	// a refusal changes nothing.
	for _, a := range []domain.Actor{mon, coord} {
		if _, err := s.UserSessions(ctx, a, mon.UserID); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("%s lists sessions: %v", a.Role, err)
		}
		if _, err := s.LiveSessionCounts(ctx, a); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("%s counts sessions: %v", a.Role, err)
		}
		if _, err := s.RevokeUserSessions(ctx, a, mon.UserID); domain.ErrorCode(err) != domain.EForbidden {
			t.Fatalf("%s logs the monitor out: %v", a.Role, err)
		}
	}
	if !live(monToks[0]) || !live(monToks[1]) {
		t.Fatal("a refused request ended sessions")
	}

	list, err := s.UserSessions(ctx, admin, mon.UserID)
	mustDo(t, err)
	if len(list) != 2 {
		t.Fatalf("the monitor's sessions: %+v", list)
	}
	for _, v := range list {
		h := hex.EncodeToString(auth.HashSecret(monToks[0]))
		h2 := hex.EncodeToString(auth.HashSecret(monToks[1]))
		if v.Current || v.ID == "" || v.ID == monToks[0] || v.ID == monToks[1] || strings.Contains(h, v.ID) || strings.Contains(h2, v.ID) {
			t.Fatalf("session view %+v gives away the session or claims to be current", v)
		}
	}
	counts, err := s.LiveSessionCounts(ctx, admin)
	mustDo(t, err)
	if counts[mon.UserID] != 2 || counts[coord.UserID] != 1 || counts[admin.UserID] != 1 {
		t.Fatalf("counts %v", counts)
	}

	// An administrator's own sessions are on their own page, which keeps
	// the one in use.
	if _, err := s.RevokeUserSessions(ctx, admin, admin.UserID); !errors.Is(err, ErrOwnSessionsHere) {
		t.Fatalf("ending one's own sessions here: %v", err)
	}
	if !live(adminTok) {
		t.Fatal("the refused self-revocation ended the admin's session")
	}
	if _, err := s.RevokeUserSessions(ctx, admin, 999999); domain.ErrorCode(err) != domain.ENotFound {
		t.Fatalf("unknown user: %v", err)
	}

	ended, err := s.RevokeUserSessions(ctx, admin, mon.UserID)
	mustDo(t, err)
	if ended != 2 {
		t.Fatalf("%d sessions ended, want 2", ended)
	}
	if live(monToks[0]) || live(monToks[1]) {
		t.Fatal("the monitor is still logged in")
	}
	if !live(coordTok) || !live(adminTok) {
		t.Fatal("other users' sessions ended too")
	}
	monUser, _ := s.Store.GetUser(ctx, mon.UserID)
	if monUser.Disabled {
		t.Fatal("logging out everywhere disabled the account")
	}
	if e := lastEntry(t, s); e.Action != "sessions_revoked" || e.Entity != "user" || e.EntityID != mon.UserID || e.ActorID != admin.UserID {
		t.Fatalf("audit entry %+v", e)
	}
	if list, _ := s.UserSessions(ctx, admin, mon.UserID); len(list) != 0 {
		t.Fatalf("sessions after logging out everywhere: %+v", list)
	}
	// The account still works: its owner logs in again with the same
	// password.
	if res, err := s.Login(ctx, LoginAttempt{Username: monUser.Username, Password: "a-long-password-here", Client: "192.0.2.1"}); err != nil || !live(res.Session) {
		t.Fatalf("logging in again: %v", err)
	}

	// Idle sessions are not counted or listed, even before they are
	// cleaned up.
	*now = now.Add(s.SessionIdle + time.Minute)
	counts, err = s.LiveSessionCounts(ctx, admin)
	mustDo(t, err)
	if len(counts) != 0 {
		t.Fatalf("counts after the idle limit %v", counts)
	}
	if list, _ := s.UserSessions(ctx, admin, coord.UserID); len(list) != 0 {
		t.Fatalf("idle sessions listed: %+v", list)
	}
}
