package store

import (
	"slices"
	"testing"

	"vigil/internal/domain"
)

// Tests for the small reference tables: crossing points, policy events,
// figures.

// checkCreated fails t unless m looks freshly created.
func checkCreated(t *testing.T, m domain.Meta) {
	t.Helper()
	if m.ID <= 0 || m.Version != 1 || m.CreatedAt.IsZero() || !m.UpdatedAt.Equal(m.CreatedAt) {
		t.Fatalf("after create: %+v", m)
	}
}

// checkUpdated fails t unless after is before saved once more.
func checkUpdated(t *testing.T, before, after domain.Meta) {
	t.Helper()
	if after.Version != before.Version+1 || !after.UpdatedAt.After(before.UpdatedAt) || !after.CreatedAt.Equal(before.CreatedAt) {
		t.Fatalf("after update: %+v (before %+v)", after, before)
	}
}

func TestCrossingPoints(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		c := newCrossingPoint("vaalimaa")
		mustOK(t, s.CreateCrossingPoint(ctx, c))
		checkCreated(t, c.Meta)
		if c.UpdatedBy != c.CreatedBy {
			t.Fatalf("UpdatedBy %d, want the creator %d", c.UpdatedBy, c.CreatedBy)
		}
		got, err := s.GetCrossingPoint(ctx, c.ID)
		mustOK(t, err)
		same(t, "get", got, *c)
		got, err = s.GetCrossingPointByCode(ctx, "vaalimaa")
		mustOK(t, err)
		same(t, "get by code", got, *c)

		wantCode(t, s.CreateCrossingPoint(ctx, newCrossingPoint("vaalimaa")), domain.EConflict)

		before := c.Meta
		c.NameFI, c.Lat, c.Lon, c.AccuracyKM, c.UpdatedBy = "Vaalimaan raja", nil, nil, nil, 2
		mustOK(t, s.UpdateCrossingPoint(ctx, c))
		checkUpdated(t, before, c.Meta)
		got, _ = s.GetCrossingPoint(ctx, c.ID)
		same(t, "after update", got, *c)

		stale := *c
		stale.Version--
		wantCode(t, s.UpdateCrossingPoint(ctx, &stale), domain.EConflict)
		missing := *c
		missing.ID = 9999
		wantCode(t, s.UpdateCrossingPoint(ctx, &missing), domain.ENotFound)
		_, err = s.GetCrossingPoint(ctx, 9999)
		wantCode(t, err, domain.ENotFound)
		_, err = s.GetCrossingPointByCode(ctx, "nope")
		wantCode(t, err, domain.ENotFound)

		other := newCrossingPoint("nuijamaa")
		mustOK(t, s.CreateCrossingPoint(ctx, other))
		other.Code = "vaalimaa"
		wantCode(t, s.UpdateCrossingPoint(ctx, other), domain.EConflict)

		list, err := s.ListCrossingPoints(ctx)
		mustOK(t, err)
		if len(list) != 2 || list[0].Code != "nuijamaa" || list[1].Code != "vaalimaa" {
			t.Fatalf("list: %+v", list)
		}
	})
}

func TestPolicyEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		closed := newPolicyEvent("2023-11-18", "closed", "imatra", "niirala", "nuijamaa", "vaalimaa")
		closed.Time = "00:00"
		mustOK(t, s.CreatePolicyEvent(ctx, closed))
		checkCreated(t, closed.Meta)
		got, err := s.GetPolicyEvent(ctx, closed.ID)
		mustOK(t, err)
		same(t, "get", got, *closed)

		decision := newPolicyEvent("2023-11-16", "decision")
		decision.CrossingPoints = nil
		decision.Time = ""
		mustOK(t, s.CreatePolicyEvent(ctx, decision))
		sameDay := newPolicyEvent("2023-11-18", "restricted", "salla")
		sameDay.Time = "12:30"
		mustOK(t, s.CreatePolicyEvent(ctx, sameDay))

		before := decision.Meta
		decision.Detail = "Decision to close four crossing points"
		mustOK(t, s.UpdatePolicyEvent(ctx, decision))
		checkUpdated(t, before, decision.Meta)
		got, _ = s.GetPolicyEvent(ctx, decision.ID)
		same(t, "after update", got, *decision)

		stale := *decision
		stale.Version = 1
		wantCode(t, s.UpdatePolicyEvent(ctx, &stale), domain.EConflict)
		stale.ID = 4242
		wantCode(t, s.UpdatePolicyEvent(ctx, &stale), domain.ENotFound)
		_, err = s.GetPolicyEvent(ctx, 4242)
		wantCode(t, err, domain.ENotFound)

		list, err := s.ListPolicyEvents(ctx)
		mustOK(t, err)
		var ids []int64
		for _, e := range list {
			ids = append(ids, e.ID)
		}
		same(t, "order", ids, []int64{decision.ID, closed.ID, sameDay.ID})

		// The store refuses a date it could not read back.
		bad := newPolicyEvent("2023-11-18", "closed", "x")
		bad.When.From = domain.Date{Year: 2023, Month: 13, Day: 1}
		wantCode(t, s.CreatePolicyEvent(ctx, bad), domain.EInvalid)
	})
}

