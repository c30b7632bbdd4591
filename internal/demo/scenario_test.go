package demo

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/domain"
)

func mustScenario(t *testing.T) Dataset {
	t.Helper()
	d, err := Scenario()
	if err != nil {
		t.Fatalf("Scenario: %v", err)
	}
	return d
}

// TestScenarioValid runs the domain's Normalize and Validate on every record
// a second time, independently of Scenario's own check.
func TestScenarioValid(t *testing.T) {
	d := mustScenario(t)
	check := func(kind string, i int, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s %d: %v", kind, i, err)
		}
	}
	for i := range d.Users {
		d.Users[i].User.Normalize()
		check("user", i, d.Users[i].User.Validate())
	}
	for i := range d.CrossingPoints {
		d.CrossingPoints[i].Normalize()
		check("crossing point", i, d.CrossingPoints[i].Validate())
	}
	for i := range d.PolicyEvents {
		d.PolicyEvents[i].Normalize()
		check("policy event", i, d.PolicyEvents[i].Validate())
	}
	for i := range d.Figures {
		d.Figures[i].Normalize()
		check("figure", i, d.Figures[i].Validate())
	}
	for i := range d.Testimonies {
		d.Testimonies[i].Normalize()
		check("testimony", i, d.Testimonies[i].Validate())
	}
	for i := range d.Incidents {
		d.Incidents[i].Normalize()
		check("incident", i, d.Incidents[i].Validate())
	}
	for i := range d.Cases {
		d.Cases[i].Normalize()
		check("case", i, d.Cases[i].Validate())
	}
	for i, l := range d.Links {
		dl := domain.Link{TestimonyID: int64(l.Testimony) + 1, IncidentID: int64(l.Incident) + 1, Relation: l.Relation, Note: l.Note}
		check("link", i, dl.Validate())
	}
}

func TestScenarioUsers(t *testing.T) {
	d := mustScenario(t)
	want := []string{"admin", "coordinator", "monitor", "legal_aid", "analyst"}
	if len(d.Users) != len(want) {
		t.Fatalf("got %d users, want %d", len(d.Users), len(want))
	}
	for i, u := range d.Users {
		if u.User.Username != want[i] || u.User.Role != want[i] {
			t.Errorf("user %d = %s/%s, want %s", i, u.User.Username, u.User.Role, want[i])
		}
		if u.User.PasswordHash != "" {
			t.Errorf("user %s ships a password hash", u.User.Username)
		}
		if !strings.HasPrefix(u.User.DisplayName, "Demo ") {
			t.Errorf("user %s display name %q", u.User.Username, u.User.DisplayName)
		}
	}
}

func TestCrossingPoints(t *testing.T) {
	d := mustScenario(t)
	if len(d.CrossingPoints) != 10 {
		t.Fatalf("got %d crossing points, want 10", len(d.CrossingPoints))
	}
	by := map[string]domain.CrossingPoint{}
	for _, c := range d.CrossingPoints {
		by[c.Code] = c
	}
	v := by["vartius"]
	if v.Lat == nil || v.Lon == nil || *v.Lat != 64.545 || *v.Lon != 29.9848 {
		t.Errorf("vartius position = %v,%v", v.Lat, v.Lon)
	}
	if p := by["parikkala"]; p.Lat != nil || p.Lon != nil || p.AccuracyKM != nil {
		t.Errorf("parikkala should have no position, got %v,%v±%v", p.Lat, p.Lon, p.AccuracyKM)
	}
	modes := map[string]string{"vainikkala": "rail", "niirala": "road_rail", "vartius": "road_rail", "imatra": "road", "vaalimaa": "road", "raja-jooseppi": "road"}
	for code, m := range modes {
		if by[code].Mode != m {
			t.Errorf("%s mode = %q, want %q", code, by[code].Mode, m)
		}
	}
	if c := by["vaalimaa"]; c.NameRU != "Торфяновка" || c.Counterpart != "Torfyanovka" || c.Country != "FI" || c.OtherCountry != "RU" || c.Municipality != "Virolahti" {
		t.Errorf("vaalimaa = %+v", c)
	}
	for _, code := range RoadCrossingPoints {
		if _, ok := by[code]; !ok {
			t.Errorf("road crossing %q missing", code)
		}
	}
}

