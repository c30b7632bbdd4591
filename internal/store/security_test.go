package store

import (
	"bytes"
	"testing"
	"time"

	"vigil/internal/domain"
)

// auditActions lists the audited actions on a user, oldest first.
func auditActions(t *testing.T, s *Store, userID int64) []string {
	t.Helper()
	rows, err := s.reader().query(ctx, `SELECT action FROM audit_log WHERE entity = 'user' AND entity_id = ? AND version = 0 ORDER BY seq`, userID)
	out, err := collect(rows, err, func(r rowScanner) (string, error) {
		var a string
		return a, r.Scan(&a)
	})
	mustOK(t, err)
	return out
}

func TestSessionSecurityColumns(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u := newUser("aino")
		mustOK(t, s.CreateUser(ctx, u))
		t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		a := Session{TokenHash: bytes.Repeat([]byte{1}, 32), UserID: u.ID, CreatedAt: t0, LastSeenAt: t0,
			ExpiresAt: t0.Add(time.Hour), UserAgent: "Firefox on Linux", ReauthAt: t0}
		b := Session{TokenHash: bytes.Repeat([]byte{2}, 32), UserID: u.ID, CreatedAt: t0, LastSeenAt: t0.Add(time.Minute),
			ExpiresAt: t0.Add(time.Hour), MFA: true}
		mustOK(t, s.CreateSession(ctx, a))
		mustOK(t, s.CreateSession(ctx, b))
		got, err := s.GetSession(ctx, a.TokenHash)
		mustOK(t, err)
		same(t, "get", got, a)

		list, err := s.ListUserSessions(ctx, u.ID)
		mustOK(t, err)
		if len(list) != 2 || !bytes.Equal(list[0].TokenHash, b.TokenHash) || !list[0].MFA {
			t.Fatalf("list %+v", list)
		}
		same(t, "listed", list[1], a)

		// Re-authentication moves the time and never removes the MFA mark.
		mustOK(t, s.SessionReauthenticated(ctx, a.TokenHash, t0.Add(time.Minute), true))
		mustOK(t, s.SessionReauthenticated(ctx, a.TokenHash, t0.Add(2*time.Minute), false))
		got, _ = s.GetSession(ctx, a.TokenHash)
		if !got.MFA || !got.ReauthAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("after reauth %+v", got)
		}
		wantCode(t, s.SessionReauthenticated(ctx, []byte("missing"), t0, false), domain.ENotFound)

		mustOK(t, s.DeleteOtherSessions(ctx, u.ID, a.TokenHash))
		list, _ = s.ListUserSessions(ctx, u.ID)
		if len(list) != 1 || !bytes.Equal(list[0].TokenHash, a.TokenHash) {
			t.Fatalf("after deleting the others: %+v", list)
		}
	})
}

