package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"vigil/internal/domain"
)

func TestTestimonyCRUD(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		te := newTestimony("2023-11-24", "We walked for two days.")
		te.PublicQuotes = "We walked."
		te.Consent = domain.Consent{Store: true, QuotePublicly: true, ShareWithPartners: true, LegalAction: true}
		mustOK(t, s.CreateTestimony(ctx, te))
		checkCreated(t, te.Meta)
		got, err := s.GetTestimony(ctx, te.ID)
		mustOK(t, err)
		same(t, "get", got, *te)

		before := te.Meta
		te.Narrative, te.Interpreter, te.Consent.LegalAction, te.UpdatedBy = "We walked for three days.", false, false, 9
		mustOK(t, s.UpdateTestimony(ctx, te))
		checkUpdated(t, before, te.Meta)
		if te.UpdatedBy != 9 || te.CreatedBy != 7 {
			t.Fatalf("who: %+v", te.Meta)
		}
		got, _ = s.GetTestimony(ctx, te.ID)
		same(t, "after update", got, *te)

		stale := *te
		stale.Version = 1
		stale.Narrative = "overwrite"
		wantCode(t, s.UpdateTestimony(ctx, &stale), domain.EConflict)
		got, _ = s.GetTestimony(ctx, te.ID)
		same(t, "after a refused update", got, *te)
		stale.ID = 123456
		wantCode(t, s.UpdateTestimony(ctx, &stale), domain.ENotFound)
		for _, id := range []int64{0, -1, 123456} {
			_, err := s.GetTestimony(ctx, id)
			wantCode(t, err, domain.ENotFound)
			if !strings.Contains(domain.ErrorMessage(err), "testimony") {
				t.Fatalf("message %q", domain.ErrorMessage(err))
			}
		}

		// An undated testimony is stored, reads back undated, and lists last.
		undated := newTestimony("2023-01-01", "no date")
		undated.ReceivedOn = domain.Date{}
		mustOK(t, s.CreateTestimony(ctx, undated))
		got, _ = s.GetTestimony(ctx, undated.ID)
		same(t, "undated", got, *undated)
		list, _, err := s.ListTestimonies(ctx, TestimonyFilter{}, domain.Page{})
		mustOK(t, err)
		if len(list) != 2 || list[1].ID != undated.ID {
			t.Fatalf("undated is not last: %+v", list)
		}
	})
}

// TestTestimonyOddValues stores values validation would refuse: the store
// must keep or refuse them cleanly, never fail on reading them back.
func TestTestimonyOddValues(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		for _, narrative := range []string{"", strings.Repeat("long ", 50_000), "emoji 🙂 and RTL \u202e text", "quote ' and \" and \\ and ?"} {
			te := newTestimony("2023-11-24", narrative)
			te.Mode, te.Narrator.Nationality = "", "not a country"
			mustOK(t, s.CreateTestimony(ctx, te))
			got, err := s.GetTestimony(ctx, te.ID)
			mustOK(t, err)
			same(t, "odd narrative", got.Narrative, narrative)
		}
		bad := newTestimony("2023-11-24", "nul \x00 byte")
		err := s.CreateTestimony(ctx, bad)
		if err != nil {
			// PostgreSQL refuses NUL in text; it must say so as a user error.
			wantCode(t, err, domain.EInvalid)
		}
		bad = newTestimony("2023-11-24", "x")
		bad.ReceivedOn = domain.Date{Year: 12345, Month: 1, Day: 1}
		wantCode(t, s.CreateTestimony(ctx, bad), domain.EInvalid)
	})
}

func TestListTestimonies(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		// 30 testimonies over 10 days, three per day (ties on the date),
		// recorded by users 1–3, alternating modes and nationalities.
		var all []*domain.Testimony
		for i := range 30 {
			te := newTestimony(fmt.Sprintf("2023-11-%02d", 10+i/3), fmt.Sprintf("testimony number %d", i))
			te.RecordedBy = int64(1 + i%3)
			te.Mode = []string{"in_person", "phone"}[i%2]
			te.Narrator.Nationality = []string{"SY", "SO", "YE", "IQ", "TR"}[i%5]
			mustOK(t, s.CreateTestimony(ctx, te))
			all = append(all, te)
		}
		// Expected order: received_on DESC, id DESC.
		sorted := slices.Clone(all)
		slices.SortFunc(sorted, func(a, b *domain.Testimony) int {
			if c := strings.Compare(b.ReceivedOn.String(), a.ReceivedOn.String()); c != 0 {
				return c
			}
			return int(b.ID - a.ID)
		})
		expect := func(keep func(*domain.Testimony) bool) []int64 {
			var ids []int64
			for _, te := range sorted {
				if keep(te) {
					ids = append(ids, te.ID)
				}
			}
			return ids
		}
		cases := []struct {
			name string
			f    TestimonyFilter
			keep func(*domain.Testimony) bool
		}{
			{"all", TestimonyFilter{}, func(*domain.Testimony) bool { return true }},
			{"recorded by", TestimonyFilter{RecordedBy: 2}, func(te *domain.Testimony) bool { return te.RecordedBy == 2 }},
			{"mode", TestimonyFilter{Mode: "phone"}, func(te *domain.Testimony) bool { return te.Mode == "phone" }},
			{"nationality", TestimonyFilter{Nationality: "YE"}, func(te *domain.Testimony) bool { return te.Narrator.Nationality == "YE" }},
			{"from", TestimonyFilter{ReceivedFrom: domain.MustDate("2023-11-15")}, func(te *domain.Testimony) bool {
				return te.ReceivedOn.String() >= "2023-11-15"
			}},
			{"to", TestimonyFilter{ReceivedTo: domain.MustDate("2023-11-12")}, func(te *domain.Testimony) bool {
				return te.ReceivedOn.String() <= "2023-11-12"
			}},
			{"ids", TestimonyFilter{IDs: []int64{all[3].ID, all[7].ID, all[8].ID, 99999}}, func(te *domain.Testimony) bool {
				return te == all[3] || te == all[7] || te == all[8]
			}},
			{"no ids", TestimonyFilter{IDs: []int64{}}, func(*domain.Testimony) bool { return false }},
			{"combined", TestimonyFilter{RecordedBy: 1, Mode: "in_person", ReceivedFrom: domain.MustDate("2023-11-12"), ReceivedTo: domain.MustDate("2023-11-17")},
				func(te *domain.Testimony) bool {
					d := te.ReceivedOn.String()
					return te.RecordedBy == 1 && te.Mode == "in_person" && d >= "2023-11-12" && d <= "2023-11-17"
				}},
			{"text", TestimonyFilter{Query: "number 17"}, func(te *domain.Testimony) bool { return te == all[17] }},
		}
		for _, c := range cases {
			for _, limit := range []int{1, 4, 7, 200} {
				got := pageThrough(t, limit, func(p domain.Page) ([]domain.Testimony, string, error) {
					return s.ListTestimonies(ctx, c.f, p)
				}, func(te domain.Testimony) int64 { return te.ID })
				same(t, fmt.Sprintf("%s, pages of %d", c.name, limit), got, expect(c.keep))
			}
		}

		// The default page size applies when none is given.
		page, next, err := s.ListTestimonies(ctx, TestimonyFilter{}, domain.Page{Limit: 0})
		mustOK(t, err)
		if len(page) != 30 || next != "" {
			t.Fatalf("default page: %d items, next %q", len(page), next)
		}
		_, _, err = s.ListTestimonies(ctx, TestimonyFilter{}, domain.Page{Cursor: "not a cursor"})
		wantCode(t, err, domain.EInvalid)
	})
}