func TestCrossingStatus(t *testing.T) {
	d := mustScenario(t)
	cases := []struct {
		code, day, want string
	}{
		{"raja-jooseppi", "2023-11-25", "open"},
		{"raja-jooseppi", "2023-11-29", "open"},
		{"raja-jooseppi", "2023-11-30", "closed"},
		{"vaalimaa", "2023-11-17", "open"},
		{"vaalimaa", "2023-11-18", "closed"},
		{"vaalimaa", "2023-12-13", "closed"},
		{"vaalimaa", "2023-12-14", "open"},
		{"vaalimaa", "2023-12-15", "closed"}, // shut at 20:00, status is at the end of the day
		{"vaalimaa", "2023-12-16", "closed"},
		{"niirala", "2023-11-17", "closed"},
		{"vartius", "2023-11-23", "open"},
		{"vartius", "2023-11-24", "closed"},
		{"vainikkala", "2023-11-30", "restricted"},
		{"parikkala", "2023-01-01", "closed"},
		{"salla", "2024-12-31", "closed"},
	}
	for _, c := range cases {
		got := domain.StatusOn(c.code, domain.MustDate(c.day), d.PolicyEvents).Status
		if got != c.want {
			t.Errorf("%s on %s = %s, want %s", c.code, c.day, got, c.want)
		}
	}
}

func TestPolicyEventsFromTable(t *testing.T) {
	d := mustScenario(t)
	rows := countRows(t, "closure_timeline.csv")
	// One event per row, plus the article's claim about 24 November.
	if len(d.PolicyEvents) != rows+1 {
		t.Fatalf("%d policy events for %d rows and one claim", len(d.PolicyEvents), rows)
	}
	var sawTime, sawMonth, sawLaw bool
	for _, e := range d.PolicyEvents {
		// The article's address is not in the shared data, so the claim
		// names its publisher only.
		if e.Source.Publisher == "" || (e.Source.URL == "" && e.Kind != "claim") {
			t.Errorf("event %s lacks a source", e.When.Text())
		}
		if !e.Source.RetrievedOn.IsZero() {
			t.Errorf("event %s has a retrieval date the tables do not give", e.When.Text())
		}
		if e.When.From == domain.MustDate("2023-11-17") && e.Time == "20:00" {
			sawTime = true
		}
		if e.When.Precision == "month" && e.When.Text() == "2022-04" {
			sawMonth = true
		}
		if e.Kind == "law" && len(e.CrossingPoints) == 0 {
			sawLaw = true
		}
		if e.When.From == domain.MustDate("2024-01-11") && len(e.CrossingPoints) != 8 {
			t.Errorf("'all road' resolved to %v", e.CrossingPoints)
		}
	}
	if !sawTime || !sawMonth || !sawLaw {
		t.Errorf("time %v, month precision %v, law without points %v", sawTime, sawMonth, sawLaw)
	}
}

// TestOwnWords guards against copying: no detail may contain the CSV's own
// detail sentence, and no prose may repeat a long run of the scenario text.
func TestOwnWords(t *testing.T) {
	d := mustScenario(t)
	for _, e := range d.PolicyEvents {
		for _, r := range readRows(t, "closure_timeline.csv") {
			if strings.Contains(e.Detail, r["detail"]) {
				t.Errorf("detail copies the table: %q", r["detail"])
			}
		}
	}
	var prose []string
	for _, x := range d.Testimonies {
		prose = append(prose, x.Narrative)
	}
	for _, x := range d.Incidents {
		prose = append(prose, x.Summary, x.PublicSummary, x.Verification.Reason)
	}
	for _, x := range d.Figures {
		prose = append(prose, x.Note)
	}
	for _, r := range readRows(t, "official_figures.csv") {
		if len(r["note"]) < 30 {
			continue
		}
		for _, p := range prose {
			if strings.Contains(p, r["note"]) {
				t.Errorf("prose copies a table note: %q", r["note"])
			}
		}
	}
}

