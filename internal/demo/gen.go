package demo

import (
	"iter"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/domain"
)

// GenConfig configures the synthetic generator behind `vigil gen`.
type GenConfig struct {
	Seed        int64
	Incidents   int // how many IncidentSeq yields
	Testimonies int // how many TestimonySeq yields
	// Start and End bound the event dates (inclusive). Zero values mean
	// 2023-07-01 and 2025-06-30.
	Start, End domain.Date
	// CrossingPoints are the codes incidents are spread over, busiest
	// first; nil means DefaultGenCrossingPoints. They must be valid
	// crossing point codes (lower-case slugs). Codes the generator knows
	// get their real weight, names and positions; others get a weight from
	// their rank and no coordinates.
	CrossingPoints []string
}

// DefaultGenCrossingPoints are the scenario's crossing points, busiest first.
var DefaultGenCrossingPoints = []string{"vartius", "salla", "raja-jooseppi", "vaalimaa", "niirala", "nuijamaa", "kuusamo", "imatra", "vainikkala", "parikkala"}

// genPointInfo is what the generator knows about a scenario crossing point;
// positions repeat crossing_points.csv (a test keeps them equal).
type genPointInfo struct {
	weight   uint32
	lat, lon float64 // NaN when unknown
	nameRU   string
	district string
}

var genPointTable = map[string]genPointInfo{
	"vartius":       {60, 64.545, 29.9848, "Вартиус", "Kainuu Border Guard District"},
	"salla":         {50, 66.85, 29.09, "Салла", "Lapland Border Guard District"},
	"raja-jooseppi": {36, 68.478, 28.3, "Райа-Йоосеппи", "Lapland Border Guard District"},
	"vaalimaa":      {28, 60.59, 27.869, "Ваалимаа", "Southeast Finland Border Guard District"},
	"niirala":       {20, 62.16, 30.613, "Ниирала", "North Karelia Border Guard District"},
	"nuijamaa":      {16, 60.96, 28.603, "Нуйямаа", "Southeast Finland Border Guard District"},
	"kuusamo":       {12, 66.0, 29.95, "Куусамо", "Kainuu Border Guard District"},
	"imatra":        {8, 61.12, 28.873, "Иматра", "Southeast Finland Border Guard District"},
	"vainikkala":    {2, 60.85, 28.33, "Вайниккала", "Southeast Finland Border Guard District"},
	"parikkala":     {1, math.NaN(), math.NaN(), "Париккала", "Southeast Finland Border Guard District"},
}

// Generator makes a deterministic stream of synthetic incidents and
// testimonies. Incidents and testimonies come from two separate PCG streams
// seeded from Seed, so each sequence is the same for a seed however the
// calls are interleaved. A Generator is not safe for concurrent use; run one
// per goroutine with different seeds.
type Generator struct {
	cfg GenConfig
	ir  *rand.Rand // incidents
	tr  *rand.Rand // testimonies

	days   []genDay
	dayCum []uint64

	points   []genPoint
	pointTab table

	narr []byte // scratch buffers, reused per call
	sum  []byte
	narB []*narrativeBank
	sumB []*summaryBank

	langTab table
}

type genDay struct {
	d      domain.Date
	s      string // YYYY-MM-DD
	winter bool
}

type genPoint struct {
	code       string
	name       string // Latin
	nameRU     string
	lat, lon   float64 // NaN when unknown
	district   string
	greenEN    string // "Green border near X"
	greenFI    string
	hasLatLon  bool
	nameWords  int
	greenWords int
}

// NewGenerator prepares a generator; all tables are built here so that
// the Next methods only sample and append.
func NewGenerator(cfg GenConfig) *Generator {
	if cfg.Start.IsZero() {
		cfg.Start = domain.Date{Year: 2023, Month: 7, Day: 1}
	}
	if cfg.End.IsZero() {
		cfg.End = domain.Date{Year: 2025, Month: 6, Day: 30}
	}
	if cfg.End.Before(cfg.Start) {
		cfg.Start, cfg.End = cfg.End, cfg.Start
	}
	if len(cfg.CrossingPoints) == 0 {
		cfg.CrossingPoints = DefaultGenCrossingPoints
	}
	cfg.CrossingPoints = slices.Clone(cfg.CrossingPoints)
	seed := uint64(cfg.Seed)
	g := &Generator{
		cfg: cfg,
		ir:  rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		tr:  rand.New(rand.NewPCG(seed, 0xd1b54a32d192ed03)),
	}
	g.buildDays()
	g.buildPoints()
	g.narr = make([]byte, 0, 4096)
	g.sum = make([]byte, 0, 1024)
	for i := range narrativeTexts {
		g.narB = append(g.narB, parseNarrativeBank(&narrativeTexts[i]))
	}
	for i := range summaryTexts {
		g.sumB = append(g.sumB, parseSummaryBank(&summaryTexts[i]))
	}
	// en, fi, ar, so, ru, fa, in the order of narrativeTexts.
	g.langTab = mkTable(20, 10, 30, 15, 10, 15)
	return g
}

