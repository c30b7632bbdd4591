package domain

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date with no time zone. The zero Date means "not given".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "YYYY-MM-DD" and rejects impossible dates such as 2023-02-30.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a valid date (use YYYY-MM-DD)", s)
	}
	return DateOf(t), nil
}

// MustDate is ParseDate for literals in code; it panics on a bad literal.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.Year == 0 && d.Month == 0 && d.Day == 0 }

// String formats as YYYY-MM-DD, or "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	if d.Invalid() {
		return "invalid date"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Time is midnight UTC of the date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// After reports whether d is strictly after e.
func (d Date) After(e Date) bool { return d.Time().After(e.Time()) }

// AddDays returns the date n days later.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// DaysUntil is the number of days from d to e (negative when e is earlier).
func (d Date) DaysUntil(e Date) int { return int(e.Time().Sub(d.Time()).Hours() / 24) }

// MarshalJSON writes "YYYY-MM-DD" or null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() || d.Invalid() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// invalidYear marks a date that was sent but could not be read. Decoding
// keeps going so that validation can report this field together with every
// other problem of the record, instead of stopping at the first bad date.
const invalidYear = -1

// Invalid reports whether the date was given but unreadable.
func (d Date) Invalid() bool { return d.Year == invalidYear }

// UnmarshalJSON reads "YYYY-MM-DD" or null; anything else becomes an
// invalid date that Validate reports under the field's name.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		*d = Date{Year: invalidYear}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		v = Date{Year: invalidYear}
	}
	*d = v
	return nil
}

// Value stores the date as TEXT so both engines sort and compare it alike.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a TEXT date or NULL.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		p, err := ParseDate(v)
		*d = p
		return err
	case []byte:
		p, err := ParseDate(string(v))
		*d = p
		return err
	case time.Time:
		*d = DateOf(v.UTC())
		return nil
	}
	return fmt.Errorf("cannot scan %T into Date", src)
}

// FuzzyDate is when something happened as well as a source can say: a range
// and how precise it is. A testimony's "early December" is From 12-01, To
// 12-10, precision estimate; "sometime in 2023" is precision year.
type FuzzyDate struct {
	From      Date   `json:"from"`
	To        Date   `json:"to"`
	Precision string `json:"precision"`
}

// FuzzyFromText reads the forms people type: "2023-11-24", "2023-11",
// "2023", or a range "2023-11-01..2023-11-30". Precision is taken from the
// form unless given.
func FuzzyFromText(s, precision string) (FuzzyDate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return FuzzyDate{Precision: Unknown}, nil
	}
	if a, b, ok := strings.Cut(s, ".."); ok {
		if strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
			return FuzzyDate{}, fmt.Errorf("%q: give both ends of the range, e.g. 2023-11-01..2023-11-30", s)
		}
		from, err := ParseDate(a)
		if err != nil {
			return FuzzyDate{}, err
		}
		to, err := ParseDate(b)
		if err != nil {
			return FuzzyDate{}, err
		}
		if precision == "" {
			precision = "estimate"
		}
		return FuzzyDate{From: from, To: to, Precision: precision}, nil
	}
	parts := strings.Split(s, "-")
	switch len(parts) {
	case 1:
		y, err := strconv.Atoi(parts[0])
		if err != nil || y < 1900 || y > 2200 || len(parts[0]) != 4 {
			return FuzzyDate{}, fmt.Errorf("%q is not a valid year", s)
		}
		if precision == "" {
			precision = "year"
		}
		return FuzzyDate{From: Date{y, 1, 1}, To: Date{y, 12, 31}, Precision: precision}, nil
	case 2:
		t, err := time.Parse("2006-01", s)
		if err != nil {
			return FuzzyDate{}, fmt.Errorf("%q is not a valid month (use YYYY-MM)", s)
		}
		if precision == "" {
			precision = "month"
		}
		from := DateOf(t)
		return FuzzyDate{From: from, To: DateOf(t.AddDate(0, 1, -1)), Precision: precision}, nil
	}
	d, err := ParseDate(s)
	if err != nil {
		return FuzzyDate{}, err
	}
	if precision == "" {
		precision = "day"
	}
	return FuzzyDate{From: d, To: d, Precision: precision}, nil
}

// Text renders the fuzzy date in the form FuzzyFromText reads back.
func (f FuzzyDate) Text() string {
	switch {
	case f.From.IsZero():
		return ""
	case f.Precision == "year" && f.From.Month == 1 && f.From.Day == 1 && f.To == (Date{f.From.Year, 12, 31}):
		return strconv.Itoa(f.From.Year)
	case f.Precision == "month" && f.From.Day == 1 && f.To == DateOf(f.From.Time().AddDate(0, 1, -1)):
		return fmt.Sprintf("%04d-%02d", f.From.Year, int(f.From.Month))
	case f.From == f.To || f.To.IsZero():
		return f.From.String()
	}
	return f.From.String() + ".." + f.To.String()
}

// Validate checks the range and precision, reporting under field.
func (f FuzzyDate) Validate(p *Problems, field string, required bool) {
	if !DatePrecisions.Has(f.Precision) {
		p.Add(field, "unknown date precision %q", f.Precision)
	}
	if f.From.IsZero() {
		if required {
			p.Add(field, "a date is required")
		} else if f.Precision != Unknown && f.Precision != "" {
			p.Add(field, "a date is needed unless the precision is unknown")
		}
		return
	}
	if !f.To.IsZero() && f.To.Before(f.From) {
		p.Add(field, "the end of the date range is before its start")
	}
	checkPlausible(p, field, f.From)
	checkPlausible(p, field, f.To)
}

func checkPlausible(p *Problems, field string, d Date) {
	if d.Invalid() {
		p.Add(field, "is not a valid date (use YYYY-MM-DD)")
		return
	}
	if d.IsZero() {
		return
	}
	if d.Year < 1900 || d.Year > 2200 {
		p.Add(field, "the year %d is outside 1900–2200", d.Year)
	}
}