func TestFigures(t *testing.T) {
	d := mustScenario(t)
	if rows := countRows(t, "official_figures.csv"); len(d.Figures) <= rows {
		t.Fatalf("%d figures for %d rows; every row plus the breakdowns expected", len(d.Figures), rows)
	}
	var natSum, total int64
	nat := map[string]int64{}
	for _, f := range d.Figures {
		if f.Source.Publisher != "Migrant Tales (blog)" || f.Measure != "asylum_seekers" {
			continue
		}
		switch f.Breakdown {
		case "nationality":
			natSum += f.Value
			nat[f.BreakdownValue] = f.Value
			if f.PeriodFrom != domain.MustDate("2023-08-01") || f.PeriodTo != domain.MustDate("2024-01-29") {
				t.Errorf("nationality figure period %s..%s", f.PeriodFrom, f.PeriodTo)
			}
			if f.Producer != "Not stated (the article cites official figures)" {
				t.Errorf("producer %q", f.Producer)
			}
			if !strings.Contains(f.Note, "200 Russian") {
				t.Errorf("note does not mention the excluded Russians: %q", f.Note)
			}
		case "total":
			total = f.Value
		}
	}
	if natSum != 1028 || total != 1271 {
		t.Errorf("nationalities sum to %d (want 1028), total %d (want 1271)", natSum, total)
	}
	if nat["SY"] != 491 || nat["SO"] != 360 || nat["YE"] != 120 || nat["IQ"] != 57 {
		t.Errorf("nationality figures %v", nat)
	}
}

// TestFigureGroups checks that the competing totals of the wave land in one
// group, side by side, and that the other series group as intended.
func TestFigureGroups(t *testing.T) {
	d := mustScenario(t)
	groups := domain.GroupFigures(d.Figures)
	find := func(measure, breakdown, value, from string) *domain.FigureGroup {
		for i := range groups {
			g := &groups[i]
			if g.Measure == measure && g.Breakdown == breakdown && g.BreakdownValue == value && g.PeriodFrom.String() == from {
				return g
			}
		}
		return nil
	}
	wave := find("asylum_seekers", "total", "", WaveStart)
	if wave == nil {
		t.Fatal("no group for the wave totals")
	}
	have := map[int64]bool{}
	for _, f := range wave.Figures {
		have[f.Value] = true
	}
	for _, v := range []int64{233, 911, 1271, 1300, 1338, 1323, 1282} {
		if !have[v] {
			t.Errorf("wave group lacks %d", v)
		}
	}
	if !wave.Disagree() {
		t.Error("wave totals should disagree")
	}
	for i := 1; i < len(wave.Figures); i++ {
		if wave.Figures[i].PeriodTo.Before(wave.Figures[i-1].PeriodTo) {
			t.Error("wave group not ordered by cut-off")
		}
	}
	sy := find("asylum_seekers", "nationality", "SY", WaveStart)
	if sy == nil || len(sy.Figures) != 2 {
		t.Fatalf("Syrian totals should pair Migrant Tales and Migri: %+v", sy)
	}
	nov := find("arrivals", "total", "", "2023-11-01")
	if nov == nil || len(nov.Figures) != 2 {
		t.Errorf("November arrivals should have two sources: %+v", nov)
	}
	for _, m := range []string{"decisions", "positive_decisions", "pending", "missing"} {
		if g := find(m, "total", "", WaveStart); g == nil || len(g.Figures) < 2 {
			t.Errorf("%s should have several cut-offs side by side", m)
		}
	}
	if find("asylum_seekers", "total", "", "2023-01-01") == nil {
		t.Error("the whole-2023 count from Yle is missing")
	}
}

func TestFigureApproximations(t *testing.T) {
	d := mustScenario(t)
	want := map[string]string{ // value|measure -> approximation
		"900|arrivals":        "over",
		"300|arrivals":        "about",
		"1300|asylum_seekers": "under",
		"500|asylum_seekers":  "under",
		"500|decisions":       "about",
		"71|arrivals":         "over",
		"1323|asylum_seekers": "exact",
	}
	for _, f := range d.Figures {
		k := strconv.FormatInt(f.Value, 10) + "|" + f.Measure
		if w, ok := want[k]; ok && f.Breakdown != "nationality" && f.Approximation != w {
			t.Errorf("%s approximation = %s, want %s", k, f.Approximation, w)
		}
	}
}

