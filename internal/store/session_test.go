package store

import (
	"bytes"
	"testing"
	"time"

	"vigil/internal/domain"
)

// TestAdministratorSessionQueries covers what a user administrator needs
// about other users' sessions: how many live ones each has, and logging one
// user out everywhere with the audit entry in the same transaction.
func TestAdministratorSessionQueries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		admin, aino, bertta := newUser("root"), newUser("aino"), newUser("bertta")
		for _, u := range []*domain.User{admin, aino, bertta} {
			mustOK(t, s.CreateUser(ctx, u))
		}
		now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
		idleSince := now.Add(-2 * time.Hour)
		n := byte(0)
		session := func(userID int64, seen, expires time.Time) []byte {
			n++
			h := bytes.Repeat([]byte{n}, 32)
			mustOK(t, s.CreateSession(ctx, Session{TokenHash: h, UserID: userID, CreatedAt: seen.Add(-time.Minute),
				LastSeenAt: seen, ExpiresAt: expires, UserAgent: "Firefox on Linux", ReauthAt: seen}))
			return h
		}
		session(aino.ID, now.Add(-time.Minute), now.Add(time.Hour))            // live
		session(aino.ID, idleSince, now)                                       // live: both limits are inclusive
		session(aino.ID, now.Add(-time.Minute), now.Add(-time.Millisecond))    // expired, not cleaned up yet
		session(aino.ID, idleSince.Add(-time.Millisecond), now.Add(time.Hour)) // idle too long
		keep := session(bertta.ID, now.Add(-time.Minute), now.Add(time.Hour))  // another user's
		session(bertta.ID, now.Add(-3*time.Hour), now.Add(time.Hour))          // another user's, idle
		mustOK(t, s.CreatePendingLogin(ctx, PendingLogin{TokenHash: []byte("aino-pending"), UserID: aino.ID,
			CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}))
		mustOK(t, s.CreatePendingLogin(ctx, PendingLogin{TokenHash: []byte("bertta-pending"), UserID: bertta.ID,
			CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}))

		counts, err := s.CountLiveSessions(ctx, now, idleSince)
		mustOK(t, err)
		if len(counts) != 2 || counts[aino.ID] != 2 || counts[bertta.ID] != 1 {
			t.Fatalf("live counts %v, want aino 2, bertta 1 and nobody else", counts)
		}

		ended, err := s.RevokeUserSessions(ctx, aino.ID, admin.ID, now)
		mustOK(t, err)
		if ended != 4 {
			t.Fatalf("%d sessions ended, want all 4 of aino's rows", ended)
		}
		if list, _ := s.ListUserSessions(ctx, aino.ID); len(list) != 0 {
			t.Fatalf("aino still has sessions: %+v", list)
		}
		_, err = s.GetPendingLogin(ctx, []byte("aino-pending"))
		wantCode(t, err, domain.ENotFound)
		// The other user keeps everything.
		if list, _ := s.ListUserSessions(ctx, bertta.ID); len(list) != 2 {
			t.Fatalf("bertta's sessions %+v, want both", list)
		}
		if _, err := s.GetSession(ctx, keep); err != nil {
			t.Fatalf("bertta's live session: %v", err)
		}
		if _, err := s.GetPendingLogin(ctx, []byte("bertta-pending")); err != nil {
			t.Fatalf("bertta's half-finished login: %v", err)
		}
		counts, err = s.CountLiveSessions(ctx, now, idleSince)
		mustOK(t, err)
		if len(counts) != 1 || counts[bertta.ID] != 1 {
			t.Fatalf("live counts after the revocation %v", counts)
		}

		// Audited on the user, with the administrator as actor.
		if got := auditActions(t, s, aino.ID); len(got) != 1 || got[0] != "sessions_revoked" {
			t.Fatalf("audit on aino %v", got)
		}
		var actor int64
		mustOK(t, s.reader().queryRow(ctx, `SELECT actor_id FROM audit_log WHERE action = 'sessions_revoked' AND entity_id = ?`, aino.ID).Scan(&actor))
		if actor != admin.ID {
			t.Fatalf("audited actor %d, want the administrator %d", actor, admin.ID)
		}
		if got := auditActions(t, s, bertta.ID); len(got) != 0 {
			t.Fatalf("audit on bertta %v", got)
		}

		// Nothing left to end still works, and is audited again: it was
		// still an administrator's decision.
		ended, err = s.RevokeUserSessions(ctx, aino.ID, admin.ID, now)
		if err != nil || ended != 0 {
			t.Fatalf("again: %d %v", ended, err)
		}
		if got := auditActions(t, s, aino.ID); len(got) != 2 {
			t.Fatalf("audit on aino after the second time %v", got)
		}
	})
}
