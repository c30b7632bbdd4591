package demo

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"vigil/internal/domain"
)

// The compiled tables are embedded unchanged; SOURCE.md travels with them
// because it carries their provenance and licence.
//
//go:embed data/fi-eastern-border-2023
var dataFS embed.FS

const dataDir = "data/fi-eastern-border-2023"

// Data returns the scenario's embedded source tables (crossing points,
// closure timeline, published figures, GeoJSON) and their SOURCE.md, for
// commands that want to show provenance or export the raw tables.
func Data() fs.FS {
	sub, err := fs.Sub(dataFS, dataDir)
	if err != nil { // only possible if the embed directive and dataDir disagree
		panic(err)
	}
	return sub
}

// row is one CSV record addressed by column name.
type row map[string]string

// readCSV reads an embedded table and checks that every column the code
// relies on is present, so a changed header fails loudly instead of
// producing empty fields.
//
// loose names a free-text column whose unquoted commas may have split it
// into several fields; such a row is repaired by joining the surplus back
// into that column. The tables are kept byte-for-byte as compiled, and one
// row of official_figures.csv has exactly this defect in source_org.
func readCSV(name, loose string, need ...string) ([]row, error) {
	f, err := dataFS.Open(dataDir + "/" + name)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", name, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("demo: %s has no rows", name)
	}
	head := recs[0]
	have := map[string]bool{}
	for _, h := range head {
		have[h] = true
	}
	for _, n := range need {
		if !have[n] {
			return nil, fmt.Errorf("demo: %s lacks column %q", name, n)
		}
	}
	looseAt := -1
	for i, h := range head {
		if h == loose {
			looseAt = i
		}
	}
	out := make([]row, 0, len(recs)-1)
	for n, rec := range recs[1:] {
		if extra := len(rec) - len(head); extra > 0 && looseAt >= 0 {
			joined := strings.Join(rec[looseAt:looseAt+extra+1], ",")
			rec = append(append(append([]string(nil), rec[:looseAt]...), joined), rec[looseAt+extra+1:]...)
		}
		if len(rec) != len(head) {
			return nil, fmt.Errorf("demo: %s line %d has %d fields, want %d", name, n+2, len(rec), len(head))
		}
		r := row{}
		for i, h := range head {
			r[h] = strings.TrimSpace(rec[i])
		}
		out = append(out, r)
	}
	return out, nil
}

// RoadCrossingPoints are the eight road crossing points closed in November
// 2023; the timeline's "all road" means exactly these.
var RoadCrossingPoints = []string{"vaalimaa", "nuijamaa", "imatra", "niirala", "vartius", "kuusamo", "salla", "raja-jooseppi"}

// crossingNotes are the per-point notes in the project's words, built from
// the municipality, region, Border Guard district and Russian-side columns.
var crossingNotes = map[string]string{
	"vaalimaa": "Virolahti municipality, Kymenlaakso (FI-09); Southeast Finland Border Guard District. " +
		"Russian side: Torfyanovka, Vyborg district of Leningrad Oblast. The main road crossing towards St Petersburg, on the E18 (national road 7).",
	"nuijamaa": "Lappeenranta, South Karelia (FI-02); Southeast Finland Border Guard District. " +
		"Russian side: Brusnichnoye, Vyborg district of Leningrad Oblast. Road 13 runs beside the Saimaa Canal, whose traffic is also checked here.",
	"imatra": "Imatra, South Karelia (FI-02), at the Pelkola customs station; Southeast Finland Border Guard District. " +
		"Russian side: Svetogorsk, Leningrad Oblast. A road crossing; a separate freight railway crosses nearby at Imatrankoski.",
	"vainikkala": "Lappeenranta, South Karelia (FI-02); Southeast Finland Border Guard District. " +
		"Russian side: Buslovskaya station, Leningrad Oblast. Railway only: passenger services ended on 28 March 2022 and freight trains still run.",
	"parikkala": "Parikkala, South Karelia (FI-02); Southeast Finland Border Guard District. " +
		"Russian side: Syväoro, Republic of Karelia. A minor road crossing for limited traffic, shut since April 2022.",
	"niirala": "Tohmajärvi municipality, at Värtsilä, North Karelia (FI-13); North Karelia Border Guard District. " +
		"Russian side: Värtsilä (Vyartsilya), Sortavala district, Republic of Karelia. Road crossing where national road 9 ends, with a railway alongside.",
	"vartius": "Kuhmo, Kainuu (FI-05); Kainuu Border Guard District. " +
		"Russian side: Lyttä (Lyuttya) near Kostomuksha, Republic of Karelia. Road 89 and the Kontiomäki–Kostomuksha railway (Kivijärvi station on the Russian side).",
	"kuusamo": "Kuusamo, North Ostrobothnia (FI-14); the crossing used to be called Kortesalmi; Kainuu Border Guard District. " +
		"Russian side: Suoperä (Suoperya), Republic of Karelia. Road crossing.",
	"salla": "Salla, Lapland (FI-10), at Kelloselkä village where road 82 ends; Lapland Border Guard District. " +
		"Russian side: Salla, Kandalaksha district of Murmansk Oblast, some 75 km from Alakurtti. Road crossing.",
	"raja-jooseppi": "Inari, Lapland (FI-10), about 50 km from Ivalo along road 91; Lapland Border Guard District. " +
		"Russian side: Lotta, Kola district of Murmansk Oblast, roughly 230–240 km from Murmansk. Road crossing; in late November 2023 it opened only 10:00–14:00 each day.",
}