// Config returns the configuration with its defaults filled in.
func (g *Generator) Config() GenConfig {
	c := g.cfg
	c.CrossingPoints = slices.Clone(c.CrossingPoints)
	return c
}

// IncidentSeq yields Config().Incidents incidents from the incident stream.
func (g *Generator) IncidentSeq() iter.Seq[domain.Incident] {
	return func(yield func(domain.Incident) bool) {
		for range g.cfg.Incidents {
			if !yield(g.NextIncident()) {
				return
			}
		}
	}
}

// TestimonySeq yields Config().Testimonies testimonies from the testimony stream.
func (g *Generator) TestimonySeq() iter.Seq[domain.Testimony] {
	return func(yield func(domain.Testimony) bool) {
		for range g.cfg.Testimonies {
			if !yield(g.NextTestimony()) {
				return
			}
		}
	}
}

// ---- dates ----

// buildDays weights every day of the window: a low background, a surge
// peaking around 21 November 2023 with a sharp spike on 14 December (the
// short reopening) and a long decaying tail, times a weekly rhythm with
// more crossings at weekends. When the window does not contain November
// 2023 the surge is placed a quarter of the way in.
func (g *Generator) buildDays() {
	n := g.cfg.Start.DaysUntil(g.cfg.End) + 1
	g.days = make([]genDay, n)
	g.dayCum = make([]uint64, n)
	peak := domain.Date{Year: 2023, Month: 11, Day: 21}
	pi := g.cfg.Start.DaysUntil(peak)
	if pi < 0 || pi >= n {
		pi = n / 4
	}
	spike := pi + 23
	weekly := [7]float64{1.05, 0.9, 0.9, 0.95, 1.0, 1.15, 1.2} // Sunday first, as time.Weekday
	t := g.cfg.Start.Time()
	var cum uint64
	for i := range n {
		d := domain.DateOf(t.AddDate(0, 0, i))
		x := float64(i - pi)
		w := 1 + 60*math.Exp(-0.5*(x/9)*(x/9))
		if i >= pi {
			w += 6 * math.Exp(-x/120)
		}
		y := float64(i - spike)
		w += 25 * math.Exp(-0.5*(y/1.5)*(y/1.5))
		w *= weekly[t.AddDate(0, 0, i).Weekday()]
		cum += uint64(w*1000) + 1
		g.days[i] = genDay{d: d, s: d.String(), winter: d.Month >= 11 || d.Month <= 3}
		g.dayCum[i] = cum
	}
}

func (g *Generator) pickDay(r *rand.Rand) int {
	x := r.Uint64N(g.dayCum[len(g.dayCum)-1])
	i, _ := slices.BinarySearch(g.dayCum, x+1)
	return i
}

func daysIn(y int, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ---- weighted tables ----

type table struct{ cum []uint32 }

func mkTable(ws ...uint32) table {
	t := table{cum: make([]uint32, len(ws))}
	var c uint32
	for i, w := range ws {
		c += w
		t.cum[i] = c
	}
	return t
}

func (t table) pick(r *rand.Rand) int {
	x := r.Uint32N(t.cum[len(t.cum)-1])
	for i, c := range t.cum {
		if x < c {
			return i
		}
	}
	return len(t.cum) - 1
}

// chance reports true with probability perMille/1000.
func chance(r *rand.Rand, perMille uint32) bool { return r.Uint32N(1000) < perMille }

// ---- crossing points and places ----

func (g *Generator) buildPoints() {
	ws := make([]uint32, len(g.cfg.CrossingPoints))
	for i, code := range g.cfg.CrossingPoints {
		p := genPoint{code: code, lat: math.NaN(), lon: math.NaN()}
		info, ok := genPointTable[code]
		if ok {
			ws[i] = info.weight
			p.lat, p.lon, p.nameRU, p.district = info.lat, info.lon, info.nameRU, info.district
		} else {
			ws[i] = uint32(40/(i+1) + 1)
		}
		p.name = displayName(code)
		if p.nameRU == "" {
			p.nameRU = p.name
		}
		p.hasLatLon = !math.IsNaN(p.lat)
		p.greenEN = "Green border near " + p.name
		p.greenFI = "vihreä raja lähellä rajanylityspaikkaa " + p.name
		p.nameWords = len(strings.Fields(p.name))
		p.greenWords = len(strings.Fields(p.greenEN))
		g.points = append(g.points, p)
	}
	g.pointTab = mkTable(ws...)
}

// displayName turns a code such as "raja-jooseppi" into "Raja-Jooseppi".
func displayName(code string) string {
	b := []byte(code)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '-' || c == ' '
	}
	return string(b)
}

