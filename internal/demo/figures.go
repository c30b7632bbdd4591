package demo

import (
	"fmt"
	"strconv"

	"vigil/internal/domain"
)

// WaveStart is the start date under which every cumulative count of the
// autumn 2023 eastern-border wave is filed. Several sources state it ("since
// 1 August"); for those that do not ("autumn 2023", or no start at all) the
// note of the figure says the start was assigned. Arrivals before November
// were few (57 in August–October), so the choice moves no total by more
// than a few dozen, and it lets domain.GroupFigures put the competing totals
// side by side.
const WaveStart = "2023-08-01"

// figSpec says how the project reads one row of official_figures.csv.
type figSpec struct {
	measure   string
	breakdown string // "" = total
	value     string // breakdown value
	from, to  string // "" = derived from the row's date
	unit      string // "" = persons
	approx    string // "" = exact
	producer  string // overrides the split of source_org
	publisher string
	note      string
	extra     []figExtra // further numbers the row's note reports
}

// figExtra is a further number reported in the same source as its row.
type figExtra struct {
	measure, breakdown, value string
	n                         int64
	from, to                  string // "" = the row's
	unit, approx, note        string
}

const monthlyNote = "People who came to the eastern land border and asked for asylum during the month, as registered by the Border Guard."

// figureSpecs is keyed by the row's date and metric cells; every row of the
// table must have an entry, so a new row cannot slip in unread.
var figureSpecs = map[string]figSpec{
	"2023-07|asylum_arrivals_eastern_border": {measure: "arrivals",
		note: monthlyNote + " The level before the autumn rise."},
	"2023-08|asylum_arrivals_eastern_border": {measure: "arrivals", note: monthlyNote},
	"2023-09|asylum_arrivals_eastern_border": {measure: "arrivals", note: monthlyNote},
	"2023-10|asylum_arrivals_eastern_border": {measure: "arrivals", note: monthlyNote},
	"2023-11|asylum_arrivals_eastern_border": {measure: "arrivals", approx: "over",
		note: "The Border Guard's count for November was reported as more than 900. Reuters, in the same coverage, put it at about 900 (and December at about 300)."},
	"2023-12|asylum_arrivals_eastern_border": {measure: "arrivals", approx: "about",
		producer: "Not stated (Reuters report)", publisher: "manualproofer.com (republishing Reuters)",
		note: "Roughly 300 in December according to Reuters; the copy we read does not name who counted. The land border took asylum seekers only on 14–15 December that month."},
	"2023-11-15|asylum_seekers_since_2023-08-01": {measure: "asylum_seekers", from: WaveStart,
		note: "Running total since 1 August 2023; until then people came through Nuijamaa and Vaalimaa. Yle gave 247 for the whole of 2023 up to the same day.",
		extra: []figExtra{{measure: "asylum_seekers", n: 247, from: "2023-01-01",
			note: "Total for 2023 up to 15 November, from the same Yle report; it includes the 233 counted since August."}}},
	"2023-11-24|asylum_seekers_since_2023-08-01": {measure: "asylum_seekers", from: WaveStart,
		note: "Running total from the start of August up to the morning of Friday 24 November 2023, compiled by Helsingin Sanomat."},
	"2023-11-17|asylum_arrivals_vartius": {measure: "arrivals", breakdown: "crossing_point", value: "vartius",
		note: "Arrivals at Vartius on the last day before the southern crossings shut."},
	"2023-11-18|asylum_arrivals_vartius": {measure: "arrivals", breakdown: "crossing_point", value: "vartius",
		note: "The first day after the four southern crossings shut, when arrivals moved north to Vartius."},
	"2023-11-20|asylum_arrivals_salla": {measure: "arrivals", breakdown: "crossing_point", value: "salla",
		note: "Reported as the first asylum seekers of November to reach Lapland."},
	"2023-11-23|asylum_arrivals_salla_vartius": {measure: "arrivals", breakdown: "crossing_point", value: "salla+vartius",
		note: "Salla and Vartius together on their last open day; the source does not split the number between the two."},
	"2023-11-25|asylum_arrivals_raja-jooseppi": {measure: "arrivals", breakdown: "crossing_point", value: "raja-jooseppi",
		note: "Raja-Jooseppi was then the only open crossing. The source splits the day by nationality (Syria 35, Yemen 6, Morocco 6, Iraq 3, India 3, Algeria 1, Egypt 1); " +
			"that split stays in this note rather than in figures, because one-person counts for a single place and day come too close to identifying people. " +
			"The day is inferred from a Sunday article that spoke of the day before."},
	"2023-12-14|asylum_arrivals_vaalimaa_niirala": {measure: "arrivals", approx: "about",
		note: "About 70 on the day Vaalimaa and Niirala reopened. They were the only open crossings, so this is the whole land border for the day. " +
			"By crossing: Vaalimaa 21 by about 18:00, Niirala about 50.",
		extra: []figExtra{
			{measure: "arrivals", breakdown: "crossing_point", value: "vaalimaa", n: 21, approx: "over",
				note: "Counted up to about 18:00, so the day's total at Vaalimaa was at least this."},
			{measure: "arrivals", breakdown: "crossing_point", value: "niirala", n: 50, approx: "about",
				note: "Rough count for Niirala on the reopening day."},
		}},
	"2023-12-15|asylum_arrivals_vaalimaa": {measure: "arrivals", breakdown: "crossing_point", value: "vaalimaa", approx: "over",
		note: "A count for part of the last day before the border shut again at 20:00, so the day's total was at least this. Niirala reported more than 70 the same day.",
		extra: []figExtra{{measure: "arrivals", breakdown: "crossing_point", value: "niirala", n: 70, approx: "over",
			note: "Reported alongside the Vaalimaa count as more than 70 at Niirala that day."}}},
	"2023-12|asylum_applications_eastern_border_autumn_2023": {measure: "asylum_seekers", from: WaveStart, unit: "applications",
		note: "The Border Guard's early tally of applications lodged on the eastern border during autumn 2023, reported in December 2023 (cut-off day not stated). " +
			"The source gives no start date; it is filed under 1 August 2023 with the other totals for the same wave. " +
			"The same report said more than 900 came in November, with just under 400 Syrians, more than 250 Somalis and more than 100 Yemenis that month.",
		extra: []figExtra{
			{measure: "arrivals", n: 900, from: "2023-11-01", to: "2023-11-30", approx: "over",
				note: "November total as reported by Ilta-Sanomat from Border Guard data; compare the EUobserver figure for the same month."},
			{measure: "arrivals", breakdown: "nationality", value: "SY", n: 400, from: "2023-11-01", to: "2023-11-30", approx: "under",
				note: "Syrians arriving in November: just under 400."},
			{measure: "arrivals", breakdown: "nationality", value: "SO", n: 250, from: "2023-11-01", to: "2023-11-30", approx: "over",
				note: "Somalis arriving in November: more than 250."},
			{measure: "arrivals", breakdown: "nationality", value: "YE", n: 100, from: "2023-11-01", to: "2023-11-30", approx: "over",
				note: "Yemenis arriving in November: more than 100."},
		}},
	"2024-01|asylum_seekers_eastern_border": {measure: "asylum_seekers", from: WaveStart,
		note: "Reported in January 2024 (cut-off day not stated); the report gives no start date, so the figure is filed under 1 August 2023 with the other totals for the same wave. " +
			"The same report counted 160 people missing, 60 decisions (40 negative, 10 lapsed) and an average wait for a decision of about eight months.",
		extra: []figExtra{
			{measure: "missing", n: 160, note: "People who had left reception and could not be traced, from the same report."},
			{measure: "decisions", n: 60, unit: "decisions", note: "Decisions made so far; none positive, from the same report."},
			{measure: "negative_decisions", n: 40, unit: "decisions", note: "Negative decisions among the 60."},
			{measure: "discontinued", n: 10, unit: "decisions", note: "Applications lapsed because the applicant disappeared, among the 60."},
		}},
	"2024-01-31|asylum_seekers_eastern_border": {measure: "asylum_seekers", from: WaveStart, approx: "under",
		note: "Migri said slightly under 1,300, below the Border Guard's early tally; more than 20 nationalities, mostly men in their twenties. " +
			"The start is not stated and is filed under 1 August 2023. Migri also reported about 70 decisions (two thirds negative, one third lapsed) and about 190 people gone from reception centres.",
		extra: []figExtra{
			{measure: "decisions", n: 70, unit: "decisions", approx: "about", note: "About two thirds negative and one third lapsed; none positive."},
			{measure: "missing", n: 190, approx: "about", note: "People who had disappeared from reception centres."},
		}},
	"2024-01-29|asylum_seekers_eastern_border_since_2023-08-01": {measure: "asylum_seekers", from: WaveStart,
		producer: "Not stated (the article cites official figures)", publisher: "Migrant Tales (blog)",
		note: "People who applied for asylum on the Finnish–Russian land border between 1 August 2023 and 29 January 2024, according to a Migrant Tales article. " +
			"About 200 Russian citizens waiting for a Migri interview are left out. We could not trace where the number was first published; it is consistent with Migri's 'slightly under 1,300'.",
		extra: []figExtra{
			{measure: "asylum_seekers", breakdown: "nationality", value: "SY", n: 491, note: mtNationalityNote},
			{measure: "asylum_seekers", breakdown: "nationality", value: "SO", n: 360, note: mtNationalityNote},
			{measure: "asylum_seekers", breakdown: "nationality", value: "YE", n: 120, note: mtNationalityNote},
			{measure: "asylum_seekers", breakdown: "nationality", value: "IQ", n: 57, note: mtNationalityNote},
		}},
	"2024-03|asylum_applications_eastern_border_autumn_2023": {measure: "asylum_seekers", from: WaveStart, unit: "applications",
		note: "Migri's count of applications lodged on the eastern border during autumn 2023, reported in March 2024 (cut-off day not stated). " +
			"Migri counts registered applications after removing duplicates, one reason it comes out below the Border Guard's early tally. More than 20 nationalities.",
	},
	"2024-03|nationality_syria": {measure: "asylum_seekers", breakdown: "nationality", value: "SY", from: WaveStart, unit: "applications", approx: "under",
		note: "Almost 500 Syrians among the autumn 2023 applicants at the eastern border, per Migri in March 2024; 32 nationalities in all."},
	"2024-03|nationality_somalia": {measure: "asylum_seekers", breakdown: "nationality", value: "SO", from: WaveStart, unit: "applications",
		note: "Somalis among the autumn 2023 applicants at the eastern border, per Migri in March 2024."},
	"2024-03|nationality_yemen": {measure: "asylum_seekers", breakdown: "nationality", value: "YE", from: WaveStart, unit: "applications",
		note: "Yemenis among the autumn 2023 applicants at the eastern border, per Migri in March 2024."},
	"2024-02-29|decisions_total": {measure: "decisions", from: WaveStart, unit: "decisions",
		note: "Decisions on the eastern-border applications by the end of February 2024, none of them positive. About 200 applications had been moved to the accelerated procedure.",
		extra: []figExtra{
			{measure: "negative_decisions", n: 69, unit: "decisions", note: "Refusals among the 180 decisions."},
			{measure: "discontinued", n: 111, unit: "decisions", note: "Discontinued applications among the 180 decisions."},
			{measure: "positive_decisions", n: 0, unit: "decisions", note: "No positive decision had been made by this date."},
		}},
	"2024-07-02|decisions_total": {measure: "decisions", from: WaveStart, unit: "decisions", approx: "about",
		note: "About 500 decisions by early July 2024, 24 of them positive (20 refugee status, 2 subsidiary protection, 2 on other grounds); about 800 applicants were still waiting.",
		extra: []figExtra{
			{measure: "positive_decisions", n: 24, unit: "decisions", note: "20 refugee status, 2 subsidiary protection, 2 on other grounds; most of them Syrian or Somali."},
			{measure: "pending", n: 800, unit: "applications", approx: "about", note: "Applicants still waiting for a decision, from the same report."},
		}},
	"2024-08|pending": {measure: "pending", from: WaveStart, to: "2024-08-27", unit: "applications", approx: "about",
		note: "Roughly 800 still waiting. The article is dated Tuesday the 27th without a month; August 2024 is inferred, and the 27th is used as the cut-off. " +
			"It also reported 50 granted, more than 120 refused, about 370 cancelled or discontinued, and 400 missing, of whom about 260 had been traced elsewhere in Europe; about 88 % were men aged 18–39.",
		extra: []figExtra{
			{measure: "positive_decisions", n: 50, unit: "decisions", note: "Applicants granted asylum, from the same article."},
			{measure: "negative_decisions", n: 120, unit: "decisions", approx: "over", note: "Refusals: more than 120."},
			{measure: "discontinued", n: 370, unit: "decisions", approx: "about", note: "Applications cancelled or discontinued, for example after the applicant had been missing for over two months."},
			{measure: "missing", n: 400, note: "Reported missing; about 260 of them had been located in other European countries."},
		}},
	"2024-12|pending": {measure: "pending", from: WaveStart, unit: "applications",
		note: "Applications still undecided in December 2024 (cut-off day not stated); Somalis and Syrians were most of them.",
		extra: []figExtra{
			{measure: "pending", breakdown: "nationality", value: "SO", n: 269, unit: "applications", note: "Somali applications still pending."},
			{measure: "pending", breakdown: "nationality", value: "SY", n: 229, unit: "applications", note: "Syrian applications still pending."},
		}},
	"2024-12|positive_decisions": {measure: "positive_decisions", from: WaveStart, unit: "decisions",
		note: "People from the eastern-border wave granted asylum by December 2024 (cut-off day not stated).",
		extra: []figExtra{
			{measure: "positive_decisions", breakdown: "nationality", value: "SY", n: 99, unit: "decisions", note: decNatNote},
			{measure: "positive_decisions", breakdown: "nationality", value: "SO", n: 30, unit: "decisions", note: decNatNote},
			{measure: "positive_decisions", breakdown: "nationality", value: "YE", n: 22, unit: "decisions", note: decNatNote},
			{measure: "positive_decisions", breakdown: "nationality", value: "IR", n: 5, unit: "decisions", note: decNatNote},
			{measure: "positive_decisions", breakdown: "nationality", value: "IQ", n: 4, unit: "decisions", note: decNatNote},
		}},
}

