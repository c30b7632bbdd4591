package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/domain"
)

func TestIncidentCRUD(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		in := newIncident("2023-11-24", "Pushback near Vaalimaa")
		at := time.Date(2023, 12, 1, 10, 0, 0, 0, time.UTC)
		in.Verification = domain.Verification{Status: "corroborated", Reason: "two narrators", SetBy: 4, SetAt: &at}
		in.Group.Minors, in.Group.Women = ptr(1), ptr(0)
		in.PushedTo = []string{"RU", "BY"}
		in.Published, in.PublicSummary = true, "A group was pushed back."
		mustOK(t, s.CreateIncident(ctx, in))
		checkCreated(t, in.Meta)
		got, err := s.GetIncident(ctx, in.ID)
		mustOK(t, err)
		same(t, "get", got, *in)

		before := in.Meta
		in.Kinds = []string{"pushback", "violence"}
		in.ViolenceTypes = nil
		in.Group = domain.Group{}
		in.Lat, in.Lon = nil, nil
		in.Verification.SetAt = nil
		in.When = domain.FuzzyDate{From: domain.MustDate("2023-11-01"), To: domain.MustDate("2023-11-30"), Precision: "month"}
		mustOK(t, s.UpdateIncident(ctx, in))
		checkUpdated(t, before, in.Meta)
		got, _ = s.GetIncident(ctx, in.ID)
		same(t, "after update", got, *in)

		stale := *in
		stale.Version = 1
		wantCode(t, s.UpdateIncident(ctx, &stale), domain.EConflict)
		stale.ID = 31337
		wantCode(t, s.UpdateIncident(ctx, &stale), domain.ENotFound)
		_, err = s.GetIncident(ctx, 31337)
		wantCode(t, err, domain.ENotFound)

		// Duplicated list values (validation refuses them) do not break the
		// tag index.
		dup := newIncident("2023-11-25", "dup")
		dup.Kinds = []string{"pushback", "pushback"}
		mustOK(t, s.CreateIncident(ctx, dup))
		got, _ = s.GetIncident(ctx, dup.ID)
		same(t, "duplicate kinds read back", got.Kinds, dup.Kinds)
		list, _, err := s.ListIncidents(ctx, IncidentFilter{Kind: "pushback"}, domain.Page{})
		mustOK(t, err)
		if len(list) != 2 {
			t.Fatalf("kind filter with a duplicated kind: %d incidents", len(list))
		}
	})
}