// baltic is a green border between an EU state and Belarus.
type baltic struct {
	from, perp     string
	lat, lon, jit  float64
	placeEN, place string // English, Finnish
}

var baltics = []baltic{
	{"LV", "lv_border_guard", 55.85, 27.3, 0.3, "Latvia–Belarus border", "Latvian ja Valko-Venäjän raja"},
	{"LT", "lt_border_guard", 54.3, 25.9, 0.4, "Lithuania–Belarus border", "Liettuan ja Valko-Venäjän raja"},
	{"PL", "pl_border_guard", 52.9, 23.8, 0.5, "Poland–Belarus border", "Puolan ja Valko-Venäjän raja"},
}

func f64(v float64) *float64 { return &v }

// round4 keeps coordinates to about 10 m, as a field device would.
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// ---- vocab tables ----

var (
	nationalityCodes = []string{"SY", "SO", "YE", "IQ", "AF", "MA", "IN", "ER", "TR", "EG", "DZ", "IR", "BD", "PK", "ET", "SD", "CM", "CD", "RU", "VN"}
	nationalityTab   = mkTable(30, 20, 10, 8, 6, 5, 4, 4, 3, 3, 2, 3, 2, 2, 2, 2, 1, 1, 2, 1)

	// Violence types in vocabulary order; exposure to cold weighs more in
	// winter.
	violenceCodes  = []string{"beating", "beating_objects", "kicking", "punching", "pushing_to_ground", "forced_restraint", "exposure_cold", "electric_discharge", "pepper_spray", "firearm", "dog_attack", "forced_undressing", "theft", "denial_of_care", "verbal_abuse", "sexual_violence"}
	violenceSummer = mkTable(300, 120, 150, 100, 120, 120, 40, 15, 50, 20, 40, 30, 120, 50, 150, 5)
	violenceWinter = mkTable(300, 120, 150, 100, 120, 120, 200, 15, 50, 20, 40, 30, 120, 50, 150, 5)

	verificationCodes   = []string{"unverified", "corroborated", "confirmed", "disputed"}
	verificationTab     = mkTable(850, 100, 30, 20)
	verificationReasons = []string{
		"A single source so far; no second account is linked.",
		"Two independent narrators, at least one of them an eyewitness.",
		"Corroborated, and medical records were reviewed by a coordinator.",
		"Another credible account contradicts the date and place.",
	}

	// Incident kinds in vocabulary order, as bit positions.
	kindCodes = []string{"pushback", "denied_asylum", "violence", "threat", "detention", "family_separation", "injury", "death", "other"}
)

const (
	kPushback = 1 << iota
	kDenied
	kViolence
	kThreat
	kDetention
	kSeparation
	kInjury
	kDeath
	kOther
)

var kindLabels = func() []string {
	out := make([]string, len(kindCodes))
	for i, c := range kindCodes {
		out[i] = domain.IncidentKinds.Label(c, "en")
	}
	return out
}()

var kindLabelsLower = func() []string {
	out := make([]string, len(kindLabels))
	for i, l := range kindLabels {
		out[i] = strings.ToLower(l)
	}
	out[len(out)-1] = "event of another kind" // "Reported other" reads badly
	return out
}()

// ---- incidents ----

