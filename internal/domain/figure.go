package domain

import "sort"

// Figure is one published statistic exactly as a source gave it. Sources
// often disagree (different producers, definitions and cut-off dates); all
// are kept and shown side by side, never merged into one "true" number.
type Figure struct {
	Meta
	PeriodFrom     Date   `json:"period_from"` // start of what is counted; zero if not stated
	PeriodTo       Date   `json:"period_to"`   // cut-off date
	Measure        string `json:"measure"`
	Breakdown      string `json:"breakdown"`       // "total", "nationality", "crossing_point"
	BreakdownValue string `json:"breakdown_value"` // e.g. "SY" or "vartius"
	Value          int64  `json:"value"`
	Unit           string `json:"unit"`
	Approximation  string `json:"approximation"` // exact, about, over, under
	Producer       string `json:"producer"`      // who counted (e.g. Finnish Border Guard)
	Source         Source `json:"source"`        // who published what we read
	Note           string `json:"note"`
}

// Normalize tidies free text and codes.
func (f *Figure) Normalize() {
	f.Producer = CleanText(f.Producer)
	f.Note = CleanText(f.Note)
	f.BreakdownValue = CleanText(f.BreakdownValue)
	f.Source.normalize()
	if f.Breakdown == "" {
		f.Breakdown = "total"
	}
	if f.Approximation == "" {
		f.Approximation = "exact"
	}
}

// Validate reports every problem at once.
func (f *Figure) Validate() error {
	var p Problems
	if f.PeriodTo.IsZero() {
		p.Add("period_to", "is required: the date the figure counts up to")
	}
	checkPlausible(&p, "period_from", f.PeriodFrom)
	checkPlausible(&p, "period_to", f.PeriodTo)
	if !f.PeriodFrom.IsZero() && !f.PeriodTo.IsZero() && f.PeriodTo.Before(f.PeriodFrom) {
		p.Add("period_to", "is before the start of the period")
	}
	checkVocab(&p, "measure", FigureMeasures, f.Measure, true)
	checkVocab(&p, "breakdown", Breakdowns, f.Breakdown, true)
	switch f.Breakdown {
	case "total":
		if f.BreakdownValue != "" {
			p.Add("breakdown_value", "must be empty for a total")
		}
	case "nationality":
		if f.BreakdownValue == "" {
			p.Add("breakdown_value", "name the nationality")
		} else {
			checkCountry(&p, "breakdown_value", &f.BreakdownValue)
		}
	default:
		if f.BreakdownValue == "" {
			p.Add("breakdown_value", "is required for this breakdown")
		}
		checkText(&p, "breakdown_value", f.BreakdownValue, MaxShortText)
	}
	if f.Value < 0 {
		p.Add("value", "cannot be negative")
	}
	checkVocab(&p, "unit", FigureUnits, f.Unit, true)
	checkVocab(&p, "approximation", Approximations, f.Approximation, true)
	if f.Producer == "" {
		p.Add("producer", "is required: who produced the count")
	}
	checkText(&p, "producer", f.Producer, MaxShortText)
	checkText(&p, "note", f.Note, MaxText)
	f.Source.validate(&p, "source_", true)
	return p.Err()
}

// FigureGroup is a set of figures that count the same thing (same measure,
// breakdown and start of period) according to different sources or cut-offs.
type FigureGroup struct {
	Measure        string
	Breakdown      string
	BreakdownValue string
	PeriodFrom     Date
	Figures        []Figure
}

// Disagree reports whether the figures of the group give different values.
func (g FigureGroup) Disagree() bool {
	for _, f := range g.Figures[1:] {
		if f.Value != g.Figures[0].Value {
			return true
		}
	}
	return false
}

// GroupFigures puts figures counting the same thing side by side, in the
// order of first appearance; within a group, by cut-off date.
func GroupFigures(fs []Figure) []FigureGroup {
	idx := map[string]int{}
	var out []FigureGroup
	for _, f := range fs {
		k := f.Measure + "|" + f.Breakdown + "|" + f.BreakdownValue + "|" + f.PeriodFrom.String()
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, FigureGroup{Measure: f.Measure, Breakdown: f.Breakdown, BreakdownValue: f.BreakdownValue, PeriodFrom: f.PeriodFrom})
		}
		out[i].Figures = append(out[i].Figures, f)
	}
	for _, g := range out {
		sort.SliceStable(g.Figures, func(a, b int) bool { return g.Figures[a].PeriodTo.Before(g.Figures[b].PeriodTo) })
	}
	return out
}