func TestMFAEnrolment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u := newUser("aino")
		mustOK(t, s.CreateUser(ctx, u))
		t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		_, err := s.GetMFA(ctx, u.ID)
		wantCode(t, err, domain.ENotFound)

		mustOK(t, s.StartMFAEnrolment(ctx, u.ID, []byte("sealed-1"), t0))
		mustOK(t, s.StartMFAEnrolment(ctx, u.ID, []byte("sealed-2"), t0)) // a second try replaces the first
		m, err := s.GetMFA(ctx, u.ID)
		mustOK(t, err)
		if string(m.Secret) != "sealed-2" || m.Enabled() || m.ConfirmedAt != nil {
			t.Fatalf("unconfirmed %+v", m)
		}
		// The replay guard does nothing before confirmation.
		if ok, err := s.UseTOTPStep(ctx, u.ID, 5); err != nil || ok {
			t.Fatalf("step before confirmation: %v %v", ok, err)
		}

		codes := [][]byte{[]byte("h1"), []byte("h2")}
		mustOK(t, s.ConfirmMFA(ctx, u.ID, 100, codes, t0.Add(time.Minute)))
		wantCode(t, s.ConfirmMFA(ctx, u.ID, 101, codes, t0), domain.ENotFound) // already confirmed
		m, _ = s.GetMFA(ctx, u.ID)
		if !m.Enabled() || m.LastStep != 100 || !m.ConfirmedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("confirmed %+v", m)
		}
		// A confirmed factor is never overwritten by a new enrolment.
		wantCode(t, s.StartMFAEnrolment(ctx, u.ID, []byte("sealed-3"), t0), domain.EConflict)

		for _, c := range []struct {
			step int64
			ok   bool
		}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}, {102, false}} {
			ok, err := s.UseTOTPStep(ctx, u.ID, c.step)
			mustOK(t, err)
			if ok != c.ok {
				t.Errorf("step %d accepted=%v, want %v", c.step, ok, c.ok)
			}
		}

		if n, _ := s.UnusedRecoveryCodes(ctx, u.ID); n != 2 {
			t.Fatalf("%d unused codes", n)
		}
		for _, c := range []struct {
			code string
			ok   bool
		}{{"h1", true}, {"h1", false}, {"nope", false}, {"h2", true}} {
			ok, err := s.UseRecoveryCode(ctx, u.ID, []byte(c.code), t0)
			mustOK(t, err)
			if ok != c.ok {
				t.Errorf("recovery code %s accepted=%v, want %v", c.code, ok, c.ok)
			}
		}
		if n, _ := s.UnusedRecoveryCodes(ctx, u.ID); n != 0 {
			t.Fatalf("%d unused codes after using both", n)
		}
		mustOK(t, s.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{[]byte("h3")}, t0))
		if ok, _ := s.UseRecoveryCode(ctx, u.ID, []byte("h1"), t0); ok {
			t.Fatal("an old recovery code works after renewal")
		}
		if ok, _ := s.UseRecoveryCode(ctx, u.ID, []byte("h3"), t0); !ok {
			t.Fatal("a new recovery code does not work")
		}

		mustOK(t, s.DisableMFA(ctx, u.ID, u.ID, t0))
		wantCode(t, s.DisableMFA(ctx, u.ID, u.ID, t0), domain.ENotFound)
		_, err = s.GetMFA(ctx, u.ID)
		wantCode(t, err, domain.ENotFound)
		if n, _ := s.UnusedRecoveryCodes(ctx, u.ID); n != 0 {
			t.Fatalf("%d codes left after disabling", n)
		}
		wantCode(t, s.ReplaceRecoveryCodes(ctx, u.ID, codes, t0), domain.ENotFound)

		same(t, "audit", auditActions(t, s, u.ID), []string{"mfa_enabled", "mfa_recovery_codes_renewed", "mfa_disabled"})
	})
}

func TestMFARequiredRoles(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		roles, err := s.MFARequiredRoles(ctx)
		mustOK(t, err)
		if len(roles) != 0 {
			t.Fatalf("new instance requires %v", roles)
		}
		t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		mustOK(t, s.SetMFARequiredRoles(ctx, []string{"monitor", "admin"}, 1, t0))
		roles, _ = s.MFARequiredRoles(ctx)
		same(t, "roles", roles, []string{"admin", "monitor"})
		mustOK(t, s.SetMFARequiredRoles(ctx, nil, 1, t0))
		roles, _ = s.MFARequiredRoles(ctx)
		if len(roles) != 0 {
			t.Fatalf("after clearing: %v", roles)
		}
	})
}