// NextIncident returns the next synthetic incident. It is a pure function
// of the seed and the number of incidents drawn before.
func (g *Generator) NextIncident() domain.Incident {
	r := g.ir
	var in domain.Incident
	di := g.pickDay(r)
	day := g.days[di]
	g.fuzzy(r, di, &in.When)

	// Place: a crossing point most of the time, else a stretch of green
	// border on the Finnish–Russian line or, sometimes, further south
	// between the EU and Belarus.
	var pt *genPoint
	var bal *baltic
	placeFI := ""
	placeKnown := true
	switch u := r.Uint32N(1000); {
	case u < 860:
		pt = &g.points[g.pointTab.pick(r)]
		in.CrossingPoint = pt.code
		in.Place, placeFI = pt.name, pt.name
		switch v := r.Uint32N(100); {
		case v < 70:
			in.PlacePrecision = "crossing_point"
			if pt.hasLatLon {
				in.Lat, in.Lon = f64(pt.lat), f64(pt.lon)
			}
		case v < 85 && pt.hasLatLon:
			in.PlacePrecision = "exact"
			in.Lat, in.Lon = f64(round4(pt.lat+(r.Float64()-0.5)*0.04)), f64(round4(pt.lon-r.Float64()*0.03))
		case v < 95 && pt.hasLatLon:
			in.PlacePrecision = "area"
			in.Lat, in.Lon = f64(round4(pt.lat+(r.Float64()-0.5)*0.15)), f64(round4(pt.lon-r.Float64()*0.1))
		default:
			in.PlacePrecision = "crossing_point"
		}
	case u < 960:
		pt = &g.points[g.pointTab.pick(r)]
		in.Place, placeFI = pt.greenEN, pt.greenFI
		in.PlacePrecision = [...]string{"exact", "area", "area", "region"}[r.IntN(4)]
		if pt.hasLatLon {
			// West of the line: the Finnish side, within the area precision.
			in.Lat, in.Lon = f64(round4(pt.lat+(r.Float64()-0.5)*0.6)), f64(round4(pt.lon-0.02-r.Float64()*0.15))
		}
		pt = nil // not at the crossing point itself
	case u < 990:
		bal = &baltics[r.IntN(len(baltics))]
		in.Place, placeFI = bal.placeEN, bal.place
		in.PlacePrecision = [...]string{"exact", "area", "region"}[r.IntN(3)]
		in.Lat, in.Lon = f64(round4(bal.lat+(r.Float64()-0.5)*bal.jit)), f64(round4(bal.lon+(r.Float64()-0.5)*bal.jit))
	default:
		in.PlacePrecision = domain.Unknown
		placeKnown = false
	}

	// Kinds, with the co-occurrences monitors report: pushbacks often come
	// with refused asylum requests and violence, violence with injuries;
	// on the Finnish line a few events are Russian guards forcing people
	// towards the border.
	var kinds uint32
	ruSide := bal == nil && chance(r, 50)
	switch {
	case ruSide:
		kinds = kOther
		if chance(r, 500) {
			kinds |= kThreat
		}
		if chance(r, 250) {
			kinds |= kViolence
		}
	case chance(r, 700):
		kinds = kPushback
		if chance(r, 450) {
			kinds |= kDenied
		}
		if chance(r, 350) {
			kinds |= kViolence
		}
		if chance(r, 100) {
			kinds |= kDetention
		}
		if chance(r, 100) {
			kinds |= kThreat
		}
	default:
		kinds = [...]uint32{kViolence, kViolence, kDenied, kDetention, kThreat, kOther}[r.IntN(6)]
	}
	if kinds&kViolence != 0 && chance(r, 400) {
		kinds |= kInjury
	}
	if kinds&(kViolence|kPushback) != 0 && chance(r, 3) {
		kinds |= kDeath
	}

	// Group: mostly one to five people, sometimes twenty to sixty.
	size := 0
	switch u := r.Uint32N(1000); {
	case u < 550:
		size = 1 + r.IntN(2)
	case u < 850:
		size = 3 + r.IntN(3)
	case u < 950:
		size = 6 + r.IntN(14)
	case u < 990:
		size = 20 + r.IntN(41)
	}
	if size >= 2 && kinds&kPushback != 0 && chance(r, 40) {
		kinds |= kSeparation
	}
	in.Kinds = codesOf(kinds, kindCodes)
	g.group(r, size, &in.Group)

	// Violence types follow the kinds.
	if kinds&(kViolence|kThreat) != 0 || (kinds&kPushback != 0 && chance(r, 120)) {
		in.ViolenceTypes = g.violence(r, kinds, day.winter)
	}

	// Who acted and where people were sent.
	switch {
	case bal != nil:
		in.Perpetrator = pickStr(r, bal.perp, bal.perp, bal.perp, bal.perp, "military", domain.Unknown)
		if kinds&kPushback != 0 {
			if bal.from == "LT" && chance(r, 150) { // chain: Lithuania to Latvia to Belarus
				in.PushedFrom, in.PushedTo = []string{"LT", "LV"}, []string{"LV", "BY"}
			} else {
				in.PushedFrom, in.PushedTo = []string{bal.from}, []string{"BY"}
			}
		}
	case ruSide:
		in.Perpetrator = "ru_border_guard"
	default:
		in.Perpetrator = pickStr(r, "fi_border_guard", "fi_border_guard", "fi_border_guard", "fi_border_guard", "fi_border_guard",
			"fi_border_guard", "fi_border_guard", "fi_border_guard", "fi_police", domain.Unknown)
		if kinds&kPushback != 0 {
			in.PushedFrom, in.PushedTo = []string{"FI"}, []string{"RU"}
		}
		if pt != nil && pt.district != "" && in.Perpetrator == "fi_border_guard" && chance(r, 150) {
			in.PerpetratorUnit = pt.district
		}
	}

	switch {
	case kinds&kDenied != 0:
		in.AsylumRequested = "yes"
	default:
		in.AsylumRequested = pickStr(r, "yes", "yes", "yes", "yes", "no", "no", domain.Unknown, domain.Unknown, domain.Unknown, domain.Unknown)
	}
	switch {
	case kinds&kPushback != 0:
		in.Outcome = "pushed_back"
		if size >= 2 && chance(r, 100) {
			in.Outcome = "mixed"
		} else if chance(r, 100) {
			in.Outcome = domain.Unknown
		}
	case kinds&kDetention != 0:
		in.Outcome = pickStr(r, "detained", "detained", "admitted", domain.Unknown)
	default:
		in.Outcome = pickStr(r, "admitted", "admitted", "admitted", "admitted", domain.Unknown, domain.Unknown, domain.Unknown, domain.Unknown, "other", "other")
	}

	v := verificationTab.pick(r)
	in.Verification = domain.Verification{Status: verificationCodes[v], Reason: verificationReasons[v]}

	// Texts.
	primary := 0
	for primary < len(kindCodes) && kinds&(1<<primary) == 0 {
		primary++
	}
	when := in.When.Text()
	if when == "" {
		when = "date unknown"
	}
	place := in.Place
	if !placeKnown {
		place = "place unknown"
	}
	in.Title = kindLabels[primary] + " – " + place + ", " + when

	sb, sp := g.sumB[0], in.Place
	if chance(r, 150) {
		sb, sp = g.sumB[1], placeFI
	}
	if !placeKnown {
		sp = sb.unknownPlc
	}
	in.Summary = g.summary(r, sb, kinds, size, sp, day.d, in.When.Precision, ruSide)
	if chance(r, 350) {
		in.PublicSummary = g.publicSummary(primary, place, in.When, day.d)
		in.Published = chance(r, 600)
	}
	return in
}