func TestListIncidents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		kinds := []string{"pushback", "violence", "detention", "death"}
		violence := []string{"beating", "dog_attack", "pepper_spray"}
		nations := []string{"SY", "SO", "YE", "IQ"}
		points := []string{"vaalimaa", "nuijamaa", "salla"}
		var all []*domain.Incident
		for i := range 40 {
			in := newIncident(fmt.Sprintf("2023-%02d-%02d", 8+i/10, 1+i%5*3), fmt.Sprintf("incident %d", i))
			in.Kinds = []string{kinds[i%4]}
			if i%3 == 0 {
				in.Kinds = append(in.Kinds, "injury")
			}
			in.ViolenceTypes = []string{violence[i%3]}
			in.Group.Nationalities = []domain.NationalityCount{{Country: nations[i%4]}, {Country: nations[(i+1)%4]}}
			in.CrossingPoint = points[i%3]
			in.Verification.Status = []string{"unverified", "corroborated"}[i%2]
			in.Published = i%4 == 0
			if i%7 == 6 {
				in.When.To = in.When.From.AddDays(20)
			}
			if i == 39 {
				in.When = domain.FuzzyDate{Precision: "unknown"}
			}
			mustOK(t, s.CreateIncident(ctx, in))
			all = append(all, in)
		}
		sorted := slices.Clone(all)
		slices.SortFunc(sorted, func(a, b *domain.Incident) int {
			if c := strings.Compare(b.When.From.String(), a.When.From.String()); c != 0 {
				return c
			}
			return int(b.ID - a.ID)
		})
		if sorted[len(sorted)-1] != all[39] {
			t.Fatal("test setup: the undated incident should sort last")
		}
		overlaps := func(in *domain.Incident, from, to string) bool {
			if in.When.From.IsZero() {
				return false
			}
			end := in.When.To
			if end.IsZero() {
				end = in.When.From
			}
			return (from == "" || end.String() >= from) && (to == "" || in.When.From.String() <= to)
		}
		yes := true
		no := false
		cases := []struct {
			name string
			f    IncidentFilter
			keep func(*domain.Incident) bool
		}{
			{"all", IncidentFilter{}, func(*domain.Incident) bool { return true }},
			{"kind", IncidentFilter{Kind: "injury"}, func(in *domain.Incident) bool { return slices.Contains(in.Kinds, "injury") }},
			{"violence", IncidentFilter{ViolenceType: "dog_attack"}, func(in *domain.Incident) bool { return in.ViolenceTypes[0] == "dog_attack" }},
			{"nationality", IncidentFilter{Nationality: "YE"}, func(in *domain.Incident) bool {
				return slices.ContainsFunc(in.Group.Nationalities, func(n domain.NationalityCount) bool { return n.Country == "YE" })
			}},
			{"kind and nationality", IncidentFilter{Kind: "pushback", Nationality: "SO"}, func(in *domain.Incident) bool {
				return slices.Contains(in.Kinds, "pushback") &&
					slices.ContainsFunc(in.Group.Nationalities, func(n domain.NationalityCount) bool { return n.Country == "SO" })
			}},
			{"three tags", IncidentFilter{Kind: "injury", ViolenceType: "beating", Nationality: "SY"}, func(in *domain.Incident) bool {
				return slices.Contains(in.Kinds, "injury") && in.ViolenceTypes[0] == "beating" &&
					slices.ContainsFunc(in.Group.Nationalities, func(n domain.NationalityCount) bool { return n.Country == "SY" })
			}},
			{"crossing point", IncidentFilter{CrossingPoint: "salla"}, func(in *domain.Incident) bool { return in.CrossingPoint == "salla" }},
			{"verification", IncidentFilter{Verification: "corroborated"}, func(in *domain.Incident) bool { return in.Verification.Status == "corroborated" }},
			{"published", IncidentFilter{Published: &yes}, func(in *domain.Incident) bool { return in.Published }},
			{"unpublished", IncidentFilter{Published: &no}, func(in *domain.Incident) bool { return !in.Published }},
			{"from", IncidentFilter{From: domain.MustDate("2023-10-05")}, func(in *domain.Incident) bool { return overlaps(in, "2023-10-05", "") }},
			{"to", IncidentFilter{To: domain.MustDate("2023-08-07")}, func(in *domain.Incident) bool { return overlaps(in, "", "2023-08-07") }},
			{"range", IncidentFilter{From: domain.MustDate("2023-09-05"), To: domain.MustDate("2023-09-10")}, func(in *domain.Incident) bool {
				return overlaps(in, "2023-09-05", "2023-09-10")
			}},
			{"tag and columns", IncidentFilter{Kind: "pushback", CrossingPoint: "vaalimaa", Published: &yes, From: domain.MustDate("2023-09-01")},
				func(in *domain.Incident) bool {
					return slices.Contains(in.Kinds, "pushback") && in.CrossingPoint == "vaalimaa" && in.Published && overlaps(in, "2023-09-01", "")
				}},
			{"text", IncidentFilter{Query: "incident 12"}, func(in *domain.Incident) bool { return in == all[12] }},
			{"text and tag", IncidentFilter{Query: "incident", Kind: "death"}, func(in *domain.Incident) bool { return in.Kinds[0] == "death" }},
			{"no match", IncidentFilter{Kind: "nope"}, func(*domain.Incident) bool { return false }},
		}
		for _, c := range cases {
			var want []int64
			for _, in := range sorted {
				if c.keep(in) {
					want = append(want, in.ID)
				}
			}
			if c.name != "no match" && c.name != "text" && len(want) < 3 {
				t.Fatalf("test setup: %s keeps only %d incidents", c.name, len(want))
			}
			for _, limit := range []int{1, 3, 8, 200} {
				got := pageThrough(t, limit, func(p domain.Page) ([]domain.Incident, string, error) {
					return s.ListIncidents(ctx, c.f, p)
				}, func(in domain.Incident) int64 { return in.ID })
				same(t, fmt.Sprintf("%s, pages of %d", c.name, limit), got, want)
			}
		}

		// Tags follow an update, including the date copied into them.
		in := all[5]
		in.Kinds = []string{"family_separation"}
		in.When.From, in.When.To = domain.MustDate("2024-06-01"), domain.Date{}
		mustOK(t, s.UpdateIncident(ctx, in))
		list, _, err := s.ListIncidents(ctx, IncidentFilter{Kind: kinds[5%4]}, domain.Page{})
		mustOK(t, err)
		if slices.ContainsFunc(list, func(x domain.Incident) bool { return x.ID == in.ID }) {
			t.Fatal("an old kind still finds the incident")
		}
		list, _, err = s.ListIncidents(ctx, IncidentFilter{Nationality: nations[5%4]}, domain.Page{Limit: 1})
		mustOK(t, err)
		if len(list) != 1 || list[0].ID != in.ID {
			t.Fatalf("the re-dated incident is not first under its nationality: %+v", list)
		}
		list, _, err = s.ListIncidents(ctx, IncidentFilter{Kind: "family_separation"}, domain.Page{})
		mustOK(t, err)
		if len(list) != 1 || list[0].ID != in.ID {
			t.Fatalf("new kind: %+v", list)
		}

		_, _, err = s.ListIncidents(ctx, IncidentFilter{}, domain.Page{Cursor: "%%%"})
		wantCode(t, err, domain.EInvalid)
	})
}

