package cli

import (
	"context"
	"errors"
)

// Placeholder until the command is written.
func runRestore(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "restore", "restore --from FILE --identity KEYFILE --data NEWDIR")
	if err := parse(fs, args); err != nil {
		return err
	}
	return errors.New("not available yet")
}
