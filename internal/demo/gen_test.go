package demo

import (
	"reflect"
	"strings"
	"testing"

	"vigil/internal/domain"
)

func TestGeneratorDeterministic(t *testing.T) {
	a := NewGenerator(GenConfig{Seed: 42})
	b := NewGenerator(GenConfig{Seed: 42})
	for i := range 500 {
		if x, y := a.NextIncident(), b.NextIncident(); !reflect.DeepEqual(x, y) {
			t.Fatalf("incident %d differs for the same seed:\n%+v\n%+v", i, x, y)
		}
		if x, y := a.NextTestimony(), b.NextTestimony(); !reflect.DeepEqual(x, y) {
			t.Fatalf("testimony %d differs for the same seed", i)
		}
	}
	// The two streams are independent: drawing testimonies does not shift
	// the incidents.
	c := NewGenerator(GenConfig{Seed: 42})
	d := NewGenerator(GenConfig{Seed: 42})
	for range 7 {
		d.NextTestimony()
	}
	for i := range 100 {
		if x, y := c.NextIncident(), d.NextIncident(); !reflect.DeepEqual(x, y) {
			t.Fatalf("incident %d depends on testimony draws", i)
		}
	}
	// Another seed gives another sequence.
	e := NewGenerator(GenConfig{Seed: 43})
	f := NewGenerator(GenConfig{Seed: 42})
	same := 0
	for range 50 {
		if e.NextTestimony().Narrative == f.NextTestimony().Narrative {
			same++
		}
	}
	if same > 5 {
		t.Errorf("seeds 42 and 43 gave %d identical narratives of 50", same)
	}
}

// TestGeneratedRecordsValid checks that generated records pass the domain
// rules and are already in normal form, so a loader can store them as they
// come.
func TestGeneratedRecordsValid(t *testing.T) {
	for _, cfg := range []GenConfig{
		{Seed: 1},
		{Seed: 2, Start: domain.MustDate("2020-01-01"), End: domain.MustDate("2020-03-31"), CrossingPoints: []string{"horgos", "kelebija", "vartius"}},
	} {
		g := NewGenerator(cfg)
		for i := range 2000 {
			in := g.NextIncident()
			norm := in
			norm.Normalize()
			if err := norm.Validate(); err != nil {
				t.Fatalf("seed %d incident %d invalid: %v\n%+v", cfg.Seed, i, err, in)
			}
			if !reflect.DeepEqual(norm, in) {
				t.Fatalf("seed %d incident %d changes when normalised:\n%+v\n%+v", cfg.Seed, i, in, norm)
			}
			if p := in.When.Precision; p == "exact" || p == "day" || p == "estimate" {
				if c := g.Config(); in.When.From.Before(c.Start) || in.When.To.After(c.End) {
					t.Fatalf("incident %d date %s outside the window", i, in.When.Text())
				}
			}
			tm := g.NextTestimony()
			normT := tm
			normT.Normalize()
			if err := normT.Validate(); err != nil {
				t.Fatalf("seed %d testimony %d invalid: %v\n%+v", cfg.Seed, i, err, tm)
			}
			if !reflect.DeepEqual(normT, tm) {
				t.Fatalf("seed %d testimony %d changes when normalised", cfg.Seed, i)
			}
			if n := len(strings.Fields(tm.Narrative)); n < minNarrativeWords || n > maxNarrativeWords {
				t.Fatalf("testimony %d narrative has %d words:\n%s", i, n, tm.Narrative)
			}
		}
	}
}

func TestGeneratorDistributions(t *testing.T) {
	g := NewGenerator(GenConfig{Seed: 7})
	const n = 20000
	var surge, lateTail, bigGroups, smallGroups, greenOrNone, pushbacks, violent, unverified int
	points := map[string]int{}
	nats := map[string]int{}
	for range n {
		in := g.NextIncident()
		d := in.When.From
		if !d.IsZero() && d.Year == 2023 && (d.Month == 11 || d.Month == 12) {
			surge++
		}
		if !d.IsZero() && d.Year == 2024 && (d.Month == 5 || d.Month == 6) {
			lateTail++
		}
		if in.Group.SizeMin != nil {
			if *in.Group.SizeMin >= 20 {
				bigGroups++
			}
			if *in.Group.SizeMin <= 5 {
				smallGroups++
			}
		}
		if in.CrossingPoint == "" {
			greenOrNone++
		}
		points[in.CrossingPoint]++
		for _, nc := range in.Group.Nationalities {
			nats[nc.Country]++
		}
		for _, k := range in.Kinds {
			switch k {
			case "pushback":
				pushbacks++
			case "violence":
				violent++
			}
		}
		if in.Verification.Status == "unverified" {
			unverified++
		}
		if contains(in.Kinds, "violence") && len(in.ViolenceTypes) == 0 {
			t.Fatalf("violent incident without violence types: %+v", in)
		}
		if contains(in.Kinds, "pushback") && len(in.PushedTo) == 0 {
			t.Fatalf("pushback without a destination: %+v", in)
		}
	}
	check := func(name string, got int, lo, hi float64) {
		t.Helper()
		if f := float64(got) / n; f < lo || f > hi {
			t.Errorf("%s: %.3f of incidents, want %.2f–%.2f", name, f, lo, hi)
		}
	}
	check("Nov–Dec 2023 surge", surge, 0.25, 0.8)
	check("May–Jun 2024 tail", lateTail, 0.01, 0.1)
	check("groups of 20+", bigGroups, 0.01, 0.08)
	check("groups of 1–5", smallGroups, 0.7, 0.95)
	check("no crossing point", greenOrNone, 0.08, 0.2)
	check("pushbacks", pushbacks, 0.5, 0.85)
	check("violence", violent, 0.15, 0.5)
	check("unverified", unverified, 0.75, 0.95)
	if points["vartius"] < 10*points["parikkala"] || points["parikkala"] == 0 {
		t.Errorf("crossing weights: vartius %d, parikkala %d", points["vartius"], points["parikkala"])
	}
	if nats["SY"] < nats["SO"] || nats["SO"] < nats["VN"] {
		t.Errorf("nationality weights: %v", nats)
	}
}

