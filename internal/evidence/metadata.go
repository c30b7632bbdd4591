package evidence

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Metadata is what a file says about itself beyond its content: the camera,
// the time it was taken, where, who made it, with which program. It can
// identify a witness, so it is kept only in the private attachment record
// and removed from every copy that can leave the system.
type Metadata struct {
	Fields []Field `json:"fields,omitempty"`
	// GPS is the first position found (EXIF, XMP or an MP4 location).
	GPS *GPS `json:"gps,omitempty"`
}

// Field is one piece of embedded metadata.
type Field struct {
	Source string `json:"source"` // EXIF, XMP, IPTC, PNG, PDF, ID3, Vorbis, MP4, RIFF, JPEG
	Name   string `json:"name"`
	Value  string `json:"value"`
	// Kind groups fields for display: device, time, place, person,
	// software, text or other.
	Kind string `json:"kind"`
}

// GPS is a position recorded in a file.
type GPS struct {
	Lat    float64  `json:"lat"`
	Lon    float64  `json:"lon"`
	Alt    *float64 `json:"alt,omitempty"`
	Source string   `json:"source"`
}

// String writes the position the way maps accept it.
func (g GPS) String() string {
	s := fmt.Sprintf("%.6f, %.6f", g.Lat, g.Lon)
	if g.Alt != nil {
		s += fmt.Sprintf(" (%.1f m)", *g.Alt)
	}
	return s
}

// Empty reports whether nothing was found.
func (m Metadata) Empty() bool { return len(m.Fields) == 0 && m.GPS == nil }

// Of returns the fields of one kind.
func (m Metadata) Of(kind string) []Field {
	var out []Field
	for _, f := range m.Fields {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// Limits keep one hostile file from filling the record.
const (
	maxFields     = 200
	maxFieldValue = 500 // runes
)

// add records a field; the kind is guessed from the name.
func (m *Metadata) add(source, name, value string) {
	m.addKind(source, name, value, kindOf(name))
}

func (m *Metadata) addKind(source, name, value, kind string) {
	value = cleanValue(value)
	name = cleanValue(name)
	if value == "" || name == "" || len(m.Fields) >= maxFields {
		return
	}
	m.Fields = append(m.Fields, Field{Source: source, Name: name, Value: value, Kind: kind})
}

// setGPS keeps the first position found and records it as fields too, so
// that a reader of the field list sees it.
func (m *Metadata) setGPS(source string, lat, lon float64, alt *float64) {
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		m.addKind(source, "GPS position (invalid)", fmt.Sprintf("%g, %g", lat, lon), "place")
		return
	}
	g := GPS{Lat: lat, Lon: lon, Alt: alt, Source: source}
	m.addKind(source, "GPS position", g.String(), "place")
	if m.GPS == nil {
		m.GPS = &g
	}
}

// cleanValue makes embedded text safe to keep and show: valid UTF-8, no
// control or bidirectional-override characters, trimmed and bounded.
func cleanValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case unicode.IsControl(r), isBidiControl(r), r == '\uFEFF':
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxFieldValue {
		s = string([]rune(s)[:maxFieldValue]) + "…"
	}
	return s
}

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// kindOf guesses a field's kind from its name, for display only.
func kindOf(name string) string {
	n := strings.ToLower(name)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(n, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("gps", "location", "latitude", "longitude", "altitude", "city", "country", "sublocation", "province", "state", "6709", "©xyz"):
		return "place"
	case has("date", "time", "year", "created", "modified", "©day", "icrd"):
		return "time"
	case has("owner", "artist", "author", "by-line", "byline", "copyright", "rights", "credit", "person", "originator", "engineer", "technician", "iart", "ieng", "itch", "©art", "tpe", "tcom", "tenc", "writer", "contact", "region"):
		return "person"
	case has("make", "model", "serial", "lens", "camera", "device", "uniqueid", "hostcomputer", "makernote", "documentid", "instanceid"):
		return "device"
	case has("software", "producer", "tool", "encoder", "vendor", "tsse", "isft", "©too", "history"):
		return "software"
	case has("creator"):
		return "person"
	case has("title", "comment", "description", "subject", "keyword", "caption", "headline", "lyrics", "note", "text", "album", "©nam", "©cmt"):
		return "text"
	}
	return "other"
}
