package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"vigil/internal/app"
	"vigil/internal/domain"
	"vigil/internal/service"
)

// withService opens the store for a one-off command.
func withService(ctx context.Context, env Env, sf storeFlags, fn func(*service.Service) error) error {
	cfg, err := sf.config(env)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(service.New(st))
}

func runUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(env.Stdout, "Usage: vigil user add|list|disable|reset-2fa [flags]   (vigil user add --help)")
		if len(args) == 0 {
			return usageError{"name a subcommand: add, list or disable"}
		}
		return nil
	}
	var sf storeFlags
	switch args[0] {
	case "add":
		fs := newFlags(env, "user add", "user add --data DIR --username NAME --role ROLE [--name DISPLAY] [--lang en|fi]")
		sf.register(fs, env)
		name := fs.String("username", "", "username (lower case)")
		role := fs.String("role", "", "one of admin, coordinator, monitor, legal_aid, analyst")
		display := fs.String("name", "", "display name")
		lang := fs.String("lang", "en", "interface language, en or fi")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		return withService(ctx, env, sf, func(svc *service.Service) error {
			u := domain.User{Username: *name, Role: *role, DisplayName: *display, Lang: *lang}
			pw, err := svc.CreateUser(ctx, domain.System, &u, "")
			if err != nil {
				return explain(err)
			}
			fmt.Fprintf(env.Stdout, "Created %s (%s). Password, shown only this once:\n%s\n", u.Username, u.Role, pw)
			return nil
		})
	case "list":
		fs := newFlags(env, "user list", "user list --data DIR")
		sf.register(fs, env)
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		return withService(ctx, env, sf, func(svc *service.Service) error {
			us, err := svc.ListUsers(ctx, domain.System)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USERNAME\tROLE\tSTATUS\tLAST LOGIN")
			for _, u := range us {
				status, last := "active", "never"
				if u.Disabled {
					status = "disabled"
				}
				if u.LastLoginAt != nil {
					last = u.LastLoginAt.UTC().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, status, last)
			}
			return tw.Flush()
		})
	case "reset-2fa":
		return runUserReset2FA(ctx, env, args[1:])
	case "disable":
		fs := newFlags(env, "user disable", "user disable --data DIR --username NAME")
		sf.register(fs, env)
		name := fs.String("username", "", "the account to disable; its sessions end at once")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		return withService(ctx, env, sf, func(svc *service.Service) error {
			u, err := svc.Store.GetUserByUsername(ctx, *name)
			if err != nil {
				return fmt.Errorf("no user %q", *name)
			}
			u.Disabled = true
			if err := svc.UpdateUser(ctx, domain.System, &u); err != nil {
				return explain(err)
			}
			fmt.Fprintf(env.Stdout, "Disabled %s and ended its sessions.\n", u.Username)
			return nil
		})
	}
	return usageError{fmt.Sprintf("unknown subcommand %q (add, list, disable, reset-2fa)", args[0])}
}

// explain turns a validation error into one readable message.
func explain(err error) error {
	fields := domain.ErrorFields(err)
	if len(fields) == 0 {
		return err
	}
	msg := domain.ErrorMessage(err) + ":"
	for _, f := range fields {
		msg += "\n  " + f.Field + ": " + f.Message
	}
	return fmt.Errorf("%s", msg)
}

func runToken(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(env.Stdout, "Usage: vigil token create --data DIR --user NAME [--name LABEL]")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return usageError{"name a subcommand: create"}
	}
	fs := newFlags(env, "token create", "token create --data DIR --user NAME [--name LABEL]")
	var sf storeFlags
	sf.register(fs, env)
	user := fs.String("user", "", "the account the token acts as")
	label := fs.String("name", "cli", "a label to recognise the token by")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *user == "" {
		return usageError{"give the account with --user NAME"}
	}
	return withService(ctx, env, sf, func(svc *service.Service) error {
		u, err := svc.Store.GetUserByUsername(ctx, *user)
		if err != nil {
			return fmt.Errorf("no user %q", *user)
		}
		tok, err := svc.CreateAPIToken(ctx, domain.System, u.ID, *label)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(env.Stderr, "API token for %s (%s); it is shown only this once:\n", u.Username, u.Role)
		fmt.Fprintln(env.Stdout, tok)
		return nil
	})
}

func runMigrate(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(env.Stdout, "Usage: vigil migrate status --data DIR   (migrations run automatically at start)")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return usageError{"name a subcommand: status"}
	}
	fs := newFlags(env, "migrate status", "migrate status --data DIR")
	var sf storeFlags
	sf.register(fs, env)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	return withService(ctx, env, sf, func(svc *service.Service) error {
		ms, err := svc.Store.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "ENGINE %s\n", svc.Store.Dialect())
		fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
		for _, m := range ms {
			at := "pending"
			if m.Applied && m.AppliedAt != nil {
				at = m.AppliedAt.UTC().Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, m.Name, at)
		}
		return tw.Flush()
	})
}