// crossingMode maps the table's free-text mode to the closed vocabulary.
// Imatra's separate freight railway is a different crossing, so Imatra
// stays "road".
func crossingMode(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "rail"):
		return "rail", nil
	case strings.HasPrefix(s, "road") && strings.Contains(s, " + rail"):
		return "road_rail", nil
	case strings.HasPrefix(s, "road"):
		return "road", nil
	}
	return "", fmt.Errorf("demo: unknown crossing mode %q", s)
}

// positionNote says in plain words how good a stored coordinate is.
func positionNote(basis string, acc *float64) string {
	km := ""
	if acc != nil {
		km = strconv.FormatFloat(*acc, 'f', -1, 64)
	}
	switch {
	case strings.HasPrefix(basis, "Finnish Wikipedia"):
		return "Position: the border station's surveyed coordinate as given by Finnish Wikipedia, good to about " + km + " km."
	case strings.HasPrefix(basis, "FMI weather station"):
		return "Position: that of the Finnish Meteorological Institute weather station next to the border station; the border line itself lies a little further east. Good to about " + km + " km."
	case strings.HasPrefix(basis, "point on generalised border line"):
		return "Position: approximate, where the simplified Natural Earth 1:10m border line meets the crossing; good to about " + km +
			" km. Check against OpenStreetMap or National Land Survey of Finland data before using it to find the nearest crossing."
	case strings.HasPrefix(basis, "no reliable coordinate"):
		return "Position: no reliable coordinate is known, so none is stored."
	}
	return "Position: basis not described."
}

func optFloat(s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("demo: %q is not a number", s)
	}
	return &v, nil
}

// crossingPoints parses crossing_points.csv.
func crossingPoints() ([]domain.CrossingPoint, error) {
	rows, err := readCSV("crossing_points.csv", "", "id", "fi_name", "ru_counterpart", "ru_counterpart_cyrillic",
		"fi_municipality", "mode", "lat", "lon", "accuracy_km", "coord_basis")
	if err != nil {
		return nil, err
	}
	out := make([]domain.CrossingPoint, 0, len(rows))
	for _, r := range rows {
		mode, err := crossingMode(r["mode"])
		if err != nil {
			return nil, err
		}
		lat, err := optFloat(r["lat"])
		if err != nil {
			return nil, err
		}
		lon, err := optFloat(r["lon"])
		if err != nil {
			return nil, err
		}
		acc, err := optFloat(r["accuracy_km"])
		if err != nil {
			return nil, err
		}
		note, ok := crossingNotes[r["id"]]
		if !ok {
			return nil, fmt.Errorf("demo: no note written for crossing point %q", r["id"])
		}
		muni, _, _ := strings.Cut(r["fi_municipality"], " (")
		out = append(out, domain.CrossingPoint{
			Code: r["id"],
			// English usage keeps the Finnish place name ("Vaalimaa border
			// crossing point"), so both name fields carry it.
			NameFI: r["fi_name"],
			NameEN: r["fi_name"],
			// In Russian the crossing is known by its Russian-side name
			// (МАПП Торфяновка), so NameRU holds the counterpart in Cyrillic
			// and Counterpart its Latin form.
			NameRU:       r["ru_counterpart_cyrillic"],
			Counterpart:  r["ru_counterpart"],
			Country:      "FI",
			OtherCountry: "RU",
			Municipality: muni,
			Mode:         mode,
			Lat:          lat,
			Lon:          lon,
			AccuracyKM:   acc,
			Notes:        note + " " + positionNote(r["coord_basis"], acc),
		})
	}
	return out, nil
}

