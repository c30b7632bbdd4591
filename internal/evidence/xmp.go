package evidence

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// XMP is RDF/XML. Every property of a known namespace is reported under
// its usual prefix ("exif:GPSLatitude", "dc:creator"); structure (rdf:Seq,
// rdf:li, …) is flattened into the enclosing property. Camera-raw
// development settings are skipped: they are many and identify nobody.

var xmpPrefixes = map[string]string{
	"http://ns.adobe.com/exif/1.0/":                        "exif",
	"http://cipa.jp/exif/1.0/":                             "exifEX",
	"http://ns.adobe.com/tiff/1.0/":                        "tiff",
	"http://ns.adobe.com/xap/1.0/":                         "xmp",
	"http://ns.adobe.com/xap/1.0/mm/":                      "xmpMM",
	"http://ns.adobe.com/xap/1.0/rights/":                  "xmpRights",
	"http://purl.org/dc/elements/1.1/":                     "dc",
	"http://ns.adobe.com/photoshop/1.0/":                   "photoshop",
	"http://ns.adobe.com/exif/1.0/aux/":                    "aux",
	"http://ns.adobe.com/pdf/1.3/":                         "pdf",
	"http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/":          "Iptc4xmpCore",
	"http://iptc.org/std/Iptc4xmpExt/2008-02-29/":          "Iptc4xmpExt",
	"http://www.metadataworkinggroup.com/schemas/regions/": "mwg-rs",
	"http://ns.google.com/photos/1.0/camera/":              "GCamera",
	"http://ns.google.com/photos/1.0/panorama/":            "GPano",
	"http://www.dji.com/drone-dji/1.0/":                    "drone-dji",
	"http://ns.microsoft.com/photo/1.0/":                   "MicrosoftPhoto",
	"http://ns.apple.com/faceinfo/1.0/":                    "apple-fi",
}

const (
	nsRDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsX   = "adobe:ns:meta/"
	nsCRS = "http://ns.adobe.com/camera-raw-settings/1.0/"
	nsXML = "http://www.w3.org/XML/1998/namespace"
	nsNS  = "xmlns"
)

func xmpName(n xml.Name) string {
	if p, ok := xmpPrefixes[n.Space]; ok {
		return p + ":" + n.Local
	}
	if n.Space == "" {
		return n.Local
	}
	// An unknown schema: name it by the last part of its URI.
	s := strings.TrimRight(n.Space, "/#")
	if i := strings.LastIndexAny(s, "/#:"); i >= 0 {
		s = s[i+1:]
	}
	return s + ":" + n.Local
}

func skipNS(space string) bool {
	return space == nsRDF || space == nsX || space == nsCRS || space == nsXML || space == nsNS || space == "xmlns"
}

// parseXMP reads an XMP packet into m. It never fails: a broken packet
// yields what could be read, and is removed from the copy anyway.
func parseXMP(b []byte, source string, m *Metadata) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var (
		stack []string // property names of the open elements, "" for structure
		text  strings.Builder
		gps   = map[string]string{}
	)
	prop := func() string {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i] != "" {
				return stack[i]
			}
		}
		return ""
	}
	emit := func(name, value string) {
		value = strings.TrimSpace(value)
		if value == "" || name == "" {
			return
		}
		switch name {
		case "exif:GPSLatitude", "exif:GPSLongitude", "exif:GPSAltitude", "exif:GPSAltitudeRef":
			gps[name] = value
		}
		m.add(source, name, value)
	}
	for n := 0; n < 100000; n++ {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := ""
			if !skipNS(t.Name.Space) {
				name = xmpName(t.Name)
			}
			// Properties written as attributes (rdf:Description exif:Make="…").
			for _, a := range t.Attr {
				if skipNS(a.Name.Space) || a.Name.Space == "" {
					continue
				}
				emit(xmpName(a.Name), a.Value)
			}
			stack = append(stack, name)
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			if s := strings.TrimSpace(text.String()); s != "" {
				emit(prop(), s)
			}
			text.Reset()
			stack = stack[:len(stack)-1]
		}
	}
	lat, okLat := xmpCoord(gps["exif:GPSLatitude"])
	lon, okLon := xmpCoord(gps["exif:GPSLongitude"])
	if okLat && okLon {
		var alt *float64
		if a, ok := rational(gps["exif:GPSAltitude"]); ok {
			if gps["exif:GPSAltitudeRef"] == "1" {
				a = -a
			}
			alt = &a
		}
		m.setGPS(source, lat, lon, alt)
	}
}

// xmpCoord reads "DDD,MM.mmk" or "DDD,MM,SSk" (XMP's GPSCoordinate).
func xmpCoord(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, false
	}
	ref := s[len(s)-1]
	sign := 1.0
	switch ref {
	case 'N', 'E', 'n', 'e':
	case 'S', 'W', 's', 'w':
		sign = -1
	default:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
		return 0, false
	}
	parts := strings.Split(s[:len(s)-1], ",")
	var v float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || i > 2 {
			return 0, false
		}
		v += f / []float64{1, 60, 3600}[i]
	}
	return sign * v, true
}

func rational(s string) (float64, bool) {
	n, d, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	a, err1 := strconv.ParseFloat(n, 64)
	b, err2 := strconv.ParseFloat(d, 64)
	if err1 != nil || err2 != nil || b == 0 {
		return 0, false
	}
	return a / b, true
}
