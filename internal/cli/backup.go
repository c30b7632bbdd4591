package cli

import (
	"context"
	"errors"
)

// Placeholder until the command is written.
func runBackup(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "backup", "backup --data DIR --to FILE --recipient AGE_PUBLIC_KEY")
	if err := parse(fs, args); err != nil {
		return err
	}
	return errors.New("not available yet")
}