func TestMFAResets(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u, admin := newUser("aino"), newUser("root")
		mustOK(t, s.CreateUser(ctx, u))
		mustOK(t, s.CreateUser(ctx, admin))
		t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		mustOK(t, s.StartMFAEnrolment(ctx, u.ID, []byte("sealed"), t0))
		mustOK(t, s.ConfirmMFA(ctx, u.ID, 10, [][]byte{[]byte("h1")}, t0))
		se := Session{TokenHash: []byte("sess"), UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
		mustOK(t, s.CreateSession(ctx, se))
		pl := PendingLogin{TokenHash: []byte("pend"), UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
		mustOK(t, s.CreatePendingLogin(ctx, pl))

		r1, err := s.RequestMFAReset(ctx, u.ID, u.ID, t0)
		mustOK(t, err)
		r2, err := s.RequestMFAReset(ctx, u.ID, admin.ID, t0.Add(time.Minute))
		mustOK(t, err)
		if r1.ID != r2.ID || r1.Status != ResetPending || r1.Username != "aino" || r2.RequestedBy != u.ID {
			t.Fatalf("asking twice: %+v %+v", r1, r2)
		}
		list, err := s.ListMFAResets(ctx, ResetPending)
		mustOK(t, err)
		if len(list) != 1 || list[0].ID != r1.ID {
			t.Fatalf("pending %+v", list)
		}

		// Rejection changes nothing but the request.
		r, err := s.DecideMFAReset(ctx, r1.ID, admin.ID, false, t0.Add(time.Hour))
		mustOK(t, err)
		if r.Status != ResetRejected || r.DecidedBy == nil || *r.DecidedBy != admin.ID || r.DecidedAt == nil {
			t.Fatalf("rejected %+v", r)
		}
		_, err = s.DecideMFAReset(ctx, r1.ID, admin.ID, true, t0)
		wantCode(t, err, domain.EConflict)
		_, err = s.DecideMFAReset(ctx, 9999, admin.ID, true, t0)
		wantCode(t, err, domain.ENotFound)
		if m, _ := s.GetMFA(ctx, u.ID); !m.Enabled() {
			t.Fatal("a rejected reset cleared the factor")
		}

		r3, err := s.RequestMFAReset(ctx, u.ID, admin.ID, t0.Add(2*time.Hour))
		mustOK(t, err)
		if r3.ID == r1.ID || r3.RequestedBy != admin.ID {
			t.Fatalf("new request %+v", r3)
		}
		got, err := s.GetMFAReset(ctx, r3.ID)
		mustOK(t, err)
		same(t, "get", got, r3)
		_, err = s.DecideMFAReset(ctx, r3.ID, admin.ID, true, t0.Add(3*time.Hour))
		mustOK(t, err)
		m, err := s.GetMFA(ctx, u.ID)
		mustOK(t, err)
		if m.Enabled() || m.Secret != nil || !m.MustEnrol {
			t.Fatalf("after approval %+v", m)
		}
		if n, _ := s.UnusedRecoveryCodes(ctx, u.ID); n != 0 {
			t.Fatalf("%d recovery codes survive a reset", n)
		}
		_, err = s.GetSession(ctx, se.TokenHash)
		wantCode(t, err, domain.ENotFound)
		_, err = s.GetPendingLogin(ctx, pl.TokenHash)
		wantCode(t, err, domain.ENotFound)

		// Enrolling again clears the must-enrol mark on confirmation.
		mustOK(t, s.StartMFAEnrolment(ctx, u.ID, []byte("new"), t0))
		if m, _ := s.GetMFA(ctx, u.ID); !m.MustEnrol {
			t.Fatal("starting enrolment cleared must_enrol")
		}
		mustOK(t, s.ConfirmMFA(ctx, u.ID, 1, nil, t0))
		if m, _ := s.GetMFA(ctx, u.ID); m.MustEnrol || !m.Enabled() {
			t.Fatalf("after re-enrolment %+v", m)
		}
		same(t, "audit", auditActions(t, s, u.ID), []string{"mfa_enabled", "mfa_reset_requested", "mfa_reset_rejected",
			"mfa_reset_requested", "mfa_reset_approved", "mfa_enabled"})
	})
}

func TestPendingLogins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u := newUser("aino")
		mustOK(t, s.CreateUser(ctx, u))
		t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		p := PendingLogin{TokenHash: []byte("p1"), UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute), UserAgent: "Chrome on Linux"}
		mustOK(t, s.CreatePendingLogin(ctx, p))
		wantCode(t, s.CreatePendingLogin(ctx, p), domain.EConflict)
		got, err := s.GetPendingLogin(ctx, p.TokenHash)
		mustOK(t, err)
		same(t, "get", got, p)
		for want := 1; want <= 2; want++ {
			n, err := s.PendingLoginFailed(ctx, p.TokenHash)
			mustOK(t, err)
			if n != want {
				t.Fatalf("attempts %d, want %d", n, want)
			}
		}
		_, err = s.PendingLoginFailed(ctx, []byte("missing"))
		wantCode(t, err, domain.ENotFound)

		old := PendingLogin{TokenHash: []byte("p2"), UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Second)}
		mustOK(t, s.CreatePendingLogin(ctx, old))
		mustOK(t, s.DeleteExpiredPendingLogins(ctx, t0.Add(time.Minute)))
		_, err = s.GetPendingLogin(ctx, old.TokenHash)
		wantCode(t, err, domain.ENotFound)
		// A half-finished login becomes one session, once.
		se := Session{TokenHash: []byte("session-from-pending"), UserID: p.UserID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
		mustOK(t, s.CreateSessionFromPendingLogin(ctx, p.TokenHash, se))
		if _, err := s.GetSession(ctx, se.TokenHash); err != nil {
			t.Fatalf("the session was not made: %v", err)
		}
		se.TokenHash = []byte("second-session-from-pending")
		if err := s.CreateSessionFromPendingLogin(ctx, p.TokenHash, se); err != ErrPendingLoginGone {
			t.Fatalf("a used half-finished login made another session: %v", err)
		}
		if _, err := s.GetSession(ctx, se.TokenHash); domain.ErrorCode(err) != domain.ENotFound {
			t.Fatalf("the second session exists: %v", err)
		}
		mustOK(t, s.DeletePendingLogin(ctx, p.TokenHash))
		_, err = s.GetPendingLogin(ctx, p.TokenHash)
		wantCode(t, err, domain.ENotFound)
	})
}

