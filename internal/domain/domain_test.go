package domain

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"2023-11-24", "2023-11-24", false},
		{" 2024-02-29 ", "2024-02-29", false},
		{"", "", false},
		{"2023-02-29", "", true},
		{"2023-13-01", "", true},
		{"24.11.2023", "", true},
		{"2023-11-24T10:00", "", true},
	} {
		d, err := ParseDate(tc.in)
		if (err != nil) != tc.wantErr || d.String() != tc.want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q, err=%v", tc.in, d, err, tc.want, tc.wantErr)
		}
	}
}

func TestFuzzyFromText(t *testing.T) {
	for _, tc := range []struct {
		in, prec          string
		from, to, gotPrec string
		wantErr           bool
	}{
		{"2023-11-24", "", "2023-11-24", "2023-11-24", "day", false},
		{"2023-11", "", "2023-11-01", "2023-11-30", "month", false},
		{"2024-02", "", "2024-02-01", "2024-02-29", "month", false},
		{"2023", "", "2023-01-01", "2023-12-31", "year", false},
		{"2023-09-01..2023-11-30", "", "2023-09-01", "2023-11-30", "estimate", false},
		{"2023-11", "estimate", "2023-11-01", "2023-11-30", "estimate", false},
		{"", "", "", "", "unknown", false},
		{"2023-11-31", "", "", "", "", true},
		{"23", "", "", "", "", true},
		{"2023-11-01..x", "", "", "", "", true},
		{"..", "", "", "", "", true},
		{"2023-11-01..", "", "", "", "", true},
	} {
		f, err := FuzzyFromText(tc.in, tc.prec)
		if (err != nil) != tc.wantErr {
			t.Errorf("FuzzyFromText(%q) err = %v", tc.in, err)
			continue
		}
		if err != nil {
			continue
		}
		if f.From.String() != tc.from || f.To.String() != tc.to || f.Precision != tc.gotPrec {
			t.Errorf("FuzzyFromText(%q) = %v..%v %s; want %s..%s %s", tc.in, f.From, f.To, f.Precision, tc.from, tc.to, tc.gotPrec)
		}
		if back, _ := FuzzyFromText(f.Text(), f.Precision); back != f {
			t.Errorf("Text() of %q = %q does not read back the same", tc.in, f.Text())
		}
	}
}

func TestFuzzyValidate(t *testing.T) {
	var p Problems
	FuzzyDate{From: MustDate("2023-12-01"), To: MustDate("2023-11-01"), Precision: "estimate"}.Validate(&p, "when", true)
	FuzzyDate{From: MustDate("1800-01-01"), To: MustDate("1800-01-01"), Precision: "day"}.Validate(&p, "when2", true)
	FuzzyDate{Precision: "sometime"}.Validate(&p, "when3", false)
	FuzzyDate{Precision: "unknown"}.Validate(&p, "when4", true)
	err := p.Err()
	got := map[string]bool{}
	for _, f := range ErrorFields(err) {
		got[f.Field] = true
	}
	for _, f := range []string{"when", "when2", "when3", "when4"} {
		if !got[f] {
			t.Errorf("no problem reported for %s: %v", f, err)
		}
	}
}

func TestDateJSON(t *testing.T) {
	var v struct{ D Date }
	if err := json.Unmarshal([]byte(`{"D":"2023-11-30"}`), &v); err != nil || v.D.String() != "2023-11-30" {
		t.Fatalf("unmarshal: %v %v", v.D, err)
	}
	// A bad date decodes to an invalid marker that validation reports
	// under the field's name, with the record's other problems.
	for _, raw := range []string{`"2023-11-31"`, `"soon"`, `20231130`} {
		if err := json.Unmarshal([]byte(`{"D":`+raw+`}`), &v); err != nil || !v.D.Invalid() {
			t.Fatalf("%s decoded to %+v, %v", raw, v.D, err)
		}
		var p Problems
		checkPlausible(&p, "d", v.D)
		if p.Err() == nil {
			t.Fatalf("%s passed validation", raw)
		}
	}
	b, _ := json.Marshal(struct{ D Date }{})
	if string(b) != `{"D":null}` {
		t.Fatalf("zero date marshals as %s", b)
	}
}