// fuzzy sets the incident date from day index di with a realistic mix of
// precisions.
func (g *Generator) fuzzy(r *rand.Rand, di int, f *domain.FuzzyDate) {
	d := g.days[di].d
	switch u := r.Uint32N(1000); {
	case u < 50:
		*f = domain.FuzzyDate{From: d, To: d, Precision: "exact"}
	case u < 650:
		*f = domain.FuzzyDate{From: d, To: d, Precision: "day"}
	case u < 800:
		k := 1 + r.IntN(7)
		a, b := max(di-k, 0), min(di+k, len(g.days)-1)
		*f = domain.FuzzyDate{From: g.days[a].d, To: g.days[b].d, Precision: "estimate"}
	case u < 950:
		*f = domain.FuzzyDate{From: domain.Date{Year: d.Year, Month: d.Month, Day: 1},
			To: domain.Date{Year: d.Year, Month: d.Month, Day: daysIn(d.Year, int(d.Month))}, Precision: "month"}
	case u < 970:
		*f = domain.FuzzyDate{From: domain.Date{Year: d.Year, Month: 1, Day: 1}, To: domain.Date{Year: d.Year, Month: 12, Day: 31}, Precision: "year"}
	default:
		*f = domain.FuzzyDate{Precision: domain.Unknown}
	}
}

func (g *Generator) group(r *rand.Rand, size int, gr *domain.Group) {
	if size == 0 { // size not known
		if chance(r, 500) {
			gr.Nationalities = []domain.NationalityCount{{Country: nationalityCodes[nationalityTab.pick(r)]}}
		}
		return
	}
	lo, hi := size, size
	if size >= 6 && chance(r, 300) { // "between 20 and 30"
		hi = size + 1 + r.IntN(size/2+1)
	}
	gr.SizeMin, gr.SizeMax = ip(lo), ip(hi)
	if size >= 2 && chance(r, 150) {
		gr.Minors = ip(1 + r.IntN(size/2))
	}
	if chance(r, 200) {
		gr.Women = ip(1 + r.IntN((size+1)/2))
	}
	n := 1
	if size >= 3 {
		n = pickInt(r, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3)
	}
	gr.Nationalities = make([]domain.NationalityCount, 0, n)
	var seen uint32
	for len(gr.Nationalities) < n {
		i := nationalityTab.pick(r)
		if seen&(1<<i) != 0 {
			continue
		}
		seen |= 1 << i
		gr.Nationalities = append(gr.Nationalities, domain.NationalityCount{Country: nationalityCodes[i]})
	}
	if n == 1 && lo == hi && chance(r, 600) {
		gr.Nationalities[0].Count = ip(size)
	}
}

