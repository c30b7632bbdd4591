package cli

import (
	"context"
	"fmt"

	"vigil/internal/service"
)

// runUserReset2FA clears a user's second factor on the operator's
// authority: the way back in when the last administrator has lost theirs.
// Whoever can run it holds the instance key and the data, so no web
// approval is asked; the reset is audited like an approved one.
func runUserReset2FA(ctx context.Context, env Env, args []string) error {
	var sf storeFlags
	fs := newFlags(env, "user reset-2fa", "user reset-2fa --data DIR --username NAME")
	sf.register(fs, env)
	name := fs.String("username", "", "the account whose two-factor authentication is removed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return usageError{"give the account with --username NAME"}
	}
	return withService(ctx, env, sf, func(svc *service.Service) error {
		u, err := svc.Store.GetUserByUsername(ctx, *name)
		if err != nil {
			return fmt.Errorf("no user %q", *name)
		}
		if err := svc.ResetMFAByOperator(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Removed the second factor of %s and ended its sessions. At the next login with the password, %s must set up two-factor authentication again.\n", u.Username, u.Username)
		return nil
	})
}