func TestTestimonySearch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		texts := map[string]*domain.Testimony{}
		add := func(key, narrative, pseudonym, quotes string) {
			te := newTestimony("2023-12-01", narrative)
			te.Narrator.Pseudonym, te.PublicQuotes = pseudonym, quotes
			mustOK(t, s.CreateTestimony(ctx, te))
			texts[key] = te
		}
		add("en", "The guards handcuffed us and drove us back to the border.", "Omar", "")
		add("ar", "قال الحرس إن الحدود مغلقة وأعادونا إلى الغابة", "Layla", "")
		add("ru", "Пограничники сказали, что граница закрыта.", "Ivan", "")
		add("quote", "Nothing to add.", "Hodan", "They took our phones at night")
		add("pseudonym", "Short account.", "Zainab", "")
		add("hostile", `He wrote "NEAR(" and '; DROP TABLE testimonies; -- on the wall`, "Musa", "")

		search := func(q string) []string {
			t.Helper()
			list, _, err := s.ListTestimonies(ctx, TestimonyFilter{Query: q}, domain.Page{})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			var keys []string
			for _, te := range list {
				for k, v := range texts {
					if v.ID == te.ID {
						keys = append(keys, k)
					}
				}
			}
			slices.Sort(keys)
			return keys
		}
		cases := []struct {
			q    string
			want []string
		}{
			{"handcuffed", []string{"en"}},
			{"HANDCUFFED", []string{"en"}},
			{"handcuff", nil}, // whole words only
			{"guards border", []string{"en"}},
			{"guards Ivan", nil}, // every word must match the same record
			{"الحدود", []string{"ar"}},
			{"граница", []string{"ru"}},
			{"Граница", []string{"ru"}},
			{"phones", []string{"quote"}},
			{"zainab", []string{"pseudonym"}},
			{`"`, nil},
			{`*`, nil},
			{`OR`, nil},
			{`NEAR(`, []string{"hostile"}},
			{`handcuffed OR guards`, nil},
			{`"handcuffed`, []string{"en"}},
			{`'; DROP TABLE testimonies; --`, []string{"hostile"}},
			{`a" OR "b`, nil},
			{`col:handcuffed`, nil},
			{`^handcuffed`, []string{"en"}},
			{`-handcuffed`, []string{"en"}},
			{`(handcuffed)`, []string{"en"}},
			{`handcuffed:*`, []string{"en"}},
			{`!handcuffed & | <->`, []string{"en"}},
			{strings.Repeat("(", 500), nil},
		}
		for _, c := range cases {
			same(t, "search "+c.q, search(c.q), c.want)
		}
		if s.Dialect() == "sqlite" {
			// The plan for words in most records must give the same answers.
			s.d = sqliteDialect{alwaysWalk: true}
			for _, c := range cases {
				same(t, "walking search "+c.q, search(c.q), c.want)
			}
			s.d = sqliteDialect{}
		}
		// The table survived the hostile queries.
		list, _, err := s.ListTestimonies(ctx, TestimonyFilter{}, domain.Page{})
		mustOK(t, err)
		if len(list) != len(texts) {
			t.Fatalf("%d testimonies left, want %d", len(list), len(texts))
		}

		// The index follows updates.
		en := texts["en"]
		en.Narrative = "They were beaten."
		mustOK(t, s.UpdateTestimony(ctx, en))
		same(t, "old word after update", search("handcuffed"), []string(nil))
		same(t, "new word after update", search("beaten"), []string{"en"})
		en.Narrator.Pseudonym = "Yusuf"
		mustOK(t, s.UpdateTestimony(ctx, en))
		same(t, "pseudonym after update", search("yusuf"), []string{"en"})
		same(t, "text kept after a pseudonym update", search("beaten"), []string{"en"})
		checkTextIndex(t, s)
	})
}