func (g *Generator) violence(r *rand.Rand, kinds uint32, winter bool) []string {
	if kinds&kViolence == 0 { // threats, or belongings taken during a pushback
		if kinds&kThreat != 0 {
			return []string{pickStr(r, "verbal_abuse", "verbal_abuse", "verbal_abuse", "verbal_abuse", "firearm", "dog_attack")}
		}
		return []string{"theft"}
	}
	tab := violenceSummer
	if winter {
		tab = violenceWinter
	}
	n := pickInt(r, 1, 1, 1, 2, 2, 3)
	var set uint32
	for c := 0; c < n; {
		i := tab.pick(r)
		if set&(1<<i) == 0 {
			set |= 1 << i
			c++
		}
	}
	return codesOf(set, violenceCodes)
}

// codesOf lists the codes whose bits are set, in vocabulary order.
func codesOf(set uint32, codes []string) []string {
	out := make([]string, 0, 4)
	for i, c := range codes {
		if set&(1<<i) != 0 {
			out = append(out, c)
		}
	}
	return out
}

func pickStr(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }
func pickInt(r *rand.Rand, s ...int) int       { return s[r.IntN(len(s))] }

// ---- testimonies ----

var (
	modeCodes = []string{"in_person", "phone", "online", "written", "public_form", "published_account"}
	modeTab   = mkTable(45, 25, 15, 5, 7, 3)
	ageCodes  = []string{"under_14", "14_17", "18_25", "26_35", "36_50", "over_50", domain.Unknown}
	ageTab    = mkTable(1, 5, 35, 35, 12, 2, 10)
	genders   = []string{"man", "woman", "other", domain.Unknown}
	genderTab = mkTable(80, 12, 1, 7)
	relCodes  = []string{"high", "likely", "unsure", "unlikely", domain.Unknown}
	relTab    = mkTable(10, 35, 40, 5, 10)

	// Nationalities by narrative language (same order as narrativeTexts).
	langNats = [][]string{
		{"IN", "ER", "CM", "NG", "BD", "PK", "SO", "ET", "SY", "CD"},
		{"SY", "SO", "YE", "IQ", "AF", "MA", "IN", "ER", "RU"},
		{"SY", "YE", "IQ", "MA", "EG", "DZ", "SD"},
		{"SO", "ET", "DJ"},
		{"RU", "TJ", "UZ", "KG", "TM", "AM", "AZ", "GE"},
		{"AF", "IR"},
	}
	langNatTabs = []table{
		mkTable(20, 15, 10, 10, 10, 10, 5, 10, 5, 5),
		mkTable(25, 20, 10, 10, 10, 5, 5, 5, 10),
		mkTable(45, 20, 15, 8, 5, 4, 3),
		mkTable(90, 6, 4),
		mkTable(50, 15, 10, 5, 5, 5, 5, 5),
		mkTable(60, 40),
	}

	// pseudonyms[lang][0 men | 1 women] with an initial added, built once.
	pseudonyms = func() [][2][]string {
		out := make([][2][]string, len(narrativeTexts))
		for li, nt := range narrativeTexts {
			src := pseudonymTexts[nt.lang]
			for s := range 2 {
				for _, name := range src[s] {
					for c := 'A'; c <= 'Z'; c++ {
						if c == 'Q' || c == 'X' {
							continue
						}
						out[li][s] = append(out[li][s], name+" "+string(c)+".")
					}
				}
			}
		}
		return out
	}()
)

// NextTestimony returns the next synthetic testimony. It is a pure function
// of the seed and the number of testimonies drawn before.
func (g *Generator) NextTestimony() domain.Testimony {
	r := g.tr
	var t domain.Testimony
	di := g.pickDay(r)
	// Testimonies arrive days to months after the event.
	delay := int(r.ExpFloat64() * 15)
	t.ReceivedOn = g.days[min(di+delay, len(g.days)-1)].d

	li := g.langTab.pick(r)
	nb := g.narB[li]
	t.Language = nb.lang
	t.Mode = modeCodes[modeTab.pick(r)]
	if li >= 2 && (t.Mode == "in_person" || t.Mode == "phone") && chance(r, 500) {
		t.Interpreter = true
	}
	t.Narrator.Gender = genders[genderTab.pick(r)]
	if !chance(r, 50) {
		t.Narrator.Nationality = langNats[li][langNatTabs[li].pick(r)]
	}
	t.Narrator.AgeBand = ageCodes[ageTab.pick(r)]
	if !chance(r, 80) {
		s := 0
		if t.Narrator.Gender == "woman" || (t.Narrator.Gender != "man" && chance(r, 300)) {
			s = 1
		}
		list := pseudonyms[li][s]
		t.Narrator.Pseudonym = list[r.IntN(len(list))]
	}
	t.Consent = domain.Consent{Store: true, QuotePublicly: chance(r, 250), ShareWithPartners: chance(r, 400), LegalAction: chance(r, 150)}
	t.Reliability = relCodes[relTab.pick(r)]

	pt := &g.points[g.pointTab.pick(r)]
	place, pw := pt.name, pt.nameWords
	if nb.lang == "ru" {
		place, pw = pt.nameRU, len(strings.Fields(pt.nameRU))
	}
	violent := chance(r, 400)
	t.Narrative = g.narrative(r, nb, slotVals{place: place, placeWords: pw, month: int(g.days[di].d.Month) - 1, n: 1 + r.IntN(12)}, violent)
	if t.Consent.QuotePublicly && chance(r, 400) {
		t.PublicQuotes = nb.close[r.IntN(len(nb.close))].text
	}
	return t
}