func TestLoginThrottle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		key, other := []byte("k1"), []byte("k2")
		th, err := s.GetThrottle(ctx, key)
		mustOK(t, err)
		if th != (Throttle{}) {
			t.Fatalf("unknown key %+v", th)
		}
		for i := 1; i <= 3; i++ {
			at := t0.Add(time.Duration(i) * time.Minute)
			th, err := s.RecordFailure(ctx, key, at, at.Add(-time.Hour))
			mustOK(t, err)
			if th.Failures != i || !th.LastFailureAt.Equal(at) {
				t.Fatalf("failure %d: %+v", i, th)
			}
		}
		_, err = s.RecordFailure(ctx, other, t0, t0.Add(-time.Hour))
		mustOK(t, err)
		th, _ = s.GetThrottle(ctx, key)
		if th.Failures != 3 {
			t.Fatalf("read back %+v", th)
		}
		// A failure long after the last one starts counting again.
		late := t0.Add(48 * time.Hour)
		th, err = s.RecordFailure(ctx, key, late, late.Add(-24*time.Hour))
		mustOK(t, err)
		if th.Failures != 1 {
			t.Fatalf("after a long pause: %+v", th)
		}
		mustOK(t, s.ClearThrottle(ctx, key))
		if th, _ := s.GetThrottle(ctx, key); th.Failures != 0 {
			t.Fatalf("after clearing %+v", th)
		}
		mustOK(t, s.PruneThrottle(ctx, t0.Add(time.Hour)))
		if th, _ := s.GetThrottle(ctx, other); th.Failures != 0 {
			t.Fatalf("after pruning %+v", th)
		}
	})
}

func TestMFAGate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u, v := newUser("aino"), newUser("bertta")
		mustOK(t, s.CreateUser(ctx, u))
		mustOK(t, s.CreateUser(ctx, v))
		t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		gate := func(id int64, role string) MFAGate {
			t.Helper()
			g, err := s.MFAGateOf(ctx, id, role)
			mustOK(t, err)
			return g
		}
		if g := gate(u.ID, "monitor"); g != (MFAGate{}) {
			t.Fatalf("fresh user %+v", g)
		}
		mustOK(t, s.SetMFARequiredRoles(ctx, []string{"monitor"}, 0, t0))
		if g := gate(u.ID, "monitor"); g != (MFAGate{RoleRequires: true}) {
			t.Fatalf("required role %+v", g)
		}
		if g := gate(u.ID, "analyst"); g != (MFAGate{}) {
			t.Fatalf("other role %+v", g)
		}
		mustOK(t, s.StartMFAEnrolment(ctx, u.ID, []byte("x"), t0))
		if g := gate(u.ID, "monitor"); g.Enabled {
			t.Fatalf("unconfirmed counts as enabled: %+v", g)
		}
		mustOK(t, s.ConfirmMFA(ctx, u.ID, 1, nil, t0))
		if g := gate(u.ID, "monitor"); g != (MFAGate{RoleRequires: true, Enabled: true}) {
			t.Fatalf("enrolled %+v", g)
		}
		enabled, err := s.MFAEnabledUsers(ctx)
		mustOK(t, err)
		if !enabled[u.ID] || enabled[v.ID] || len(enabled) != 1 {
			t.Fatalf("enabled users %v", enabled)
		}
		r, err := s.RequestMFAReset(ctx, u.ID, v.ID, t0)
		mustOK(t, err)
		_, err = s.DecideMFAReset(ctx, r.ID, v.ID, true, t0)
		mustOK(t, err)
		if g := gate(u.ID, "analyst"); g != (MFAGate{MustEnrol: true}) {
			t.Fatalf("after reset %+v", g)
		}
	})
}