func TestGeneratorLanguagesAndRareWords(t *testing.T) {
	// No bank may contain a rare word except in its rare sentence.
	for _, nt := range narrativeTexts {
		for _, list := range [][]string{nt.opening, nt.route, nt.guards, nt.violence, nt.outcome, nt.close, nt.months[:]} {
			for _, s := range list {
				for _, l := range GenLanguages {
					if strings.Contains(strings.ToLower(s), RareWord(l)) {
						t.Errorf("%s bank sentence %q contains rare word %q", nt.lang, s, RareWord(l))
					}
				}
			}
		}
		if !strings.Contains(nt.rare, RareWord(nt.lang)) {
			t.Errorf("%s rare sentence lacks its word", nt.lang)
		}
	}
	for _, st := range summaryTexts {
		for _, list := range [][]string{st.openOne, st.openGroup, st.openUnknown, st.pushback, st.denied, st.violence, st.injury,
			st.detention, st.threat, st.separation, st.death, st.other, st.ruSide, st.follow, {st.place}} {
			for _, s := range list {
				for _, l := range GenLanguages {
					if strings.Contains(strings.ToLower(s), RareWord(l)) {
						t.Errorf("%s summary sentence %q contains rare word %q", st.lang, s, RareWord(l))
					}
				}
			}
		}
	}

	g := NewGenerator(GenConfig{Seed: 99})
	const n = 30000
	langs := map[string]int{}
	rare := map[string]int{}
	scripts := map[string]bool{}
	for range n {
		tm := g.NextTestimony()
		langs[tm.Language]++
		if w := RareWord(tm.Language); strings.Contains(tm.Narrative, w) {
			rare[tm.Language]++
		}
		for _, r := range tm.Narrative {
			switch {
			case r >= 0x0600 && r <= 0x06FF:
				scripts["arabic"] = true
			case r >= 0x0400 && r <= 0x04FF:
				scripts["cyrillic"] = true
			case r == 'ä' || r == 'ö':
				scripts["finnish"] = true
			}
		}
		if tm.PublicQuotes != "" && !tm.Consent.QuotePublicly {
			t.Fatal("quote without consent")
		}
	}
	for _, l := range GenLanguages {
		if langs[l] < n/20 {
			t.Errorf("language %s: %d of %d narratives", l, langs[l], n)
		}
		// Expect RarePerMille per 1,000 narratives of the language: allow a
		// wide band, but never zero and never common.
		per := float64(rare[l]) * 1000 / float64(langs[l])
		if rare[l] == 0 || per > 4*RarePerMille {
			t.Errorf("rare word of %s in %d of %d narratives (%.1f per 1,000)", l, rare[l], langs[l], per)
		}
	}
	for _, s := range []string{"arabic", "cyrillic", "finnish"} {
		if !scripts[s] {
			t.Errorf("no %s text generated", s)
		}
	}
}

// TestGenPointTableMatchesCSV keeps the generator's copy of the positions
// equal to the scenario table.
func TestGenPointTableMatchesCSV(t *testing.T) {
	cps, err := crossingPoints()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cps {
		info, ok := genPointTable[c.Code]
		if !ok {
			t.Errorf("generator lacks %s", c.Code)
			continue
		}
		if c.Lat == nil {
			if info.lat == info.lat { // not NaN
				t.Errorf("%s: generator has a position the table lacks", c.Code)
			}
			continue
		}
		if *c.Lat != info.lat || *c.Lon != info.lon {
			t.Errorf("%s: generator %v,%v, table %v,%v", c.Code, info.lat, info.lon, *c.Lat, *c.Lon)
		}
	}
	if len(DefaultGenCrossingPoints) != len(cps) {
		t.Errorf("%d default points, %d in the table", len(DefaultGenCrossingPoints), len(cps))
	}
}

func TestGeneratorSeqs(t *testing.T) {
	g := NewGenerator(GenConfig{Seed: 5, Incidents: 30, Testimonies: 20})
	ni, nt := 0, 0
	for range g.IncidentSeq() {
		ni++
	}
	for range g.TestimonySeq() {
		nt++
	}
	if ni != 30 || nt != 20 {
		t.Errorf("seqs yielded %d incidents and %d testimonies", ni, nt)
	}
}

// BenchmarkGenerate measures records per second: one incident and one
// testimony per iteration.
func BenchmarkGenerate(b *testing.B) {
	g := NewGenerator(GenConfig{Seed: 1})
	b.ReportAllocs()
	var words int
	for b.Loop() {
		in := g.NextIncident()
		tm := g.NextTestimony()
		words += len(in.Title) + len(tm.Narrative)
	}
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "records/s")
	_ = words
}

func BenchmarkNextIncident(b *testing.B) {
	g := NewGenerator(GenConfig{Seed: 1})
	b.ReportAllocs()
	for b.Loop() {
		g.NextIncident()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkNextTestimony(b *testing.B) {
	g := NewGenerator(GenConfig{Seed: 1})
	b.ReportAllocs()
	for b.Loop() {
		g.NextTestimony()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