// publishers names outlets by host; anything missing falls back to the host.
var publishers = map[string]string{
	"euobserver.com":       "EUobserver",
	"manualproofer.com":    "manualproofer.com",
	"yle.fi":               "Yle",
	"pledgetimes.com":      "Pledge Times",
	"mtvuutiset.fi":        "MTV Uutiset",
	"kaleva.fi":            "Kaleva",
	"news.err.ee":          "ERR News",
	"err.ee":               "ERR",
	"verkkouutiset.fi":     "Verkkouutiset",
	"demokraatti.fi":       "Demokraatti",
	"dailynorthern.com":    "Daily Northern",
	"egtre.info":           "egtre.info (travel wiki)",
	"aisoe.at":             "aisoe.at",
	"helsinkitimes.fi":     "Helsinki Times",
	"tulli.fi":             "Finnish Customs (Tulli)",
	"canindia.com":         "CanIndia",
	"abounderrattelser.fi": "Åbo Underrättelser",
	"valtioneuvosto.fi":    "Finnish Government",
	"intermin.fi":          "Ministry of the Interior of Finland",
	"seanews.ru":           "SeaNews",
	"europeaninterest.eu":  "European Interest",
}

// publisherOf names the outlet behind a source URL.
func publisherOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("demo: %q is not a source URL", raw)
	}
	h := strings.ToLower(u.Host)
	if p, ok := publishers[h]; ok {
		return p, nil
	}
	if p, ok := publishers[strings.TrimPrefix(h, "www.")]; ok {
		return p, nil
	}
	return strings.TrimPrefix(h, "www."), nil
}

// producers expands the short producer names used in source_org.
var producers = map[string]string{
	"Finnish Border Guard":           "Finnish Border Guard",
	"Lapland Border Guard":           "Lapland Border Guard District",
	"Southeast Finland Border Guard": "Southeast Finland Border Guard District",
	"HS":                             "Helsingin Sanomat (HS)",
	"Migri":                          "Finnish Immigration Service (Migri)",
	"Migri press conference":         "Finnish Immigration Service (Migri), press conference",
}

func squash(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }

// splitSourceOrg turns "X via Y" into who counted (X) and who published
// what we read (the outlet at the URL, with Y added when it is a different
// outlet). Without "via" the producer is not stated by the source.
func splitSourceOrg(org, rawURL string) (producer, publisher string, err error) {
	publisher, err = publisherOf(rawURL)
	if err != nil {
		return "", "", err
	}
	x, via, ok := strings.Cut(org, " via ")
	if !ok {
		return "Not stated (reported by " + publisher + ")", publisher, nil
	}
	if i := strings.Index(x, " ("); i >= 0 { // "Migri (Juho Repo)": keep the organisation
		x = x[:i]
	}
	producer = x
	if p, ok := producers[x]; ok {
		producer = p
	}
	if !strings.Contains(squash(via), squash(publisher)) && !strings.Contains(squash(publisher), squash(via)) {
		publisher += " (citing " + via + ")"
	}
	return producer, publisher, nil
}

