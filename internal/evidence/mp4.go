package evidence

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// M4A is an ISO base media file: nested boxes (size, type, payload). Tags
// live in udta and meta boxes (title, artist, the recording app, and on
// phones the place: ©xyz or com.apple.quicktime.location.ISO6709), and the
// movie, track and media headers carry creation times. The copy renames
// every metadata box to "free" with its payload zeroed and zeroes the
// times, so no box moves and the sample offsets stay valid.

var mp4Brands = map[string]bool{"M4A ": true, "M4B ": true, "mp42": true, "mp41": true, "isom": true, "iso2": true,
	"iso4": true, "iso5": true, "iso6": true, "3gp4": true, "3gp5": true, "3gp6": true, "3g2a": true, "MSNV": true}

// audioBrand reports whether the ftyp box names a brand an M4A may use;
// the tracks are checked later.
func audioBrand(b []byte) bool {
	if len(b) < 12 {
		return false
	}
	return mp4Brands[string(b[8:12])]
}

type mp4Box struct {
	typ        string
	start, end int // the whole box
	body       int // where the payload starts
}

func mp4Boxes(b []byte, start, end int) ([]mp4Box, bool) {
	var out []mp4Box
	for p := start; p < end; {
		if end-p < 8 {
			return nil, false
		}
		size := int64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		hdr := 8
		switch size {
		case 0:
			size = int64(end - p)
		case 1:
			if end-p < 16 {
				return nil, false
			}
			size = int64(binary.BigEndian.Uint64(b[p+8:]))
			hdr = 16
		}
		if size < int64(hdr) || size > int64(end-p) {
			return nil, false
		}
		out = append(out, mp4Box{typ: typ, start: p, end: p + int(size), body: p + hdr})
		p += int(size)
		if len(out) > 100000 {
			return nil, false
		}
	}
	return out, true
}

type mp4Scan struct {
	b      []byte
	out    []byte // the copy, edited in place
	r      *inspection
	tracks int
	keys   []string // mdta key names, for ilst items indexed by number
	depth  int
}

func inspectMP4(b []byte, r *inspection) error {
	const label = "M4A audio"
	top, ok := mp4Boxes(b, 0, len(b))
	if !ok || len(top) == 0 || top[0].typ != "ftyp" {
		return damaged(label)
	}
	s := &mp4Scan{b: b, out: append([]byte{}, b...), r: r}
	moov := false
	for _, bx := range top {
		switch bx.typ {
		case "ftyp", "mdat", "moof", "mfra", "sidx", "styp", "pdin":
		case "moov":
			moov = true
			if err := s.walk(bx); err != nil {
				return err
			}
		case "free", "skip", "wide":
			s.blank(bx, "")
		case "meta", "udta", "uuid", "Xtra":
			s.meta(bx)
			s.blank(bx, "")
		default:
			s.blank(bx, fmt.Sprintf("box %q", bx.typ))
		}
	}
	if !moov {
		return damaged(label)
	}
	if s.tracks == 0 {
		return damaged(label)
	}
	r.stripped = s.out
	return nil
}

// blank turns a box into a "free" box of the same size with zeroed
// payload; a non-empty what reports it.
func (s *mp4Scan) blank(bx mp4Box, what string) {
	if what != "" {
		s.r.meta.addKind("MP4", what, fmt.Sprintf("%d bytes", bx.end-bx.start), "other")
	}
	copy(s.out[bx.start+4:], "free") // a 64-bit size field stays as it is
	clear(s.out[bx.body:bx.end])
}

var mp4Containers = map[string]bool{"moov": true, "trak": true, "mdia": true, "minf": true, "stbl": true, "edts": true, "dinf": true}

func (s *mp4Scan) walk(parent mp4Box) error {
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > 16 {
		return damaged("M4A audio")
	}
	kids, ok := mp4Boxes(s.b, parent.body, parent.end)
	if !ok {
		return damaged("M4A audio")
	}
	for _, bx := range kids {
		switch {
		case bx.typ == "trak":
			s.tracks++
			if err := s.walk(bx); err != nil {
				return err
			}
		case mp4Containers[bx.typ]:
			if err := s.walk(bx); err != nil {
				return err
			}
		case bx.typ == "hdlr" && parent.typ == "mdia":
			if bx.body+12 > bx.end {
				return damaged("M4A audio")
			}
			if h := string(s.b[bx.body+8 : bx.body+12]); h != "soun" {
				return invalid("the file contains a %q track; only audio-only M4A files are accepted (video is not)", h)
			}
		case bx.typ == "mvhd" || bx.typ == "tkhd" || bx.typ == "mdhd":
			s.times(bx)
		case bx.typ == "udta" || bx.typ == "meta" || bx.typ == "uuid":
			s.meta(bx)
			s.blank(bx, "")
		}
	}
	return nil
}

// times reports and zeroes the creation and modification times of a
// movie, track or media header.
func (s *mp4Scan) times(bx mp4Box) {
	p := bx.body
	if p+4 > bx.end {
		return
	}
	v1 := s.b[p] == 1
	p += 4
	n := 4
	if v1 {
		n = 8
	}
	if p+2*n > bx.end {
		return
	}
	for i, name := range []string{"Created", "Modified"} {
		var secs uint64
		if v1 {
			secs = binary.BigEndian.Uint64(s.b[p+i*n:])
		} else {
			secs = uint64(binary.BigEndian.Uint32(s.b[p+i*n:]))
		}
		// Track and media headers repeat the movie's times: only the
		// movie's are reported, all are zeroed.
		if secs != 0 && bx.typ == "mvhd" {
			t := time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(secs) * time.Second)
			s.r.meta.addKind("MP4", name, t.Format("2006-01-02 15:04:05 UTC"), "time")
		}
	}
	clear(s.out[p : p+2*n])
}

