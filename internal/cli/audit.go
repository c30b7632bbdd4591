package cli

import (
	"context"
	"encoding/hex"
	"fmt"

	"vigil/internal/app"
	"vigil/internal/store"
)

const auditUsage = "audit verify|checkpoint --data DIR [--key-file F]"

// runAudit checks or signs the tamper-evident audit log. verify exits 0 on
// an intact chain and 1 naming the first altered, missing or reordered
// entry otherwise.
func runAudit(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(env.Stdout, "Usage: vigil "+auditUsage)
		fmt.Fprintln(env.Stdout, "\n  verify      recompute the whole audit chain, its signed checkpoints and the record versions")
		fmt.Fprintln(env.Stdout, "  checkpoint  sign the chain's current head now")
		if len(args) == 0 {
			return usageError{"name a subcommand: verify or checkpoint"}
		}
		return nil
	}
	var sf storeFlags
	switch args[0] {
	case "verify":
		fs := newFlags(env, "audit verify", "audit verify --data DIR [--key-file F]   (PostgreSQL: set VIGIL_DATABASE_URL too)")
		sf.register(fs, env)
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		return withStore(ctx, env, sf, func(st *store.Store) error {
			rep, err := st.VerifyAudit(ctx)
			if err != nil {
				return err
			}
			printReport(env, st, rep)
			if !rep.OK() {
				p := rep.Problems[0]
				return fmt.Errorf("the audit chain is BROKEN: %s", p.Message)
			}
			return nil
		})
	case "checkpoint":
		fs := newFlags(env, "audit checkpoint", "audit checkpoint --data DIR [--key-file F]")
		sf.register(fs, env)
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		return withStore(ctx, env, sf, func(st *store.Store) error {
			cp, err := st.Checkpoint(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "Checkpoint at entry %d, signed %s\nhash      %s\nsignature %s\nkey       %s\n",
				cp.Seq, cp.At.UTC().Format("2006-01-02 15:04:05 UTC"), cp.Hash, cp.Signature, hex.EncodeToString(st.AuditPublicKey()))
			return nil
		})
	}
	return usageError{fmt.Sprintf("unknown subcommand %q (verify, checkpoint)", args[0])}
}

// withStore opens the store for a command that needs no service.
func withStore(ctx context.Context, env Env, sf storeFlags, fn func(*store.Store) error) error {
	cfg, err := sf.config(env)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

func printReport(env Env, st *store.Store, rep store.AuditReport) {
	w := env.Stdout
	if rep.OK() {
		fmt.Fprintf(w, "Audit chain intact: %d entries", rep.Entries)
		if rep.Entries > 0 {
			fmt.Fprintf(w, ", last entry %d (hash %s)", rep.LastSeq, rep.LastHash)
		}
		fmt.Fprintln(w, ".")
	} else {
		fmt.Fprintf(w, "Audit chain BROKEN: %d entries read, %d problems found.\n", rep.Entries, len(rep.Problems)+rep.Omitted)
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  %-10s %s\n", p.Kind, p.Message)
		}
		if rep.Omitted > 0 {
			fmt.Fprintf(w, "  … and %d more\n", rep.Omitted)
		}
	}
	if cp := rep.LatestCheckpoint; cp != nil {
		fmt.Fprintf(w, "Signed checkpoints: %d; the latest covers entry %d (%s).\n", rep.Checkpoints, cp.Seq, cp.At.UTC().Format("2006-01-02 15:04 UTC"))
	} else {
		fmt.Fprintln(w, "Signed checkpoints: none yet (one is signed every 1,000 entries, or with `vigil audit checkpoint`).")
	}
	fmt.Fprintf(w, "Record versions checked against their entries: %d.\n", rep.Versions)
	fmt.Fprintf(w, "Checkpoint key (Ed25519, public): %s\n", hex.EncodeToString(st.AuditPublicKey()))
}