// ---- text assembly ----

// part is a literal or a slot of a template.
type part struct {
	lit  string
	slot byte // 0 literal, 'P', 'M', 'N'
}

type tpl struct {
	parts []part
	text  string // the whole template; for quotes without slots
	words int    // words with each slot counted as one
}

func parseTpl(s string) tpl {
	t := tpl{text: s}
	rest := s
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 || i+2 >= len(rest) || rest[i+2] != '}' {
			if rest != "" {
				t.parts = append(t.parts, part{lit: rest})
			}
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
		}
		t.parts = append(t.parts, part{slot: rest[i+1]})
		rest = rest[i+3:]
	}
	x := strings.NewReplacer("{P}", "X", "{M}", "X", "{N}", "X").Replace(s)
	t.words = len(strings.Fields(x))
	return t
}

func parseTpls(ss []string) []tpl {
	out := make([]tpl, len(ss))
	for i, s := range ss {
		out[i] = parseTpl(s)
	}
	return out
}

type narrativeBank struct {
	lang                                             string
	opening, route, guards, violence, outcome, close []tpl
	rare                                             tpl
	months                                           [12]string
	monthWords                                       [12]int
}

func parseNarrativeBank(nt *narrativeText) *narrativeBank {
	b := &narrativeBank{lang: nt.lang, opening: parseTpls(nt.opening), route: parseTpls(nt.route), guards: parseTpls(nt.guards),
		violence: parseTpls(nt.violence), outcome: parseTpls(nt.outcome), close: parseTpls(nt.close), rare: parseTpl(nt.rare), months: nt.months}
	for i, m := range nt.months {
		b.monthWords[i] = len(strings.Fields(m))
	}
	return b
}

type summaryBank struct {
	lang                                                  string
	openOne, openGroup, openUnknown                       []tpl
	place                                                 tpl
	pushback, denied, violence, injury, detention, threat []tpl
	separation, death, other, ruSide, follow              []tpl
	rare                                                  tpl
	months                                                [12]string
	yearPrefix, unknownWhen, unknownPlc                   string
}

func parseSummaryBank(st *summaryText) *summaryBank {
	return &summaryBank{lang: st.lang, openOne: parseTpls(st.openOne), openGroup: parseTpls(st.openGroup), openUnknown: parseTpls(st.openUnknown),
		pushback: parseTpls(st.pushback), denied: parseTpls(st.denied), violence: parseTpls(st.violence), injury: parseTpls(st.injury),
		detention: parseTpls(st.detention), threat: parseTpls(st.threat), separation: parseTpls(st.separation), death: parseTpls(st.death),
		other: parseTpls(st.other), ruSide: parseTpls(st.ruSide), follow: parseTpls(st.follow), rare: parseTpl(st.rare), months: st.months,
		place: parseTpl(st.place), yearPrefix: st.yearPrefix, unknownWhen: st.unknownWhen, unknownPlc: st.unknownPlc}
}

type slotVals struct {
	place      string
	placeWords int
	month      int    // 0–11
	monthText  string // replaces the month phrase when the month is not known
	year       int    // appended after the month when non-zero
	n          int
}

// appendTpl renders t onto buf and returns the words it added.
func appendTpl(buf []byte, t *tpl, sv *slotVals, months *[12]string, monthWords *[12]int) ([]byte, int) {
	w := t.words
	for _, p := range t.parts {
		switch p.slot {
		case 0:
			buf = append(buf, p.lit...)
		case 'P':
			buf = append(buf, sv.place...)
			w += sv.placeWords - 1
		case 'M':
			if sv.monthText != "" {
				buf = append(buf, sv.monthText...)
				w += len(strings.Fields(sv.monthText)) - 1
				continue
			}
			buf = append(buf, months[sv.month]...)
			if monthWords != nil {
				w += monthWords[sv.month] - 1
			}
			if sv.year != 0 {
				buf = append(buf, ' ')
				buf = strconv.AppendInt(buf, int64(sv.year), 10)
				w++
			}
		case 'N':
			buf = strconv.AppendInt(buf, int64(sv.n), 10)
		}
	}
	return buf, w
}