const (
	mtNationalityNote = "Part of the 1,271 counted from 1 August 2023 to 29 January 2024 in the Migrant Tales article; the four largest groups add up to 1,028, " +
		"the rest are other nationalities. About 200 Russian citizens waiting for a Migri interview are not included."
	decNatNote = "Positive decisions by nationality as of December 2024, from the same report."
)

// periodOf turns the table's date cell into the period it covers: a whole
// month for "YYYY-MM", one day for "YYYY-MM-DD".
func periodOf(cell string) (from, to domain.Date, err error) {
	f, err := domain.FuzzyFromText(cell, "")
	if err != nil {
		return from, to, err
	}
	return f.From, f.To, nil
}

func dateOr(s string, def domain.Date) (domain.Date, error) {
	if s == "" {
		return def, nil
	}
	return domain.ParseDate(s)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// figures parses official_figures.csv and adds the further numbers each
// row's note reports.
func figures() ([]domain.Figure, error) {
	rows, err := readCSV("official_figures.csv", "source_org", "date", "metric", "value", "unit", "source_org", "source_url", "note")
	if err != nil {
		return nil, err
	}
	var out []domain.Figure
	seen := map[string]bool{}
	for _, r := range rows {
		key := r["date"] + "|" + r["metric"]
		spec, ok := figureSpecs[key]
		if !ok {
			return nil, fmt.Errorf("demo: no reading written for figure row %q", key)
		}
		if seen[key] {
			return nil, fmt.Errorf("demo: figure row %q appears twice", key)
		}
		seen[key] = true
		value, err := strconv.ParseInt(r["value"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("demo: figure row %q: bad value %q", key, r["value"])
		}
		pFrom, pTo, err := periodOf(r["date"])
		if err != nil {
			return nil, fmt.Errorf("demo: figure row %q: %w", key, err)
		}
		from, err := dateOr(spec.from, pFrom)
		if err != nil {
			return nil, err
		}
		to, err := dateOr(spec.to, pTo)
		if err != nil {
			return nil, err
		}
		producer, publisher := spec.producer, spec.publisher
		if producer == "" || publisher == "" {
			p, pub, err := splitSourceOrg(r["source_org"], r["source_url"])
			if err != nil {
				return nil, fmt.Errorf("demo: figure row %q: %w", key, err)
			}
			producer, publisher = orDefault(producer, p), orDefault(publisher, pub)
		}
		src := domain.Source{Publisher: publisher, URL: r["source_url"]}
		base := domain.Figure{
			PeriodFrom:     from,
			PeriodTo:       to,
			Measure:        spec.measure,
			Breakdown:      orDefault(spec.breakdown, "total"),
			BreakdownValue: spec.value,
			Value:          value,
			Unit:           orDefault(spec.unit, "persons"),
			Approximation:  orDefault(spec.approx, "exact"),
			Producer:       producer,
			Source:         src,
			Note:           spec.note,
		}
		out = append(out, base)
		for _, x := range spec.extra {
			xf, err := dateOr(x.from, from)
			if err != nil {
				return nil, err
			}
			xt, err := dateOr(x.to, to)
			if err != nil {
				return nil, err
			}
			out = append(out, domain.Figure{
				PeriodFrom:     xf,
				PeriodTo:       xt,
				Measure:        x.measure,
				Breakdown:      orDefault(x.breakdown, "total"),
				BreakdownValue: x.value,
				Value:          x.n,
				Unit:           orDefault(x.unit, "persons"),
				Approximation:  orDefault(x.approx, "exact"),
				Producer:       producer,
				Source:         src,
				Note:           x.note,
			})
		}
	}
	if len(seen) != len(figureSpecs) {
		return nil, fmt.Errorf("demo: %d figure readings written but %d rows found", len(figureSpecs), len(seen))
	}
	return out, nil
}
