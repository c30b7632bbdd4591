package evidence

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/jpeg"
)

// A JPEG is a list of marker segments; the compressed image follows the
// SOS segment. The stripped copy keeps only the segments a decoder needs
// (tables, frame and scan headers, the Adobe colour-transform flag) and
// drops every APPn and COM segment: EXIF (with GPS and the thumbnail), XMP,
// IPTC, ICC profiles, maker data. Nothing is re-encoded, so the picture is
// bit-for-bit the one taken.

const (
	mSOI   = 0xD8
	mEOI   = 0xD9
	mSOS   = 0xDA
	mAPP0  = 0xE0
	mAPP1  = 0xE1
	mAPP2  = 0xE2
	mAPP13 = 0xED
	mAPP14 = 0xEE
	mCOM   = 0xFE
)

var (
	exifHeader   = []byte("Exif\x00\x00")
	xmpHeader    = []byte("http://ns.adobe.com/xap/1.0/\x00")
	xmpExtHeader = []byte("http://ns.adobe.com/xmp/extension/\x00")
	psHeader     = []byte("Photoshop 3.0\x00")
)

type jpegScan struct {
	kept        [][]byte // whole segments (marker included) for the stripped copy
	orientation int
	hasFrame    bool
	hasScan     bool
	mpf         bool // a multi-picture (MPF) index: more images follow the first
	end         int  // offset just after EOI
}

func inspectJPEG(b []byte, r *inspection) error {
	s, err := scanJPEG(b, "EXIF", r)
	if err != nil {
		return err
	}
	// Phones write extra images (previews, depth maps) after the first one
	// and index them with MPF. They are accepted when they are themselves
	// well-formed JPEGs, their metadata is reported, and the copy drops them.
	rest := b[s.end:]
	for len(rest) > 0 && !allZero(rest) {
		if !s.mpf || len(rest) < 4 || rest[0] != 0xFF || rest[1] != mSOI {
			return trailingData("JPEG image")
		}
		sub, err := scanJPEG(rest, "EXIF (embedded image)", r)
		if err != nil {
			return err
		}
		rest = rest[sub.end:]
	}
	var out bytes.Buffer
	out.Write([]byte{0xFF, mSOI})
	if s.orientation > 1 {
		exif := append(append([]byte{}, exifHeader...), orientationEXIF(s.orientation)...)
		writeSegment(&out, mAPP1, exif)
	}
	for _, seg := range s.kept {
		out.Write(seg)
	}
	out.Write([]byte{0xFF, mEOI})
	r.stripped = out.Bytes()
	if _, err := jpeg.DecodeConfig(bytes.NewReader(r.stripped)); err != nil {
		return damaged("JPEG image")
	}
	return nil
}

func writeSegment(w *bytes.Buffer, marker byte, data []byte) {
	w.Write([]byte{0xFF, marker, byte((len(data) + 2) >> 8), byte(len(data) + 2)})
	w.Write(data)
}

func scanJPEG(b []byte, source string, r *inspection) (*jpegScan, error) {
	s := &jpegScan{}
	if len(b) < 4 || b[0] != 0xFF || b[1] != mSOI {
		return nil, damaged("JPEG image")
	}
	p := 2
	for {
		if p >= len(b) || b[p] != 0xFF {
			return nil, damaged("JPEG image")
		}
		for p < len(b) && b[p] == 0xFF { // fill bytes
			p++
		}
		if p >= len(b) {
			return nil, damaged("JPEG image")
		}
		marker := b[p]
		start := p - 1
		p++
		switch {
		case marker == mEOI:
			if !s.hasFrame || !s.hasScan {
				return nil, damaged("JPEG image")
			}
			s.end = p
			return s, nil
		case marker == mSOI, marker == 0x01, marker >= 0xD0 && marker <= 0xD7, marker == 0x00:
			return nil, damaged("JPEG image")
		}
		if p+2 > len(b) {
			return nil, damaged("JPEG image")
		}
		n := int(binary.BigEndian.Uint16(b[p:]))
		if n < 2 || p+n > len(b) {
			return nil, damaged("JPEG image")
		}
		data := b[p+2 : p+n]
		seg := b[start : p+n]
		p += n
		switch {
		case marker >= mAPP0 && marker <= 0xEF || marker == mCOM:
			r.textRegion(data)
			if marker == mAPP14 && bytes.HasPrefix(data, []byte("Adobe")) {
				s.kept = append(s.kept, seg) // the colour transform decoders need
				continue
			}
			if o := jpegMetadata(marker, data, source, r, s); o > 0 {
				s.orientation = o
			}
		case marker == 0xC4 || marker == 0xDB || marker == 0xDD || marker == 0xCC || marker == 0xDC:
			s.kept = append(s.kept, seg) // tables, restart interval, DNL
		case marker >= 0xC0 && marker <= 0xCF && marker != 0xC8:
			s.hasFrame = true
			s.kept = append(s.kept, seg)
		case marker == mSOS:
			if !s.hasFrame {
				return nil, damaged("JPEG image")
			}
			s.hasScan = true
			// Entropy-coded data runs to the next marker that is neither a
			// stuffed 0xFF00 nor a restart marker.
			q := p
			for {
				i := bytes.IndexByte(b[q:], 0xFF)
				if i < 0 || q+i+1 >= len(b) {
					return nil, damaged("JPEG image")
				}
				q += i + 1
				if c := b[q]; c == 0x00 || (c >= 0xD0 && c <= 0xD7) || c == 0xFF {
					if c != 0xFF {
						q++
					}
					continue
				}
				q-- // at the 0xFF of the next marker
				break
			}
			s.kept = append(s.kept, b[start:q])
			p = q
		default:
			// Anything else (JPG extensions, reserved markers) is not needed
			// to show the picture, so it is dropped, and reported since it
			// may hold data.
			r.meta.addKind("JPEG", fmt.Sprintf("segment 0x%02X", marker), fmt.Sprintf("%d bytes", len(data)), "other")
		}
	}
}