// meta reports what a udta, meta or uuid box holds.
func (s *mp4Scan) meta(bx mp4Box) {
	s.r.textRegion(s.b[bx.body:bx.end])
	if s.depth > 12 {
		return
	}
	s.depth++
	defer func() { s.depth-- }()
	start := bx.body
	switch bx.typ {
	case "uuid":
		if bx.end-bx.body > 16 {
			parseXMP(s.b[bx.body+16:bx.end], "XMP", &s.r.meta)
		}
		return
	case "meta":
		// ISO meta is a full box (4 bytes of version and flags); the
		// QuickTime one is not. Tell them apart by what follows.
		if start+8 <= bx.end && string(s.b[start+4:start+8]) != "hdlr" && string(s.b[start+4:start+8]) != "keys" {
			start += 4
		}
	}
	kids, ok := mp4Boxes(s.b, start, bx.end)
	if !ok {
		s.r.meta.addKind("MP4", bx.typ, fmt.Sprintf("unreadable (%d bytes)", bx.end-bx.start), "other")
		return
	}
	for _, k := range kids {
		switch k.typ {
		case "meta", "udta":
			s.meta(k)
		case "keys":
			s.keys = mdtaKeys(s.b[k.body:k.end])
		case "ilst":
			s.ilst(k)
		case "hdlr", "free":
		case "\xA9xyz":
			// QuickTime user data: a 16-bit length and language, then text.
			if k.end-k.body > 4 {
				v := string(s.b[k.body+4 : k.end])
				s.r.meta.addKind("MP4", "Location (©xyz)", v, "place")
				s.iso6709(v)
			}
		default:
			v := s.b[k.body:k.end]
			if len(k.typ) == 4 && k.typ[0] == 0xA9 && len(v) > 4 { // ©-named QuickTime text
				s.r.meta.add("MP4", "©"+k.typ[1:], string(v[4:]))
			} else {
				s.r.meta.addKind("MP4", "box "+strings.ToValidUTF8(k.typ, "?"), fmt.Sprintf("%d bytes", len(v)), "other")
			}
		}
	}
}

func mdtaKeys(b []byte) []string {
	if len(b) < 8 {
		return nil
	}
	n := int(binary.BigEndian.Uint32(b[4:]))
	var keys []string
	for p := 8; p+8 <= len(b) && len(keys) < n && len(keys) < 1000; {
		size := int(binary.BigEndian.Uint32(b[p:]))
		if size < 8 || p+size > len(b) {
			break
		}
		keys = append(keys, string(b[p+8:p+size]))
		p += size
	}
	return keys
}

// ilst items: each holds a "data" box with a type code and the value.
func (s *mp4Scan) ilst(bx mp4Box) {
	items, ok := mp4Boxes(s.b, bx.body, bx.end)
	if !ok {
		return
	}
	for _, it := range items {
		name := it.typ
		if name[0] == 0xA9 {
			name = "©" + name[1:]
		} else if idx := binary.BigEndian.Uint32([]byte(it.typ)); idx >= 1 && int(idx) <= len(s.keys) {
			name = s.keys[idx-1]
		}
		kids, ok := mp4Boxes(s.b, it.body, it.end)
		if !ok {
			continue
		}
		for _, d := range kids {
			if d.typ == "name" && d.end-d.body > 4 {
				name = string(s.b[d.body+4 : d.end]) // a freeform (----) item's name
			}
			if d.typ != "data" || d.end-d.body < 8 {
				continue
			}
			typ := binary.BigEndian.Uint32(s.b[d.body:]) & 0xFFFFFF
			v := s.b[d.body+8 : d.end]
			switch typ {
			case 1:
				s.r.meta.add("MP4", name, string(v))
				if strings.Contains(name, "ISO6709") || name == "©xyz" {
					s.iso6709(string(v))
				}
			case 2:
				s.r.meta.add("MP4", name, utf16BE(v))
			default:
				s.r.meta.addKind("MP4", name, fmt.Sprintf("binary (%d bytes)", len(v)), kindOf(name))
			}
		}
	}
}

// iso6709 reads "+60.1234+024.5678+012.3/" into a GPS position.
func (s *mp4Scan) iso6709(v string) {
	v = strings.TrimRight(strings.TrimSpace(v), "/")
	var nums []float64
	for len(v) > 0 && len(nums) < 3 {
		if v[0] != '+' && v[0] != '-' {
			return
		}
		i := strings.IndexAny(v[1:], "+-")
		part := v
		if i >= 0 {
			part = v[:i+1]
		}
		f, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return
		}
		nums = append(nums, f)
		v = v[len(part):]
	}
	if len(nums) < 2 {
		return
	}
	var alt *float64
	if len(nums) == 3 {
		alt = &nums[2]
	}
	s.r.meta.setGPS("MP4", nums[0], nums[1], alt)
}