// Narrative lengths in words.
const (
	minNarrativeWords = 40
	maxNarrativeWords = 200
)

// narrative tells a story in the usual order (arrival, route, guards,
// violence, outcome, aftermath) and then adds further details, never the
// same sentence twice, until it reaches a length drawn between 40 and 200
// words or runs out of sentences.
func (g *Generator) narrative(r *rand.Rand, b *narrativeBank, sv slotVals, violent bool) string {
	target := minNarrativeWords + (r.IntN(maxNarrativeWords-minNarrativeWords+1)+r.IntN(maxNarrativeWords-minNarrativeWords+1))/2
	buf := g.narr[:0]
	words := 0
	var used [6]uint32 // per bank: sentences already told
	banks := [6][]tpl{b.opening, b.route, b.guards, b.violence, b.outcome, b.close}
	add := func(bank int) bool {
		list := banks[bank]
		left := len(list) - bits.OnesCount32(used[bank])
		if left == 0 {
			return false
		}
		k := r.IntN(left)
		i := 0
		for ; ; i++ {
			if used[bank]&(1<<i) == 0 {
				if k == 0 {
					break
				}
				k--
			}
		}
		t := &list[i]
		if words > 0 && words+t.words+sv.placeWords+4 > maxNarrativeWords { // +4 bounds the slots
			return false
		}
		used[bank] |= 1 << i
		if words > 0 {
			if chance(r, 80) {
				buf = append(buf, '\n', '\n')
			} else {
				buf = append(buf, ' ')
			}
		}
		var w int
		buf, w = appendTpl(buf, t, &sv, &b.months, &b.monthWords)
		words += w
		return true
	}
	add(0)
	if chance(r, RarePerMille) {
		buf = append(buf, ' ')
		var w int
		buf, w = appendTpl(buf, &b.rare, &sv, &b.months, &b.monthWords)
		words += w
	}
	add(1)
	add(2)
	if violent {
		add(3)
	}
	add(4)
	more := [4]int{1, 2, 3, 5}
	if !violent {
		more[2] = 1
	}
	for fails := 0; words < target && fails < 8; {
		if add(more[r.IntN(4)]) {
			fails = 0
		} else {
			fails++
		}
	}
	g.narr = buf
	return string(buf)
}

var monthsEN = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// summary writes the internal summary: an opening with the group and
// place, one sentence per kind, and a follow-up remark now and then.
func (g *Generator) summary(r *rand.Rand, b *summaryBank, kinds uint32, size int, place string, d domain.Date, precision string, ruSide bool) string {
	sv := slotVals{place: place, placeWords: len(strings.Fields(place)), month: int(d.Month) - 1, year: d.Year, n: size}
	// The text must not know more than the coded date does.
	switch precision {
	case "year":
		sv.monthText = b.yearPrefix + strconv.Itoa(d.Year)
	case domain.Unknown:
		sv.monthText = b.unknownWhen
	}
	buf := g.sum[:0]
	var open []tpl
	switch {
	case size == 0:
		open = b.openUnknown
	case size == 1:
		open = b.openOne
	default:
		open = b.openGroup
	}
	buf, _ = appendTpl(buf, &open[r.IntN(len(open))], &sv, &b.months, nil)
	buf = append(buf, ' ')
	buf, _ = appendTpl(buf, &b.place, &sv, &b.months, nil)
	add := func(list []tpl) {
		buf = append(buf, ' ')
		buf, _ = appendTpl(buf, &list[r.IntN(len(list))], &sv, &b.months, nil)
	}
	other := b.other
	if ruSide {
		other = b.ruSide
	}
	for i, list := range [...][]tpl{b.pushback, b.denied, b.violence, b.threat, b.detention, b.separation, b.injury, b.death, other} {
		if kinds&(1<<i) != 0 {
			add(list)
		}
	}
	if chance(r, 300) {
		add(b.follow)
	}
	if chance(r, RarePerMille) {
		add([]tpl{b.rare})
	}
	g.sum = buf
	return string(buf)
}

// publicSummary is deliberately coarse: kind, place and month only.
func (g *Generator) publicSummary(primary int, place string, when domain.FuzzyDate, d domain.Date) string {
	buf := g.sum[:0]
	buf = append(buf, "Reported "...)
	buf = append(buf, kindLabelsLower[primary]...)
	buf = append(buf, ". Place: "...)
	buf = append(buf, place...)
	buf = append(buf, '.')
	if when.Precision != domain.Unknown && when.Precision != "year" {
		buf = append(buf, " Time: "...)
		buf = append(buf, monthsEN[d.Month-1]...)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(d.Year), 10)
		buf = append(buf, '.')
	}
	g.sum = buf
	return string(buf)
}
