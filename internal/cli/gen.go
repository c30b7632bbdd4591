package cli

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/demo"
	"vigil/internal/domain"
	"vigil/internal/service"
)

func runGen(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "gen", "gen --data DIR --incidents N --testimonies N [--seed S]")
	var sf storeFlags
	sf.register(fs, env)
	nInc := fs.Int("incidents", 1000, "how many incidents to add")
	nTes := fs.Int("testimonies", 2000, "how many testimonies to add")
	seed := fs.Int64("seed", 1, "random seed: the same seed makes the same data")
	batch := fs.Int("batch", 5000, "rows per transaction")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *nInc < 0 || *nTes < 0 || *batch < 1 {
		return usageError{"counts must not be negative and --batch must be positive"}
	}
	return withService(ctx, env, sf, func(svc *service.Service) error {
		start := time.Now()
		points, err := svc.Store.ListCrossingPoints(ctx)
		if err != nil {
			return err
		}
		var codes []string
		for _, p := range points {
			codes = append(codes, p.Code)
		}
		g := demo.NewGenerator(demo.GenConfig{Seed: *seed, Incidents: *nInc, Testimonies: *nTes, CrossingPoints: codes})
		for done := 0; done < *nInc; {
			n := min(*batch, *nInc-done)
			rows := make([]domain.Incident, n)
			for i := range rows {
				rows[i] = g.NextIncident()
			}
			if err := svc.Store.BulkInsertIncidents(ctx, rows); err != nil {
				return err
			}
			done += n
		}
		for done := 0; done < *nTes; {
			n := min(*batch, *nTes-done)
			rows := make([]domain.Testimony, n)
			for i := range rows {
				rows[i] = g.NextTestimony()
			}
			if err := svc.Store.BulkInsertTestimonies(ctx, rows); err != nil {
				return err
			}
			done += n
		}
		// After a bulk load the search indexes are in thousands of pieces;
		// merging them once keeps text-filtered lists fast.
		if err := svc.Store.OptimizeTextIndex(ctx); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Added %d incidents and %d testimonies in %s (seed %d).\n", *nInc, *nTes, time.Since(start).Round(time.Millisecond), *seed)
		return nil
	})
}