func TestFigures(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		f := newFigure("2023-12-31", "asylum_seekers", 1323)
		mustOK(t, s.CreateFigure(ctx, f))
		checkCreated(t, f.Meta)
		got, err := s.GetFigure(ctx, f.ID)
		mustOK(t, err)
		same(t, "get", got, *f)

		before := f.Meta
		f.Value, f.Approximation, f.Note = 1300, "about", "rounded"
		mustOK(t, s.UpdateFigure(ctx, f))
		checkUpdated(t, before, f.Meta)
		got, _ = s.GetFigure(ctx, f.ID)
		same(t, "after update", got, *f)
		stale := *f
		stale.Version = 1
		wantCode(t, s.UpdateFigure(ctx, &stale), domain.EConflict)
		stale.ID = 777
		wantCode(t, s.UpdateFigure(ctx, &stale), domain.ENotFound)
		_, err = s.GetFigure(ctx, 777)
		wantCode(t, err, domain.ENotFound)

		// Several figures share a cut-off date, so the id breaks the tie
		// across page boundaries; one has no cut-off and comes last.
		want := []int64{}
		for i, to := range []string{"2024-01-31", "2024-01-31", "2024-01-31", "2023-11-30", "2023-11-30", "2023-08-31"} {
			m := "asylum_seekers"
			if i%2 == 1 {
				m = "arrivals"
			}
			g := newFigure(to, m, int64(i))
			mustOK(t, s.CreateFigure(ctx, g))
			want = append(want, g.ID)
		}
		undated := newFigure("2024-01-01", "asylum_seekers", 5)
		undated.PeriodTo = domain.Date{}
		mustOK(t, s.CreateFigure(ctx, undated))
		// Expected order: period_to DESC, id DESC.
		all := []int64{want[2], want[1], want[0], f.ID, want[4], want[3], want[5], undated.ID}
		for _, limit := range []int{1, 2, 3, 50} {
			got := pageThrough(t, limit, func(p domain.Page) ([]domain.Figure, string, error) {
				return s.ListFigures(ctx, FigureFilter{}, p)
			}, func(f domain.Figure) int64 { return f.ID })
			same(t, "figure pages", got, all)
		}
		got2 := pageThrough(t, 2, func(p domain.Page) ([]domain.Figure, string, error) {
			return s.ListFigures(ctx, FigureFilter{Measure: "arrivals"}, p)
		}, func(f domain.Figure) int64 { return f.ID })
		same(t, "arrivals", got2, []int64{want[1], want[3], want[5]})

		_, _, err = s.ListFigures(ctx, FigureFilter{}, domain.Page{Cursor: "garbage!"})
		wantCode(t, err, domain.EInvalid)
	})
}

// pageThrough reads every page of a list with the given page size and
// returns the ids in order, failing on a repeated id or a page that is
// over-full, or an empty page that still promises more.
func pageThrough[T any](t *testing.T, limit int, list func(domain.Page) ([]T, string, error), id func(T) int64) []int64 {
	t.Helper()
	var (
		out    []int64
		cursor string
	)
	for pages := 0; ; pages++ {
		if pages > 10_000 {
			t.Fatal("pagination does not end")
		}
		items, next, err := list(domain.Page{Limit: limit, Cursor: cursor})
		mustOK(t, err)
		if len(items) > limit {
			t.Fatalf("page of %d items, limit %d", len(items), limit)
		}
		if next != "" && len(items) != limit {
			t.Fatalf("a short page (%d of %d) promises another", len(items), limit)
		}
		for _, it := range items {
			i := id(it)
			if slices.Contains(out, i) {
				t.Fatalf("id %d on two pages", i)
			}
			out = append(out, i)
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}