// policyDetails are the timeline rows in the project's words, keyed by the
// raw date and crossing_ids cells.
var policyDetails = map[string]string{
	"2022-03-28|all rail passenger": "VR stopped the Allegro and Tolstoi passenger trains between Finland and Russia. Freight trains keep using Vainikkala, so the rail crossing is restricted rather than shut.",
	"2022-04|parikkala":             "The Parikkala–Syväoro crossing was shut with no end date.",
	"2023-11-16|vaalimaa;nuijamaa;imatra;niirala": "The Government decided to shut the four southern road crossings (Vaalimaa, Nuijamaa, Imatra, Niirala) from 00:00 on 18 November 2023 until 18 February 2024. " +
		"People seeking asylum were directed to Vartius and Salla in the north instead.",
	"2023-11-17T20:00|niirala":                  "Niirala stopped traffic at 20:00 on 17 November, a few hours before the decided closure began.",
	"2023-11-18T00:00|vaalimaa;nuijamaa;imatra": "Vaalimaa, Nuijamaa and Imatra shut at midnight between 17 and 18 November. Vartius, Kuusamo, Salla and Raja-Jooseppi stayed open.",
	"2023-11-22|kuusamo;salla;vartius": "The Government decided to shut Kuusamo, Salla and Vartius as well, from 00:00 on 24 November until 23 December 2023. " +
		"That left Raja-Jooseppi, open four hours a day (10:00–14:00), as the one place on the land border to cross or to seek asylum.",
	"2023-11-24T00:00|kuusamo;salla;vartius": "Kuusamo, Salla and Vartius shut; Raja-Jooseppi was now the only crossing open to passengers.",
	"2023-11-28|raja-jooseppi": "The Government decided to shut Raja-Jooseppi too: 29 November would be its last open day, and the whole land border would stay shut from 00:00 on 30 November until 13 December 2023. " +
		"Freight trains through Vainikkala were not affected.",
	"2023-11-30T00:00|raja-jooseppi":    "Raja-Jooseppi shut, so all eight road crossings on the eastern border were closed to passengers and road freight alike.",
	"2023-12-12|vaalimaa;niirala":       "The Government decided to open Vaalimaa and Niirala again from 14 December until 14 January 2024, with asylum applications accepted there.",
	"2023-12-14T00:00|vaalimaa;niirala": "Vaalimaa and Niirala opened again at midnight between 13 and 14 December.",
	"2023-12-14|vaalimaa;niirala":       "On the evening of the reopening day the Government decided to close every land crossing once more, from 20:00 on 15 December until 14 January 2024.",
	"2023-12-15T20:00|vaalimaa;niirala": "Vaalimaa and Niirala shut at 20:00, closing the entire eastern land border once more.",
	"2024-01-11|all road":               "The closure was prolonged to 11 February 2024; no land crossing accepted asylum applications.",
	"2024-02-08|all road":               "The closure was prolonged to 14 April 2024. Goods trains through Vainikkala kept running; asylum could be sought only at airports and sea ports.",
	"2024-04|all road + leisure-boat sea points": "From 15 April 2024 the land crossings stay shut until further notice, and the leisure-boat points at Haapasaari, Nuijamaa harbour and Santio close too; freight rail through Vainikkala continues. " +
		"The decision is reported as announced on 4 April 2024; that date still needs checking.",
	"2024-07-12|n/a": "Parliament passed a temporary act on countering instrumentalised migration, 167 votes to 31. The President approved it on 16 July and it took effect on 22 July 2024 for one year.",
}

// timelinePoints resolves the crossing_ids cell.
func timelinePoints(cell string) ([]string, error) {
	switch cell {
	case "n/a":
		return nil, nil
	case "all rail passenger":
		return []string{"vainikkala"}, nil // the only passenger rail crossing
	case "all road", "all road + leisure-boat sea points":
		return append([]string(nil), RoadCrossingPoints...), nil
	}
	pts := strings.Split(cell, ";")
	for _, p := range pts {
		if p == "" {
			return nil, fmt.Errorf("demo: empty crossing id in %q", cell)
		}
	}
	return pts, nil
}

// policyEvents parses closure_timeline.csv.
func policyEvents(known map[string]bool) ([]domain.PolicyEvent, error) {
	rows, err := readCSV("closure_timeline.csv", "", "date", "crossing_ids", "event", "source_url")
	if err != nil {
		return nil, err
	}
	out := make([]domain.PolicyEvent, 0, len(rows))
	for _, r := range rows {
		key := r["date"] + "|" + r["crossing_ids"]
		detail, ok := policyDetails[key]
		if !ok {
			return nil, fmt.Errorf("demo: no detail written for timeline row %q", key)
		}
		day, hhmm, _ := strings.Cut(r["date"], "T")
		when, err := domain.FuzzyFromText(day, "")
		if err != nil {
			return nil, fmt.Errorf("demo: timeline row %q: %w", key, err)
		}
		pts, err := timelinePoints(r["crossing_ids"])
		if err != nil {
			return nil, err
		}
		for _, p := range pts {
			if !known[p] {
				return nil, fmt.Errorf("demo: timeline row %q names unknown crossing point %q", key, p)
			}
		}
		kind := r["event"]
		if r["crossing_ids"] == "all rail passenger" {
			kind = "restricted" // passenger trains stopped, freight goes on
		}
		if !domain.PolicyEventKinds.Has(kind) {
			return nil, fmt.Errorf("demo: timeline row %q has unknown event %q", key, kind)
		}
		pub, err := publisherOf(r["source_url"])
		if err != nil {
			return nil, err
		}
		out = append(out, domain.PolicyEvent{
			When:           when,
			Time:           hhmm,
			Kind:           kind,
			CrossingPoints: pts,
			Detail:         detail,
			// RetrievedOn stays zero: the tables do not say when each page was read.
			Source: domain.Source{Publisher: pub, URL: r["source_url"]},
		})
	}
	return out, nil
}
