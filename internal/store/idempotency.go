package store

import (
	"context"
	"time"

	"vigil/internal/domain"
)

// Idempotency is the remembered response to an API POST sent with an
// Idempotency-Key, so that a client retrying after a lost response does not
// create the record twice.
type Idempotency struct {
	UserID      int64
	Key         string
	RequestHash []byte // tells a true retry from a different request reusing the key
	Status      int
	Body        []byte
	CreatedAt   time.Time
}

// GetIdempotency returns the remembered response for the user's key.
func (s *Store) GetIdempotency(ctx context.Context, userID int64, key string) (_ Idempotency, err error) {
	defer s.fail(&err)
	var (
		it      Idempotency
		created int64
	)
	err = s.reader().queryRow(ctx, `SELECT user_id, key, request_hash, status, body, created_at
		FROM idempotency_keys WHERE user_id = ? AND key = ?`, userID, key).
		Scan(&it.UserID, &it.Key, &it.RequestHash, &it.Status, &it.Body, &created)
	if err != nil {
		return it, notFound(err, "idempotency key")
	}
	it.CreatedAt = fromMillis(created)
	return it, nil
}

// PutIdempotency remembers a response. A second response for the same user
// and key is a conflict: two requests raced with one key, and only the first
// may win. CreatedAt defaults to now.
func (s *Store) PutIdempotency(ctx context.Context, it Idempotency) (err error) {
	defer s.fail(&err)
	if it.CreatedAt.IsZero() {
		it.CreatedAt = s.stamp()
	}
	if it.RequestHash == nil {
		it.RequestHash = []byte{}
	}
	if it.Body == nil {
		it.Body = []byte{}
	}
	_, err = s.writer().exec(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, it.UserID, it.Key, it.RequestHash, it.Status, it.Body, millis(it.CreatedAt))
	if s.d.isUniqueViolation(err) {
		return domain.Errorf(domain.EConflict, "this idempotency key was already used")
	}
	return err
}

// DeleteIdempotencyBefore forgets responses remembered before t; keys only
// need to outlive a client's retries.
func (s *Store) DeleteIdempotencyBefore(ctx context.Context, t time.Time) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, millis(t))
	return err
}
