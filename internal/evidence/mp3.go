package evidence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// An MP3 file is an optional ID3v2 tag, a run of MPEG audio frames, and
// optional APEv2 and ID3v1 tags at the end. Every frame header is checked
// and the frames must cover the file: anything else is refused. The copy
// is the frames alone.

type mpegHeader struct {
	length int
}

var (
	mp3Bitrates = [2][3][16]int{
		{ // MPEG-1: layer I, II, III
			{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0},
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0},
			{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
		},
		{ // MPEG-2 and 2.5
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
		},
	}
	mp3Rates = [3][3]int{{44100, 48000, 32000}, {22050, 24000, 16000}, {11025, 12000, 8000}}
)

// mp3Header parses a frame header at b[0:4]; nil when it is not one.
// Free-format frames (no bitrate) are not accepted: their length cannot be
// checked.
func mp3Header(b []byte) *mpegHeader {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return nil
	}
	version := (b[1] >> 3) & 3 // 0: 2.5, 2: 2, 3: 1
	layer := (b[1] >> 1) & 3   // 1: III, 2: II, 3: I
	bi := int(b[2] >> 4)
	si := int((b[2] >> 2) & 3)
	pad := int((b[2] >> 1) & 1)
	if version == 1 || layer == 0 || bi == 0 || bi == 15 || si == 3 {
		return nil
	}
	v := 0
	rv := 0
	switch version {
	case 2:
		v, rv = 1, 1
	case 0:
		v, rv = 1, 2
	}
	li := 3 - int(layer) // 0: I, 1: II, 2: III
	br := mp3Bitrates[v][li][bi] * 1000
	sr := mp3Rates[rv][si]
	var n int
	switch {
	case li == 0:
		n = (12*br/sr + pad) * 4
	case li == 2 && v == 1:
		n = 72*br/sr + pad
	default:
		n = 144*br/sr + pad
	}
	if n < 4 {
		return nil
	}
	return &mpegHeader{length: n}
}

func inspectMP3(b []byte, r *inspection) error {
	const label = "MP3 audio"
	p := 0
	// ID3v2 tags, possibly more than one.
	for len(b)-p >= 10 && string(b[p:p+3]) == "ID3" {
		n, err := parseID3(b[p:], r)
		if err != nil {
			return damaged(label)
		}
		r.textRegion(b[p : p+n])
		p += n
	}
	// Some encoders pad after the tag with zeros.
	for p < len(b) && b[p] == 0 {
		p++
	}
	end := len(b)
	// Tags at the end: ID3v1 (128 bytes), then APEv2 before it.
	if end-p >= 128 && string(b[end-128:end-125]) == "TAG" {
		id3v1(b[end-128:end], r)
		r.textRegion(b[end-128 : end])
		end -= 128
	}
	if end-p >= 32 && string(b[end-32:end-24]) == "APETAGEX" {
		size := int(binary.LittleEndian.Uint32(b[end-20:]))
		flags := binary.LittleEndian.Uint32(b[end-12:])
		total := size
		if flags&(1<<31) != 0 { // a header precedes the items
			total += 32
		}
		if size < 32 || end-total < p {
			return damaged(label)
		}
		r.textRegion(b[end-total : end])
		r.meta.addKind("APE", "APEv2 tag", fmt.Sprintf("%d bytes", total), "other")
		end -= total
	}
	start := p
	frames := 0
	for p < end {
		h := mp3Header(b[p:end])
		if h == nil {
			if allZero(b[p:end]) && frames > 0 {
				end = p
				break
			}
			return damaged(label)
		}
		if p+h.length > end {
			// A recording cut off mid-frame: the last frame is short.
			if frames == 0 {
				return damaged(label)
			}
			p = end
			frames++
			break
		}
		p += h.length
		frames++
	}
	if frames == 0 {
		return damaged(label)
	}
	r.stripped = append([]byte{}, b[start:end]...)
	return nil
}

// --- ID3v2 ---

var id3Names = map[string]string{
	"TIT1": "Content group", "TIT2": "Title", "TIT3": "Subtitle", "TPE1": "Artist", "TPE2": "Album artist",
	"TPE3": "Conductor", "TPE4": "Remixed by", "TALB": "Album", "TCOM": "Composer", "TEXT": "Lyricist",
	"TENC": "Encoded by", "TSSE": "Encoder settings", "TCON": "Genre", "TYER": "Year", "TDAT": "Date",
	"TIME": "Time", "TDRC": "Recording time", "TDRL": "Release time", "TDEN": "Encoding time",
	"TDTG": "Tagging time", "TORY": "Original year", "TCOP": "Copyright", "TOWN": "File owner",
	"TRSN": "Radio station", "TPUB": "Publisher", "TOFN": "Original file name", "TLAN": "Language",
	"COMM": "Comment", "USLT": "Lyrics", "APIC": "Picture", "PRIV": "Private data", "GEOB": "Embedded object",
	"UFID": "Unique file identifier", "TXXX": "User text", "WXXX": "User URL",
	// ID3v2.2 three-letter names.
	"TT2": "Title", "TP1": "Artist", "TAL": "Album", "TYE": "Year", "TEN": "Encoded by", "TSS": "Encoder settings",
	"COM": "Comment", "PIC": "Picture", "TCM": "Composer", "TCR": "Copyright",
}

var errID3 = errors.New("malformed ID3 tag")

