package evidence

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// WebP and WAV are RIFF files: "RIFF", a size, a form type, then chunks of
// (id, size, data, pad to even). The copy is rebuilt from the chunks that
// carry the picture or the sound.

type riffChunk struct {
	id   string
	data []byte
}

func parseRIFF(b []byte, form, label string) ([]riffChunk, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != form {
		return nil, damaged(label)
	}
	size := int64(binary.LittleEndian.Uint32(b[4:]))
	end := size + 8
	switch {
	case end == int64(len(b)):
	case end < int64(len(b)):
		if !allZero(b[end:]) {
			return nil, trailingData(label)
		}
	default:
		return nil, damaged(label)
	}
	var out []riffChunk
	for p := int64(12); p < end; {
		if p+8 > end {
			return nil, damaged(label)
		}
		id := string(b[p : p+4])
		n := int64(binary.LittleEndian.Uint32(b[p+4:]))
		if p+8+n > end {
			return nil, damaged(label)
		}
		out = append(out, riffChunk{id, b[p+8 : p+8+n]})
		p += 8 + n + n%2
		if len(out) > 10000 {
			return nil, damaged(label)
		}
	}
	return out, nil
}

func buildRIFF(form string, chunks []riffChunk) []byte {
	var body bytes.Buffer
	body.WriteString(form)
	for _, c := range chunks {
		body.WriteString(c.id)
		_ = binary.Write(&body, binary.LittleEndian, uint32(len(c.data)))
		body.Write(c.data)
		if len(c.data)%2 == 1 {
			body.WriteByte(0)
		}
	}
	out := make([]byte, 8, 8+body.Len())
	copy(out, "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(body.Len()))
	return append(out, body.Bytes()...)
}

// WebP: the copy drops EXIF, XMP and ICC profile chunks and clears their
// flags in the VP8X header.
func inspectWebP(b []byte, r *inspection) error {
	const label = "WebP image"
	chunks, err := parseRIFF(b, "WEBP", label)
	if err != nil {
		return err
	}
	if len(chunks) == 0 {
		return damaged(label)
	}
	var kept []riffChunk
	image := false
	for i, c := range chunks {
		switch c.id {
		case "VP8 ":
			if len(c.data) < 10 || !bytes.Equal(c.data[3:6], []byte{0x9d, 0x01, 0x2a}) {
				return damaged(label)
			}
			image = true
			kept = append(kept, c)
		case "VP8L":
			if len(c.data) < 5 || c.data[0] != 0x2f {
				return damaged(label)
			}
			image = true
			kept = append(kept, c)
		case "VP8X":
			if i != 0 || len(c.data) < 10 {
				return damaged(label)
			}
			x := append([]byte{}, c.data...)
			x[0] &^= 0x20 | 0x08 | 0x04 // ICC, EXIF, XMP
			kept = append(kept, riffChunk{c.id, x})
		case "ANIM", "ALPH":
			kept = append(kept, c)
		case "ANMF":
			image = true
			kept = append(kept, c)
		case "EXIF":
			r.textRegion(c.data)
			d := bytes.TrimPrefix(c.data, exifHeader)
			if _, err := parseEXIF(d, "EXIF", &r.meta); err != nil {
				r.meta.addKind("EXIF", "EXIF block", fmt.Sprintf("unreadable (%d bytes)", len(c.data)), "other")
			}
		case "XMP ":
			r.textRegion(c.data)
			parseXMP(c.data, "XMP", &r.meta)
		case "ICCP":
			// A colour profile: dropped.
		default:
			r.textRegion(c.data)
			r.meta.addKind("WebP", "chunk "+c.id, fmt.Sprintf("%d bytes", len(c.data)), "other")
		}
	}
	if !image {
		return damaged(label)
	}
	r.stripped = buildRIFF("WEBP", kept)
	return nil
}

// WAV: the copy keeps the format, the sample count and the samples; INFO
// lists, broadcast (bext) headers, ID3 tags, iXML and every other chunk go.
var wavInfoNames = map[string]string{
	"INAM": "Title", "IART": "Artist", "ICMT": "Comment", "ICRD": "Creation date", "ISFT": "Software",
	"ICOP": "Copyright", "IENG": "Engineer", "IKEY": "Keywords", "ISBJ": "Subject", "ITCH": "Technician",
	"IPRD": "Product", "IGNR": "Genre", "ISRC": "Source", "ISRF": "Source form", "ILOC": "Location",
	"IPRT": "Part", "ITRK": "Track",
}

func inspectWAV(b []byte, r *inspection) error {
	const label = "WAV audio"
	chunks, err := parseRIFF(b, "WAVE", label)
	if err != nil {
		return err
	}
	var kept []riffChunk
	var fmtOK, data bool
	for _, c := range chunks {
		switch c.id {
		case "fmt ":
			if len(c.data) < 16 || fmtOK {
				return damaged(label)
			}
			fmtOK = true
			kept = append(kept, c)
		case "fact":
			kept = append(kept, c)
		case "data":
			if !fmtOK || data {
				return damaged(label)
			}
			data = true
			kept = append(kept, c)
		case "LIST":
			r.textRegion(c.data)
			wavList(c.data, r)
		case "bext":
			r.textRegion(c.data)
			wavBext(c.data, r)
		case "id3 ", "ID3 ", "ID3\x00":
			r.textRegion(c.data)
			if _, err := parseID3(c.data, r); err != nil {
				r.meta.addKind("ID3", "ID3 tag", fmt.Sprintf("unreadable (%d bytes)", len(c.data)), "other")
			}
		case "iXML", "_PMX", "axml":
			r.textRegion(c.data)
			if c.id == "_PMX" {
				parseXMP(c.data, "XMP", &r.meta)
			} else {
				r.meta.addKind("RIFF", c.id, string(c.data), "other")
			}
		default:
			r.textRegion(c.data)
			r.meta.addKind("RIFF", "chunk "+c.id, fmt.Sprintf("%d bytes", len(c.data)), "other")
		}
	}
	if !fmtOK || !data {
		return damaged(label)
	}
	r.stripped = buildRIFF("WAVE", kept)
	return nil
}

func wavList(b []byte, r *inspection) {
	if len(b) < 4 {
		return
	}
	kind := string(b[:4])
	for p := 4; p+8 <= len(b); {
		id := string(b[p : p+4])
		n := int(binary.LittleEndian.Uint32(b[p+4:]))
		if n < 0 || p+8+n > len(b) {
			return
		}
		v := string(bytes.TrimRight(b[p+8:p+8+n], "\x00"))
		if kind == "INFO" {
			name, ok := wavInfoNames[id]
			if !ok {
				name = id
			}
			r.meta.add("RIFF", name, v)
		} else {
			r.meta.addKind("RIFF", kind+" "+id, fmt.Sprintf("%d bytes", n), "other")
		}
		p += 8 + n + n%2
	}
}

// wavBext reads the EBU broadcast extension: who made the recording,
// where and when.
func wavBext(b []byte, r *inspection) {
	field := func(off, n int) string {
		if off+n > len(b) {
			return ""
		}
		return string(bytes.TrimRight(b[off:off+n], "\x00 "))
	}
	m := &r.meta
	m.addKind("RIFF", "Description", field(0, 256), "text")
	m.addKind("RIFF", "Originator", field(256, 32), "person")
	m.addKind("RIFF", "Originator reference", field(288, 32), "device")
	m.addKind("RIFF", "Origination date", field(320, 10)+" "+field(330, 8), "time")
	if len(b) > 602 {
		m.addKind("RIFF", "Coding history", string(b[602:]), "software")
	}
}