func TestIncidentSearch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		a := newIncident("2023-11-20", "Beating at Vartius")
		a.Summary = "Guards handcuffed two men."
		b := newIncident("2023-11-21", "Group at Salla")
		b.Place = "Куусамо"
		b.PublicSummary = "مجموعة من اللاجئين"
		for _, in := range []*domain.Incident{a, b} {
			mustOK(t, s.CreateIncident(ctx, in))
		}
		cases := []struct {
			q    string
			want []int64
		}{
			{"handcuffed", []int64{a.ID}},
			{"vartius", []int64{a.ID}},
			{"Куусамо", []int64{b.ID}},
			{"اللاجئين", []int64{b.ID}},
			{"group", []int64{b.ID}},
			{`NEAR("x" "y")`, nil},
			{`'; DROP TABLE incidents; --`, nil},
			{"at", []int64{b.ID, a.ID}}, // in list order
			{"forest vartius", []int64{a.ID}},
		}
		run := func() {
			for _, c := range cases {
				for _, kind := range []string{"", "pushback"} { // with a tag, the query is driven by the tag index
					list, _, err := s.ListIncidents(ctx, IncidentFilter{Query: c.q, Kind: kind}, domain.Page{})
					mustOK(t, err)
					var ids []int64
					for _, in := range list {
						ids = append(ids, in.ID)
					}
					same(t, "search "+c.q+" kind "+kind, ids, c.want)
				}
			}
		}
		run()
		if s.Dialect() == "sqlite" {
			s.d = sqliteDialect{alwaysWalk: true}
			run()
			s.d = sqliteDialect{}
		}
		a.Summary = "Nothing."
		mustOK(t, s.UpdateIncident(ctx, a))
		list, _, err := s.ListIncidents(ctx, IncidentFilter{Query: "handcuffed"}, domain.Page{})
		mustOK(t, err)
		if len(list) != 0 {
			t.Fatal("the search index kept an old summary")
		}
		checkTextIndex(t, s)
	})
}
