package evidence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf16"
)

// EXIF is a TIFF structure: a byte-order mark, then linked directories
// (IFDs) of tagged values. Only the tags that say something about the
// device, the time, the place or the people are reported; the rest is
// dropped with the segment that carries it.

var errEXIF = errors.New("malformed EXIF")

type exifTag struct {
	name, kind string
}

var exifIFD0Tags = map[uint16]exifTag{
	0x010E: {"ImageDescription", "text"},
	0x010F: {"Make", "device"},
	0x0110: {"Model", "device"},
	0x0131: {"Software", "software"},
	0x0132: {"DateTime", "time"},
	0x013B: {"Artist", "person"},
	0x013C: {"HostComputer", "device"},
	0x8298: {"Copyright", "person"},
	0x9C9B: {"XPTitle", "text"},
	0x9C9C: {"XPComment", "text"},
	0x9C9D: {"XPAuthor", "person"},
	0x9C9E: {"XPKeywords", "text"},
	0x9C9F: {"XPSubject", "text"},
}

var exifSubTags = map[uint16]exifTag{
	0x9003: {"DateTimeOriginal", "time"},
	0x9004: {"DateTimeDigitized", "time"},
	0x9010: {"OffsetTime", "time"},
	0x9011: {"OffsetTimeOriginal", "time"},
	0x9012: {"OffsetTimeDigitized", "time"},
	0x9286: {"UserComment", "text"},
	0x927C: {"MakerNote", "device"},
	0xA420: {"ImageUniqueID", "device"},
	0xA430: {"CameraOwnerName", "person"},
	0xA431: {"BodySerialNumber", "device"},
	0xA433: {"LensMake", "device"},
	0xA434: {"LensModel", "device"},
	0xA435: {"LensSerialNumber", "device"},
}

const (
	tagOrientation = 0x0112
	tagExifIFD     = 0x8769
	tagGPSIFD      = 0x8825
)

type tiff struct {
	b  []byte
	bo binary.ByteOrder
}

type ifdEntry struct {
	tag, typ uint16
	count    uint32
	val      []byte // the value bytes, inline or at their offset
}

