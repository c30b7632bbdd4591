package store

import (
	"bytes"
	"testing"
	"time"

	"vigil/internal/domain"
)

func TestUsers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u := newUser("aino")
		mustOK(t, s.CreateUser(ctx, u))
		checkCreated(t, u.Meta)
		got, err := s.GetUser(ctx, u.ID)
		mustOK(t, err)
		same(t, "get", got, *u)
		got, err = s.GetUserByUsername(ctx, "aino")
		mustOK(t, err)
		same(t, "get by name", got, *u)

		err = s.CreateUser(ctx, newUser("aino"))
		wantCode(t, err, domain.EConflict)
		if domain.ErrorMessage(err) != "username already taken" {
			t.Fatalf("message %q", domain.ErrorMessage(err))
		}

		login := time.Date(2024, 3, 1, 8, 0, 0, 123_000_000, time.UTC)
		mustOK(t, s.SetLastLogin(ctx, u.ID, login))
		wantCode(t, s.SetLastLogin(ctx, 999, login), domain.ENotFound)
		got, _ = s.GetUser(ctx, u.ID)
		if got.LastLoginAt == nil || !got.LastLoginAt.Equal(login) || got.Version != 1 {
			t.Fatalf("after login: %+v", got)
		}

		before := u.Meta
		u.Role, u.Disabled, u.PasswordHash, u.Lang, u.DisplayName = "coordinator", true, "$argon2id$new", "fi", "Aino K."
		mustOK(t, s.UpdateUser(ctx, u))
		checkUpdated(t, before, u.Meta)
		got, _ = s.GetUser(ctx, u.ID)
		same(t, "after update", got, *u)

		stale := *u
		stale.Version = 1
		wantCode(t, s.UpdateUser(ctx, &stale), domain.EConflict)
		stale.ID = 999
		wantCode(t, s.UpdateUser(ctx, &stale), domain.ENotFound)
		_, err = s.GetUser(ctx, 999)
		wantCode(t, err, domain.ENotFound)
		_, err = s.GetUserByUsername(ctx, "nobody")
		wantCode(t, err, domain.ENotFound)

		b := newUser("bertta")
		mustOK(t, s.CreateUser(ctx, b))
		b.Username = "aino"
		err = s.UpdateUser(ctx, b)
		wantCode(t, err, domain.EConflict)
		if domain.ErrorMessage(err) != "username already taken" {
			t.Fatalf("rename message %q", domain.ErrorMessage(err))
		}

		list, err := s.ListUsers(ctx)
		mustOK(t, err)
		if len(list) != 2 || list[0].Username != "aino" || list[1].Username != "bertta" {
			t.Fatalf("list: %+v", list)
		}
	})
}

func TestSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u := newUser("aino")
		mustOK(t, s.CreateUser(ctx, u))
		t0 := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
		se := Session{TokenHash: bytes.Repeat([]byte{1}, 32), UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
		mustOK(t, s.CreateSession(ctx, se))
		wantCode(t, s.CreateSession(ctx, se), domain.EConflict)
		got, err := s.GetSession(ctx, se.TokenHash)
		mustOK(t, err)
		same(t, "get", got, se)

		mustOK(t, s.TouchSession(ctx, se.TokenHash, t0.Add(time.Hour)))
		got, _ = s.GetSession(ctx, se.TokenHash)
		if !got.LastSeenAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after touch: %+v", got)
		}
		wantCode(t, s.TouchSession(ctx, []byte("missing"), t0), domain.ENotFound)
		_, err = s.GetSession(ctx, []byte("missing"))
		wantCode(t, err, domain.ENotFound)

		old := Session{TokenHash: bytes.Repeat([]byte{2}, 32), UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Minute)}
		mustOK(t, s.CreateSession(ctx, old))
		mustOK(t, s.DeleteExpiredSessions(ctx, t0.Add(time.Hour)))
		_, err = s.GetSession(ctx, old.TokenHash)
		wantCode(t, err, domain.ENotFound)
		if _, err := s.GetSession(ctx, se.TokenHash); err != nil {
			t.Fatal("a live session was deleted with the expired ones")
		}

		mustOK(t, s.DeleteSession(ctx, se.TokenHash))
		mustOK(t, s.DeleteSession(ctx, se.TokenHash)) // signing out twice is fine
		_, err = s.GetSession(ctx, se.TokenHash)
		wantCode(t, err, domain.ENotFound)

		for i := range 3 {
			mustOK(t, s.CreateSession(ctx, Session{TokenHash: []byte{byte(10 + i)}, UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}))
		}
		mustOK(t, s.DeleteUserSessions(ctx, u.ID))
		for i := range 3 {
			_, err := s.GetSession(ctx, []byte{byte(10 + i)})
			wantCode(t, err, domain.ENotFound)
		}
	})
}

func TestAPITokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		u, other := newUser("aino"), newUser("bertta")
		mustOK(t, s.CreateUser(ctx, u))
		mustOK(t, s.CreateUser(ctx, other))
		tok := &APIToken{UserID: u.ID, Name: "laptop", Hash: bytes.Repeat([]byte{7}, 32)}
		mustOK(t, s.CreateAPIToken(ctx, tok))
		if tok.ID <= 0 || tok.CreatedAt.IsZero() {
			t.Fatalf("after create: %+v", tok)
		}
		wantCode(t, s.CreateAPIToken(ctx, &APIToken{UserID: u.ID, Name: "dup", Hash: tok.Hash}), domain.EConflict)
		tok2 := &APIToken{UserID: u.ID, Name: "server", Hash: bytes.Repeat([]byte{8}, 32)}
		mustOK(t, s.CreateAPIToken(ctx, tok2))

		got, err := s.GetAPITokenByHash(ctx, tok.Hash)
		mustOK(t, err)
		same(t, "get", got, *tok)
		_, err = s.GetAPITokenByHash(ctx, []byte("nope"))
		wantCode(t, err, domain.ENotFound)

		used := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
		mustOK(t, s.TouchAPIToken(ctx, tok.ID, used))
		wantCode(t, s.TouchAPIToken(ctx, 999, used), domain.ENotFound)

		wantCode(t, s.RevokeAPIToken(ctx, other.ID, tok.ID), domain.ENotFound) // not theirs
		mustOK(t, s.RevokeAPIToken(ctx, u.ID, tok.ID))
		got, _ = s.GetAPITokenByHash(ctx, tok.Hash)
		if got.RevokedAt == nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
			t.Fatalf("after revoke: %+v", got)
		}
		first := *got.RevokedAt
		mustOK(t, s.RevokeAPIToken(ctx, u.ID, tok.ID))
		got, _ = s.GetAPITokenByHash(ctx, tok.Hash)
		if !got.RevokedAt.Equal(first) {
			t.Fatal("revoking again moved the revocation time")
		}
		wantCode(t, s.RevokeAPIToken(ctx, u.ID, 999), domain.ENotFound)

		list, err := s.ListAPITokens(ctx, u.ID)
		mustOK(t, err)
		if len(list) != 2 || list[0].ID != tok2.ID || list[1].ID != tok.ID {
			t.Fatalf("list: %+v", list)
		}
		list, _ = s.ListAPITokens(ctx, other.ID)
		if len(list) != 0 {
			t.Fatal("another user's tokens listed")
		}
	})
}

func TestIdempotency(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		_, err := s.GetIdempotency(ctx, 1, "k1")
		wantCode(t, err, domain.ENotFound)
		it := Idempotency{UserID: 1, Key: "k1", RequestHash: []byte{1, 2, 3}, Status: 201, Body: []byte(`{"id":5}`),
			CreatedAt: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
		mustOK(t, s.PutIdempotency(ctx, it))
		got, err := s.GetIdempotency(ctx, 1, "k1")
		mustOK(t, err)
		same(t, "get", got, it)
		wantCode(t, s.PutIdempotency(ctx, it), domain.EConflict)

		// The same key of another user is another entry; an empty body is kept.
		mustOK(t, s.PutIdempotency(ctx, Idempotency{UserID: 2, Key: "k1", Status: 204, CreatedAt: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)}))
		got, err = s.GetIdempotency(ctx, 2, "k1")
		mustOK(t, err)
		if got.Status != 204 || len(got.Body) != 0 {
			t.Fatalf("second user: %+v", got)
		}
		mustOK(t, s.PutIdempotency(ctx, Idempotency{UserID: 3, Key: "k1", Status: 200}))
		got, err = s.GetIdempotency(ctx, 3, "k1")
		mustOK(t, err)
		if got.CreatedAt.IsZero() {
			t.Fatal("CreatedAt was not defaulted")
		}

		mustOK(t, s.DeleteIdempotencyBefore(ctx, time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)))
		_, err = s.GetIdempotency(ctx, 1, "k1")
		wantCode(t, err, domain.ENotFound)
		if _, err := s.GetIdempotency(ctx, 2, "k1"); err != nil {
			t.Fatalf("a newer key was deleted: %v", err)
		}
	})
}