// jpegMetadata reports an APPn or COM segment; it returns the EXIF
// orientation when the segment carries one.
func jpegMetadata(marker byte, data []byte, source string, r *inspection, s *jpegScan) int {
	m := &r.meta
	switch {
	case marker == mAPP1 && bytes.HasPrefix(data, exifHeader):
		o, err := parseEXIF(data[len(exifHeader):], source, m)
		if err != nil {
			m.addKind(source, "EXIF block", fmt.Sprintf("unreadable (%d bytes)", len(data)), "other")
		}
		return o
	case marker == mAPP1 && bytes.HasPrefix(data, xmpHeader):
		parseXMP(data[len(xmpHeader):], "XMP", m)
	case marker == mAPP1 && bytes.HasPrefix(data, xmpExtHeader):
		m.addKind("XMP", "extended XMP", fmt.Sprintf("%d bytes", len(data)), "other")
	case marker == mAPP13 && bytes.HasPrefix(data, psHeader):
		parseIRB(data[len(psHeader):], m)
	case marker == mAPP2 && bytes.HasPrefix(data, []byte("MPF\x00")):
		s.mpf = true
	case marker == mAPP2 && bytes.HasPrefix(data, []byte("ICC_PROFILE\x00")):
		// A colour profile: dropped, nothing worth reporting.
	case marker == mAPP0 && (bytes.HasPrefix(data, []byte("JFIF\x00")) || bytes.HasPrefix(data, []byte("JFXX\x00"))):
		// Density and an optional thumbnail: dropped.
	case marker == mCOM:
		m.addKind("JPEG", "Comment", string(data), "text")
	default:
		name := fmt.Sprintf("APP%d segment", marker-mAPP0)
		if i := bytes.IndexByte(data, 0); i > 0 && i < 40 {
			name += " " + string(data[:i])
		}
		m.addKind("JPEG", name, fmt.Sprintf("%d bytes", len(data)), "other")
	}
	return 0
}

// IPTC-IIM datasets of record 2 that identify people, places or times.
var iptcNames = map[byte]string{
	5: "ObjectName", 25: "Keywords", 40: "SpecialInstructions", 55: "DateCreated", 60: "TimeCreated",
	62: "DigitalCreationDate", 65: "OriginatingProgram", 80: "By-line", 85: "By-lineTitle", 90: "City",
	92: "Sub-location", 95: "Province-State", 100: "CountryCode", 101: "Country", 103: "TransmissionReference",
	105: "Headline", 110: "Credit", 115: "Source", 116: "CopyrightNotice", 118: "Contact", 120: "Caption-Abstract",
	122: "Writer-Editor",
}

// parseIRB reads Photoshop image resources for the IPTC block (0x0404).
func parseIRB(b []byte, m *Metadata) {
	for p := 0; p+12 <= len(b); {
		if string(b[p:p+4]) != "8BIM" {
			return
		}
		id := binary.BigEndian.Uint16(b[p+4:])
		nameLen := int(b[p+6])
		q := p + 7 + nameLen
		if (nameLen+1)%2 == 1 {
			q++
		}
		if q+4 > len(b) {
			return
		}
		size := int(binary.BigEndian.Uint32(b[q:]))
		q += 4
		if size < 0 || q+size > len(b) {
			return
		}
		if id == 0x0404 {
			parseIPTC(b[q:q+size], m)
		}
		p = q + size + size%2
	}
}

func parseIPTC(b []byte, m *Metadata) {
	for p := 0; p+5 <= len(b); {
		if b[p] != 0x1C {
			return
		}
		rec, ds := b[p+1], b[p+2]
		n := int(binary.BigEndian.Uint16(b[p+3:]))
		p += 5
		if n&0x8000 != 0 || p+n > len(b) {
			return // extended lengths are not used for text
		}
		if rec == 2 && ds != 0 {
			name, ok := iptcNames[ds]
			if !ok {
				name = fmt.Sprintf("2:%d", ds)
			}
			m.add("IPTC", name, string(b[p:p+n]))
		}
		p += n
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