var typeSize = map[uint16]uint32{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// parseEXIF reads a TIFF structure (from its byte-order mark on) into m and
// returns the image orientation (0 when absent).
func parseEXIF(b []byte, source string, m *Metadata) (orientation int, err error) {
	if len(b) < 8 {
		return 0, errEXIF
	}
	t := tiff{b: b}
	switch string(b[:4]) {
	case "II*\x00":
		t.bo = binary.LittleEndian
	case "MM\x00*":
		t.bo = binary.BigEndian
	default:
		return 0, errEXIF
	}
	seen := map[uint32]bool{}
	ifd0, err := t.ifd(t.bo.Uint32(b[4:]), seen)
	if err != nil {
		return 0, err
	}
	for _, e := range ifd0 {
		switch e.tag {
		case tagOrientation:
			if v, ok := t.uint(e); ok && v <= 8 {
				orientation = int(v)
			}
		case tagExifIFD:
			if off, ok := t.uint(e); ok {
				sub, err := t.ifd(off, seen)
				if err != nil {
					return orientation, err
				}
				t.report(sub, exifSubTags, source, m)
			}
		case tagGPSIFD:
			if off, ok := t.uint(e); ok {
				gps, err := t.ifd(off, seen)
				if err != nil {
					return orientation, err
				}
				t.reportGPS(gps, source, m)
			}
		}
	}
	t.report(ifd0, exifIFD0Tags, source, m)
	return orientation, nil
}

// ifd reads one directory; seen guards against loops between directories.
func (t tiff) ifd(off uint32, seen map[uint32]bool) ([]ifdEntry, error) {
	if seen[off] || len(seen) > 16 {
		return nil, errEXIF
	}
	seen[off] = true
	if uint64(off)+2 > uint64(len(t.b)) {
		return nil, errEXIF
	}
	n := int(t.bo.Uint16(t.b[off:]))
	if n > 1000 || uint64(off)+2+uint64(n)*12 > uint64(len(t.b)) {
		return nil, errEXIF
	}
	out := make([]ifdEntry, 0, n)
	for i := 0; i < n; i++ {
		p := off + 2 + uint32(i)*12
		e := ifdEntry{tag: t.bo.Uint16(t.b[p:]), typ: t.bo.Uint16(t.b[p+2:]), count: t.bo.Uint32(t.b[p+4:])}
		size, ok := typeSize[e.typ]
		if !ok {
			continue // an unknown type says nothing we report
		}
		total := uint64(size) * uint64(e.count)
		if total <= 4 {
			e.val = t.b[p+8 : p+8+uint32(total)]
		} else {
			vo := uint64(t.bo.Uint32(t.b[p+8:]))
			if vo+total > uint64(len(t.b)) {
				continue // a value pointing outside the segment is skipped, not trusted
			}
			e.val = t.b[vo : vo+total]
		}
		out = append(out, e)
	}
	return out, nil
}

func (t tiff) uint(e ifdEntry) (uint32, bool) {
	switch {
	case e.typ == 3 && len(e.val) >= 2:
		return uint32(t.bo.Uint16(e.val)), true
	case (e.typ == 4 || e.typ == 9) && len(e.val) >= 4:
		return t.bo.Uint32(e.val), true
	}
	return 0, false
}

func (t tiff) rationals(e ifdEntry) []float64 {
	if e.typ != 5 && e.typ != 10 {
		return nil
	}
	var out []float64
	for i := 0; i+8 <= len(e.val); i += 8 {
		n, d := t.bo.Uint32(e.val[i:]), t.bo.Uint32(e.val[i+4:])
		var f float64
		if e.typ == 10 {
			if int32(d) != 0 {
				f = float64(int32(n)) / float64(int32(d))
			}
		} else if d != 0 {
			f = float64(n) / float64(d)
		}
		out = append(out, f)
	}
	return out
}

// text renders a value for display.
func (t tiff) text(e ifdEntry) string {
	switch {
	case e.tag >= 0x9C9B && e.tag <= 0x9C9F: // Windows XP tags: UTF-16LE in BYTE
		return utf16LE(e.val)
	case e.tag == 0x9286: // UserComment: an 8-byte charset code, then text
		if len(e.val) < 8 {
			return ""
		}
		code, body := string(e.val[:8]), e.val[8:]
		if strings.HasPrefix(code, "UNICODE") {
			if t.bo == binary.LittleEndian {
				return utf16LE(body)
			}
			return utf16BE(body)
		}
		return strings.TrimRight(string(body), "\x00 ")
	case e.tag == 0x927C:
		return fmt.Sprintf("present (%d bytes)", len(e.val))
	case e.typ == 2 || e.typ == 7 || e.typ == 1:
		return strings.TrimRight(string(e.val), "\x00 ")
	case e.typ == 3 || e.typ == 4:
		v, _ := t.uint(e)
		return fmt.Sprint(v)
	case e.typ == 5 || e.typ == 10:
		var parts []string
		for _, f := range t.rationals(e) {
			parts = append(parts, fmt.Sprintf("%g", f))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func (t tiff) report(entries []ifdEntry, tags map[uint16]exifTag, source string, m *Metadata) {
	for _, e := range entries {
		if tag, ok := tags[e.tag]; ok {
			m.addKind(source, tag.name, t.text(e), tag.kind)
		}
	}
}

func (t tiff) reportGPS(entries []ifdEntry, source string, m *Metadata) {
	var (
		lat, lon, alt          []float64
		latRef, lonRef, altRef string
		date, clock            string
	)
	for _, e := range entries {
		switch e.tag {
		case 1:
			latRef = strings.TrimRight(string(e.val), "\x00")
		case 2:
			lat = t.rationals(e)
		case 3:
			lonRef = strings.TrimRight(string(e.val), "\x00")
		case 4:
			lon = t.rationals(e)
		case 5:
			if len(e.val) > 0 && e.val[0] == 1 {
				altRef = "below"
			}
		case 6:
			alt = t.rationals(e)
		case 7:
			if r := t.rationals(e); len(r) == 3 {
				clock = fmt.Sprintf("%02d:%02d:%02d", int(r[0]), int(r[1]), int(r[2]))
			}
		case 0x1D:
			date = strings.TrimRight(string(e.val), "\x00")
		case 0x12:
			m.addKind(source, "GPSMapDatum", string(e.val), "place")
		}
	}
	if date != "" || clock != "" {
		m.addKind(source, "GPSDateTime", strings.TrimSpace(date+" "+clock+" UTC"), "time")
	}
	if len(lat) != 3 || len(lon) != 3 {
		if len(lat)+len(lon) > 0 {
			m.addKind(source, "GPS position (incomplete)", fmt.Sprint(lat, latRef, lon, lonRef), "place")
		}
		return
	}
	la := dms(lat)
	lo := dms(lon)
	if strings.HasPrefix(latRef, "S") {
		la = -la
	}
	if strings.HasPrefix(lonRef, "W") {
		lo = -lo
	}
	var altp *float64
	if len(alt) == 1 && !math.IsNaN(alt[0]) {
		a := alt[0]
		if altRef == "below" {
			a = -a
		}
		altp = &a
	}
	m.setGPS(source, la, lo, altp)
}

func dms(v []float64) float64 { return v[0] + v[1]/60 + v[2]/3600 }

func utf16LE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, binary.LittleEndian.Uint16(b[i:]))
	}
	return strings.TrimRight(string(utf16.Decode(u)), "\x00")
}

func utf16BE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, binary.BigEndian.Uint16(b[i:]))
	}
	return strings.TrimRight(string(utf16.Decode(u)), "\x00")
}

// orientationEXIF is a minimal EXIF block holding only the orientation, so
// that a stripped photo taken with the phone on its side still displays
// upright. It says nothing about the device, time or place.
func orientationEXIF(o int) []byte {
	b := []byte("MM\x00*\x00\x00\x00\x08" + // big-endian TIFF, IFD0 at 8
		"\x00\x01" + // one entry
		"\x01\x12\x00\x03\x00\x00\x00\x01") // Orientation, SHORT, count 1
	b = append(b, byte(o>>8), byte(o), 0, 0) // value, padded
	return append(b, 0, 0, 0, 0)             // no next IFD
}

// errFormat is an internal parse failure; callers turn it into a message.
var errFormat = errors.New("malformed data")