func TestCountries(t *testing.T) {
	for in, want := range map[string]string{"SY": "SY", "sy": "SY", "SYR": "SY", "760": "SY", "FI": "FI"} {
		if got, ok := NormalizeCountry(in); !ok || got != want {
			t.Errorf("NormalizeCountry(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "XX", "ZZ", "EU", "001", "Syria"} {
		if got, ok := NormalizeCountry(bad); ok {
			t.Errorf("NormalizeCountry(%q) accepted as %q", bad, got)
		}
	}
	if n := CountryName("SY", "en"); n != "Syria" {
		t.Errorf("English name of SY = %q", n)
	}
	if n := CountryName("SY", "fi"); n != "Syyria" {
		t.Errorf("Finnish name of SY = %q", n)
	}
	cs := Countries("fi")
	if len(cs) < 240 || len(cs) > 260 {
		t.Errorf("Countries lists %d entries", len(cs))
	}
}

func TestVocabulariesComplete(t *testing.T) {
	names := map[string]bool{}
	for _, v := range AllVocabularies() {
		if names[v.Name] {
			t.Errorf("vocabulary %s listed twice", v.Name)
		}
		names[v.Name] = true
		codes := map[string]bool{}
		for _, term := range v.Terms {
			if term.EN == "" || term.FI == "" {
				t.Errorf("%s.%s lacks a label", v.Name, term.Code)
			}
			if codes[term.Code] || strings.ToLower(term.Code) != term.Code || strings.ContainsAny(term.Code, " -") {
				t.Errorf("%s.%s: duplicate or not snake_case", v.Name, term.Code)
			}
			codes[term.Code] = true
		}
	}
}

func validTestimony() Testimony {
	return Testimony{ReceivedOn: MustDate("2024-02-01"), Narrative: "A short account.", Consent: Consent{Store: true}}
}

func TestTestimonyValidateReportsEveryField(t *testing.T) {
	tm := Testimony{Mode: "carrier_pigeon", Language: "not a tag!", Narrative: "", PublicQuotes: "quote",
		Narrator: Narrator{Nationality: "XX", AgeBand: "old", Pseudonym: strings.Repeat("a", 201)}, Reliability: "sure"}
	tm.Normalize()
	err := tm.Validate()
	if ErrorCode(err) != EInvalid {
		t.Fatalf("err = %v", err)
	}
	got := map[string]bool{}
	for _, f := range ErrorFields(err) {
		got[f.Field] = true
	}
	for _, f := range []string{"received_on", "mode", "language", "narrative", "public_quotes", "consent_store",
		"narrator_nationality", "narrator_age_band", "narrator_pseudonym", "reliability"} {
		if !got[f] {
			t.Errorf("no problem reported for %s", f)
		}
	}
}

func TestTestimonyValidText(t *testing.T) {
	tm := validTestimony()
	tm.Narrative = "  <script>alert(1)</script>\x00 text\x07 "
	tm.Narrator.Nationality = "syr"
	tm.Language = "AR"
	tm.Normalize()
	if err := tm.Validate(); err != nil {
		t.Fatal(err)
	}
	if tm.Narrative != "<script>alert(1)</script> text" || tm.Narrator.Nationality != "SY" || tm.Language != "ar" {
		t.Fatalf("normalized to %q %q %q", tm.Narrative, tm.Narrator.Nationality, tm.Language)
	}
	tm.Narrative = "bad \xff utf8"
	if err := tm.Validate(); err == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
	tm.Narrative = strings.Repeat("x", MaxNarrative+1)
	if err := tm.Validate(); err == nil {
		t.Fatal("oversized narrative accepted")
	}
}

func TestIncidentValidate(t *testing.T) {
	two, one := 2, 1
	in := Incident{Title: "t", Kinds: []string{"pushback", "teleport"}, ViolenceTypes: []string{"kicking", "kicking"},
		PushedFrom: []string{"FI"}, PushedTo: []string{"QQ"}, Group: Group{SizeMin: &two, SizeMax: &one,
			Nationalities: []NationalityCount{{Country: "SY"}, {Country: "SY"}}}, Published: true, CrossingPoint: "Bad Code"}
	in.Normalize()
	err := in.Validate()
	got := map[string]bool{}
	for _, f := range ErrorFields(err) {
		got[f.Field] = true
	}
	for _, f := range []string{"kinds", "violence_types", "pushed_to", "group_size_max", "group_nationalities", "public_summary", "crossing_point"} {
		if !got[f] {
			t.Errorf("no problem reported for %s (%v)", f, err)
		}
	}
	ok := Incident{Title: "Man on the fence", Kinds: []string{"violence", "injury"}}
	ok.Normalize()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.Verification.Status != "unverified" || ok.When.Precision != Unknown {
		t.Fatalf("defaults: %+v", ok)
	}
}

func TestStatusOn(t *testing.T) {
	ev := func(day, tm, kind string, pts ...string) PolicyEvent {
		f, _ := FuzzyFromText(day, "")
		return PolicyEvent{When: f, Time: tm, Kind: kind, CrossingPoints: pts}
	}
	events := []PolicyEvent{
		ev("2023-12-15", "20:00", "closed", "vaalimaa"),
		ev("2023-11-16", "", "decision", "vaalimaa"),
		ev("2023-11-18", "00:00", "closed", "vaalimaa"),
		ev("2023-12-14", "00:00", "reopened", "vaalimaa"),
		ev("2022-04", "", "closed", "parikkala"),
		ev("2024-01-11", "", "extended", "vaalimaa"),
	}
	for _, tc := range []struct{ code, day, want string }{
		{"vaalimaa", "2023-11-17", "open"},
		{"vaalimaa", "2023-11-18", "closed"},
		{"vaalimaa", "2023-12-14", "open"},
		{"vaalimaa", "2023-12-15", "closed"},
		{"vaalimaa", "2024-02-01", "closed"},
		{"parikkala", "2022-03-31", "open"},
		{"parikkala", "2022-04-01", "closed"},
		{"salla", "2023-12-01", "open"},
	} {
		if got := StatusOn(tc.code, MustDate(tc.day), events); got.Status != tc.want {
			t.Errorf("StatusOn(%s, %s) = %s, want %s", tc.code, tc.day, got.Status, tc.want)
		}
	}
	if st := StatusOn("vaalimaa", MustDate("2023-11-20"), events); st.Since == nil || st.Since.Kind != "closed" {
		t.Errorf("Since = %+v", st.Since)
	}
}

func TestGroupFigures(t *testing.T) {
	from := MustDate("2023-08-01")
	fs := []Figure{
		{Measure: "asylum_seekers", Breakdown: "total", PeriodFrom: from, PeriodTo: MustDate("2024-01-31"), Value: 1300},
		{Measure: "asylum_seekers", Breakdown: "total", PeriodFrom: from, PeriodTo: MustDate("2024-01-29"), Value: 1271},
		{Measure: "asylum_seekers", Breakdown: "nationality", BreakdownValue: "SY", PeriodFrom: from, PeriodTo: MustDate("2024-01-29"), Value: 491},
	}
	gs := GroupFigures(fs)
	if len(gs) != 2 || len(gs[0].Figures) != 2 || !gs[0].Disagree() || gs[1].Disagree() {
		t.Fatalf("groups: %+v", gs)
	}
	if gs[0].Figures[0].Value != 1271 {
		t.Errorf("group not ordered by cut-off: %+v", gs[0].Figures)
	}
}

func TestProposeVerification(t *testing.T) {
	for _, tc := range []struct {
		src  []LinkedSource
		want string
	}{
		{nil, "unverified"},
		{[]LinkedSource{{"hearsay", "Amir"}}, "unverified"},
		{[]LinkedSource{{"eyewitness", "Amir"}}, "unverified"},
		{[]LinkedSource{{"eyewitness", "Amir"}, {"victim", "Amir"}}, "unverified"},
		{[]LinkedSource{{"eyewitness", "Amir"}, {"hearsay", "Khalid"}}, "unverified"},
		{[]LinkedSource{{"eyewitness", "Amir"}, {"victim", "Khalid"}}, "corroborated"},
		{[]LinkedSource{{"relative", "A"}, {"other", "B"}}, "unverified"},
	} {
		if got, _ := ProposeVerification(tc.src); got != tc.want {
			t.Errorf("ProposeVerification(%v) = %s, want %s", tc.src, got, tc.want)
		}
	}
}

func TestInterviewWait(t *testing.T) {
	c := AsylumCase{ArrivedOn: MustDate("2023-11-20"), Events: []ProcedureEvent{{On: MustDate("2023-11-21"), Kind: "applied"}}}
	w, ok := c.InterviewWait(MustDate("2024-02-01"))
	if !ok || !w.Censored || w.Days != 73 {
		t.Fatalf("wait = %+v", w)
	}
	// Censored at the last check, not at today, when that is recorded.
	c.StatusKnownOn = MustDate("2024-01-01")
	if w, _ := c.InterviewWait(MustDate("2026-11-26")); !w.Censored || w.To.String() != "2024-01-01" || w.Days != 42 {
		t.Fatalf("wait censored at last check = %+v", w)
	}
	c.StatusKnownOn = Date{}
	c.Events = append(c.Events, ProcedureEvent{On: MustDate("2024-06-01"), Kind: "interviewed"})
	w, _ = c.InterviewWait(MustDate("2024-08-01"))
	if w.Censored || w.Days != 194 {
		t.Fatalf("wait = %+v", w)
	}
	c.Events = append(c.Events, ProcedureEvent{On: MustDate("2023-01-01"), Kind: "registered"})
	if err := c.Validate(); err == nil {
		t.Fatal("event before arrival accepted")
	}
}

func TestPermissions(t *testing.T) {
	for _, tc := range []struct {
		role string
		perm Permission
		want bool
	}{
		{"analyst", PermTestimonyRead, false},
		{"analyst", PermIncidentRead, true},
		{"monitor", PermTestimonyWrite, true},
		{"monitor", PermVerify, false},
		{"coordinator", PermIdentityRead, false},
		{"legal_aid", PermIdentityRead, true},
		{"legal_aid", PermTestimonyRead, false},
		{"admin", PermUserAdmin, true},
		{"nobody", PermSelf, false},
		{"nobody", PermPublic, true},
	} {
		if got := Can(tc.role, tc.perm); got != tc.want {
			t.Errorf("Can(%s, %s) = %v", tc.role, tc.perm, got)
		}
	}
}

func FuzzFuzzyDate(f *testing.F) {
	for _, s := range []string{"2023-11-24", "2023-11", "2023", "2023-01-01..2023-02-01", "", "x..y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := FuzzyFromText(s, "")
		if err != nil {
			return
		}
		back, err := FuzzyFromText(d.Text(), d.Precision)
		if err != nil || back != d {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, d, d.Text(), back, err)
		}
	})
}