func synchsafe(b []byte) int {
	return int(b[0]&0x7F)<<21 | int(b[1]&0x7F)<<14 | int(b[2]&0x7F)<<7 | int(b[3]&0x7F)
}

func unsync(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte{0xFF, 0x00}, []byte{0xFF})
}

// parseID3 reads an ID3v2 tag at the start of b and returns its length.
func parseID3(b []byte, r *inspection) (int, error) {
	if len(b) < 10 || string(b[:3]) != "ID3" {
		return 0, errID3
	}
	major, flags := b[3], b[5]
	if major < 2 || major > 4 || b[6]|b[7]|b[8]|b[9] >= 0x80 {
		return 0, errID3
	}
	size := synchsafe(b[6:10])
	total := 10 + size
	if flags&0x10 != 0 {
		total += 10 // footer
	}
	if total > len(b) {
		return 0, errID3
	}
	body := b[10 : 10+size]
	if flags&0x80 != 0 && major < 4 {
		body = unsync(body)
	}
	if flags&0x40 != 0 && major >= 3 && len(body) >= 4 { // extended header
		n := int(binary.BigEndian.Uint32(body))
		if major == 4 {
			n = synchsafe(body)
		} else {
			n += 4
		}
		if n > len(body) || n < 0 {
			return 0, errID3
		}
		body = body[n:]
	}
	idLen, hdrLen := 4, 10
	if major == 2 {
		idLen, hdrLen = 3, 6
	}
	m := &r.meta
	for p := 0; p+hdrLen <= len(body); {
		if body[p] == 0 {
			break // padding
		}
		id := string(body[p : p+idLen])
		var n int
		var fflags uint16
		switch major {
		case 2:
			n = int(body[p+3])<<16 | int(body[p+4])<<8 | int(body[p+5])
		case 3:
			n = int(binary.BigEndian.Uint32(body[p+4:]))
			fflags = binary.BigEndian.Uint16(body[p+8:])
		default:
			n = synchsafe(body[p+4 : p+8])
			fflags = binary.BigEndian.Uint16(body[p+8:])
		}
		p += hdrLen
		if n < 0 || p+n > len(body) {
			return 0, errID3
		}
		data := body[p : p+n]
		p += n
		name := id3Names[id]
		if name == "" {
			name = id
		}
		compressed := (major == 3 && fflags&0x00C0 != 0) || (major == 4 && fflags&0x000C != 0)
		if major == 4 && fflags&0x0002 != 0 {
			data = unsync(data)
		}
		if major == 4 && fflags&0x0001 != 0 && len(data) >= 4 { // data length indicator
			data = data[4:]
		}
		switch {
		case compressed:
			m.addKind("ID3", name, fmt.Sprintf("compressed or encrypted frame (%d bytes)", n), kindOf(name))
		case id == "TXXX" || id == "WXXX":
			if len(data) > 0 {
				desc, val := id3Split(data[0], data[1:])
				v := id3Text(data[0], val)
				if id == "WXXX" {
					v = latin1(bytes.TrimRight(val, "\x00"))
				}
				m.add("ID3", name+" "+id3Text(data[0], desc), v)
			}
		case id[0] == 'T':
			if len(data) > 0 {
				m.add("ID3", name, id3Text(data[0], data[1:]))
			}
		case id == "COMM" || id == "USLT" || id == "COM":
			if len(data) > 4 {
				_, val := id3Split(data[0], data[4:])
				m.add("ID3", name, id3Text(data[0], val))
			}
		case id[0] == 'W':
			m.add("ID3", name, latin1(bytes.TrimRight(data, "\x00")))
		default:
			m.addKind("ID3", name, fmt.Sprintf("%d bytes", n), kindOf(name))
		}
	}
	return total, nil
}

// id3Split splits "description NUL value" in the frame's text encoding.
func id3Split(enc byte, b []byte) (desc, val []byte) {
	if enc == 1 || enc == 2 { // UTF-16: a two-byte NUL on an even offset
		for i := 0; i+1 < len(b); i += 2 {
			if b[i] == 0 && b[i+1] == 0 {
				return b[:i], b[i+2:]
			}
		}
		return b, nil
	}
	d, v, _ := bytes.Cut(b, []byte{0})
	return d, v
}

// id3Text decodes text in one of ID3's four encodings; several values are
// separated by NUL and joined with " / ".
func id3Text(enc byte, b []byte) string {
	var s string
	switch enc {
	case 0:
		s = latin1(b)
	case 1, 2:
		be := enc == 2
		if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
			be, b = true, b[2:]
		} else if len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE {
			be, b = false, b[2:]
		}
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			if be {
				u = append(u, binary.BigEndian.Uint16(b[i:]))
			} else {
				u = append(u, binary.LittleEndian.Uint16(b[i:]))
			}
		}
		s = string(utf16.Decode(u))
	default:
		s = string(b)
	}
	s = strings.Trim(s, "\x00\uFEFF")
	return strings.ReplaceAll(s, "\x00", " / ")
}

// id3v1 reads the fixed 128-byte tag at the end of the file.
func id3v1(b []byte, r *inspection) {
	f := func(off, n int) string { return latin1(bytes.TrimRight(b[off:off+n], "\x00 ")) }
	m := &r.meta
	m.add("ID3v1", "Title", f(3, 30))
	m.add("ID3v1", "Artist", f(33, 30))
	m.add("ID3v1", "Album", f(63, 30))
	m.add("ID3v1", "Year", f(93, 4))
	m.add("ID3v1", "Comment", f(97, 30))
}