func TestSplitSourceOrg(t *testing.T) {
	cases := []struct{ org, url, producer, publisher string }{
		{"Finnish Border Guard via EUobserver", "https://euobserver.com/x", "Finnish Border Guard", "EUobserver"},
		{"HS via pledgetimes", "https://pledgetimes.com/x", "Helsingin Sanomat (HS)", "Pledge Times"},
		{"Finnish Border Guard via Ilta-Sanomat", "https://www.verkkouutiset.fi/a/x", "Finnish Border Guard", "Verkkouutiset (citing Ilta-Sanomat)"},
		{"Yle", "https://yle.fi/a/1", "Not stated (reported by Yle)", "Yle"},
		{"Migri (Juho Repo) via Daily Northern", "https://www.dailynorthern.com/1", "Finnish Immigration Service (Migri)", "Daily Northern"},
		{"Southeast Finland Border Guard via HS", "https://pledgetimes.com/x", "Southeast Finland Border Guard District", "Pledge Times (citing HS)"},
	}
	for _, c := range cases {
		p, pub, err := splitSourceOrg(c.org, c.url)
		if err != nil || p != c.producer || pub != c.publisher {
			t.Errorf("splitSourceOrg(%q) = %q, %q, %v; want %q, %q", c.org, p, pub, err, c.producer, c.publisher)
		}
	}
}

func TestTestimonies(t *testing.T) {
	d := mustScenario(t)
	if len(d.Testimonies) != 2 {
		t.Fatalf("got %d testimonies", len(d.Testimonies))
	}
	for _, x := range d.Testimonies {
		n := len(strings.Fields(x.Narrative))
		if n < 150 || n > 300 {
			t.Errorf("%s narrative has %d words, want 150–300", x.Narrator.Pseudonym, n)
		}
		c := x.Consent
		if !c.Store || c.QuotePublicly || c.ShareWithPartners || c.LegalAction {
			t.Errorf("%s consent %+v", x.Narrator.Pseudonym, c)
		}
		if x.Mode != "published_account" || x.Language != "" || x.Reliability != "unsure" || x.PublicQuotes != "" {
			t.Errorf("%s: mode %q language %q reliability %q", x.Narrator.Pseudonym, x.Mode, x.Language, x.Reliability)
		}
		if x.Narrator.Nationality != "SY" || x.Narrator.Gender != "man" || x.Narrator.AgeBand != domain.Unknown {
			t.Errorf("%s narrator %+v", x.Narrator.Pseudonym, x.Narrator)
		}
		if x.ReceivedOn != domain.MustDate("2024-02-01") {
			t.Errorf("%s received on %s", x.Narrator.Pseudonym, x.ReceivedOn)
		}
	}
	if !strings.Contains(d.Testimonies[tKhalid].Narrative, "Khaled") {
		t.Error("Khalid's narrative should mention the other spelling")
	}
}

func TestIncidentsAndVerification(t *testing.T) {
	d := mustScenario(t)
	if len(d.Incidents) != 6 {
		t.Fatalf("got %d incidents, want 6", len(d.Incidents))
	}
	hearsay := 0
	for i, in := range d.Incidents {
		src := d.SourcesOf(i)
		if len(src) == 0 {
			t.Errorf("incident %d (%s) has no link", i, in.Title)
			continue
		}
		status, reason := domain.ProposeVerification(src)
		if in.Verification.Status != "unverified" || status != "unverified" {
			t.Errorf("incident %d: stored %s, proposed %s", i, in.Verification.Status, status)
		}
		if in.Verification.Reason == "" || in.Published {
			t.Errorf("incident %d: reason %q published %v", i, in.Verification.Reason, in.Published)
		}
		if reason == "only hearsay" {
			hearsay++
			if !strings.HasPrefix(in.Verification.Reason, "Only hearsay") {
				t.Errorf("incident %d reason %q does not say hearsay", i, in.Verification.Reason)
			}
		}
	}
	if hearsay != 2 {
		t.Errorf("%d hearsay-only incidents, want 2", hearsay)
	}
	for _, i := range []int{iSonReturned, iTwentySyrians} {
		if _, r := domain.ProposeVerification(d.SourcesOf(i)); r != "only hearsay" {
			t.Errorf("incident %d proposes %q, want only hearsay", i, r)
		}
	}
	lv := d.Incidents[iLatviaProds]
	if lv.PushedFrom[0] != "LV" || lv.PushedTo[0] != "BY" || lv.Perpetrator != "lv_border_guard" || lv.ViolenceTypes[0] != "electric_discharge" {
		t.Errorf("Latvia incident %+v", lv)
	}
	fence := d.Incidents[iFence]
	if strings.Join(fence.Kinds, ",") != "violence,injury" || strings.Join(fence.ViolenceTypes, ",") != "punching,forced_restraint" {
		t.Errorf("fence incident kinds %v violence %v", fence.Kinds, fence.ViolenceTypes)
	}
	// Khalid's crossing point is a guess: the precision must not claim more.
	if th := d.Incidents[iThreat]; th.CrossingPoint != "vaalimaa" || th.PlacePrecision == "crossing_point" || th.PlacePrecision == "exact" {
		t.Errorf("threat place %q precision %q", th.CrossingPoint, th.PlacePrecision)
	}
	for _, in := range d.Incidents {
		for _, name := range []string{"Amir", "Khalid", "Vyborg"} {
			if strings.Contains(in.PublicSummary, name) {
				t.Errorf("public summary of %q names %s", in.Title, name)
			}
		}
	}
}

