package service

import (
	"context"
	"database/sql"
	"fmt"
)

// ResealMFASecrets re-encrypts every stored two-factor secret under the
// keys of newMaster, inside tx (a transaction of s.Store, from WithTx), for
// `vigil key rotate`. The secrets are sealed with a key derived from the
// instance key (totpKey), so after a rotation they would no longer open. A
// secret that does not open with the current key stops the rotation:
// re-sealing must never turn damage into data. It returns how many
// secrets it re-sealed.
func (s *Service) ResealMFASecrets(ctx context.Context, tx *sql.Tx, newMaster []byte) (int, error) {
	next := &Service{MasterKey: newMaster}
	rows, err := tx.QueryContext(ctx, s.Store.Rebind(`SELECT user_id, secret FROM user_mfa WHERE secret IS NOT NULL ORDER BY user_id`))
	if err != nil {
		return 0, err
	}
	type sealed struct {
		user   int64
		secret []byte
	}
	var all []sealed
	for rows.Next() {
		var x sealed
		if err := rows.Scan(&x.user, &x.secret); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, x := range all {
		plain, err := s.openTOTPSecret(x.user, x.secret)
		if err != nil {
			return 0, fmt.Errorf("the two-factor secret of user %d does not open with the current key: %w", x.user, err)
		}
		again, err := next.sealTOTPSecret(x.user, plain)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, s.Store.Rebind(`UPDATE user_mfa SET secret = ? WHERE user_id = ?`), again, x.user); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}
