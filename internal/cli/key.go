package cli

import (
	"context"
	"errors"
)

// Placeholder until the command is written.
func runKey(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "key", "key rotate --data DIR")
	if err := parse(fs, args); err != nil {
		return err
	}
	return errors.New("not available yet")
}