func TestCasesWaitCensored(t *testing.T) {
	d := mustScenario(t)
	if len(d.Cases) != 2 {
		t.Fatalf("got %d cases", len(d.Cases))
	}
	for _, c := range d.Cases {
		w, ok := c.InterviewWait(ScenarioAsOf)
		if !ok || !w.Censored || w.Days <= 0 {
			t.Errorf("%s wait %+v ok=%v", c.Person.Pseudonym, w, ok)
		}
		if c.Person.Identity != (domain.Identity{}) {
			t.Errorf("%s carries identity data", c.Person.Pseudonym)
		}
		if !strings.Contains(c.Notes, "estimate") {
			t.Errorf("%s notes do not say the day is an estimate", c.Person.Pseudonym)
		}
	}
	if a := d.Cases[0]; a.ReceptionAllowance == nil || *a.ReceptionAllowance != 300 {
		t.Error("Amir's allowance should be 300 euros a month")
	}
	if k := d.Cases[1]; k.CrossingPoint != "vaalimaa" || !strings.Contains(k.Notes, "uncertain") {
		t.Errorf("Khalid's case crossing %q notes %q", k.CrossingPoint, k.Notes)
	}
}

func TestNotes(t *testing.T) {
	d := mustScenario(t)
	var found bool
	for _, n := range d.Notes {
		if strings.Contains(n, "24 November") && strings.Contains(n, "Raja-Jooseppi") && strings.Contains(n, "Migrant Tales") &&
			strings.Contains(n, "https://tulli.fi/") {
			found = true
		}
	}
	if !found {
		t.Error("the 24 November disagreement note with its sources is missing")
	}
	// The article's claim is kept as a claim, which changes no status:
	// Raja-Jooseppi stays open until 30 November.
	claims := 0
	for _, e := range d.PolicyEvents {
		if e.When.From == domain.MustDate("2023-11-24") && contains(e.CrossingPoints, "raja-jooseppi") {
			if e.Kind != "claim" || !strings.Contains(e.Detail, "disagrees") {
				t.Errorf("the article's 24 November claim is stored as %q: %+v", e.Kind, e)
			}
			claims++
		}
	}
	if claims != 1 {
		t.Errorf("%d claim events for 24 November, want 1", claims)
	}
	for day, want := range map[string]string{"2023-11-24": "open", "2023-11-29": "open", "2023-11-30": "closed"} {
		if got := domain.StatusOn("raja-jooseppi", domain.MustDate(day), d.PolicyEvents).Status; got != want {
			t.Errorf("raja-jooseppi on %s: %s, want %s", day, got, want)
		}
	}
}

// TestLooseColumnRepair covers the one row of official_figures.csv whose
// source_org holds unquoted commas: it must come back whole, with an empty URL.
func TestLooseColumnRepair(t *testing.T) {
	for _, r := range readRows(t, "official_figures.csv") {
		if r["value"] != "1271" {
			continue
		}
		if !strings.HasSuffix(r["source_org"], "Yemen 120, Iraq 57)") || r["source_url"] != "" || !strings.HasPrefix(r["note"], "excludes some 200") {
			t.Errorf("row not repaired: %q", r)
		}
		return
	}
	t.Error("1271 row not found")
}

func TestDataEmbedded(t *testing.T) {
	for _, name := range []string{"SOURCE.md", "crossing_points.csv", "crossing_points.geojson", "closure_timeline.csv", "official_figures.csv"} {
		b, err := fs.ReadFile(Data(), name)
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func readRows(t *testing.T, name string) []row {
	t.Helper()
	rows, err := readCSV(name, "source_org")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func countRows(t *testing.T, name string) int { return len(readRows(t, name)) }
