package evidence

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image/png"
	"io"
)

// A PNG is a signature and a list of checksummed chunks ending with IEND.
// The copy keeps the chunks that define the picture and drops text
// (tEXt, zTXt, iTXt), EXIF (eXIf), the modification time (tIME), colour
// profiles with their names (iCCP) and every unknown ancillary chunk.

var pngKeep = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "sBIT": true, "bKGD": true, "pHYs": true, "hIST": true,
	"cICP": true, "mDCv": true, "cLLi": true,
	"acTL": true, "fcTL": true, "fdAT": true, // animation
}

const pngSig = "\x89PNG\r\n\x1a\n"

// maxInflate caps what one compressed metadata payload may expand to.
const (
	maxInflate      = 1 << 20
	maxInflateTotal = 8 << 20
)

func inspectPNG(b []byte, r *inspection) error {
	if len(b) < len(pngSig) || string(b[:len(pngSig)]) != pngSig {
		return damaged("PNG image")
	}
	var out bytes.Buffer
	out.WriteString(pngSig)
	p := len(pngSig)
	first := true
	for {
		if p+12 > len(b) {
			return damaged("PNG image")
		}
		n := int(binary.BigEndian.Uint32(b[p:]))
		if n < 0 || n > len(b) || p+12+n > len(b) {
			return damaged("PNG image")
		}
		typ := string(b[p+4 : p+8])
		data := b[p+8 : p+8+n]
		if crc32.ChecksumIEEE(b[p+4:p+8+n]) != binary.BigEndian.Uint32(b[p+8+n:]) {
			return damaged("PNG image")
		}
		chunk := b[p : p+12+n]
		p += 12 + n
		if first != (typ == "IHDR") {
			return damaged("PNG image")
		}
		first = false
		critical := typ[0] >= 'A' && typ[0] <= 'Z'
		switch {
		case pngKeep[typ]:
			out.Write(chunk)
		case critical:
			return invalid("the PNG image uses a chunk (%q) this server does not understand; it was not stored", typ)
		default:
			r.textRegion(data)
			pngMetadata(typ, data, r)
		}
		if typ == "IEND" {
			break
		}
	}
	if p != len(b) && !allZero(b[p:]) {
		return trailingData("PNG image")
	}
	r.stripped = out.Bytes()
	if _, err := png.DecodeConfig(bytes.NewReader(r.stripped)); err != nil {
		return damaged("PNG image")
	}
	return nil
}

func pngMetadata(typ string, data []byte, r *inspection) {
	m := &r.meta
	switch typ {
	case "tEXt":
		k, v, _ := bytes.Cut(data, []byte{0})
		m.add("PNG", string(k), latin1(v))
	case "zTXt":
		k, rest, ok := bytes.Cut(data, []byte{0})
		if ok && len(rest) > 0 {
			v := r.inflate(rest[1:])
			r.textRegion(v)
			m.add("PNG", string(k), latin1(v))
		}
	case "iTXt":
		k, rest, ok := bytes.Cut(data, []byte{0})
		if !ok || len(rest) < 2 {
			return
		}
		compressed := rest[0] == 1
		rest = rest[2:]
		_, rest, _ = bytes.Cut(rest, []byte{0}) // language tag
		_, rest, _ = bytes.Cut(rest, []byte{0}) // translated keyword
		if compressed {
			rest = r.inflate(rest)
			r.textRegion(rest)
		}
		if string(k) == "XML:com.adobe.xmp" {
			parseXMP(rest, "XMP", m)
			return
		}
		m.add("PNG", string(k), string(rest))
	case "eXIf":
		if _, err := parseEXIF(data, "EXIF", m); err != nil {
			m.addKind("EXIF", "EXIF block", fmt.Sprintf("unreadable (%d bytes)", len(data)), "other")
		}
	case "tIME":
		if len(data) == 7 {
			m.addKind("PNG", "Last modified", fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d UTC",
				binary.BigEndian.Uint16(data), data[2], data[3], data[4], data[5], data[6]), "time")
		}
	case "iCCP":
		k, _, _ := bytes.Cut(data, []byte{0})
		m.addKind("PNG", "ICC profile", string(k), "other")
	default:
		m.addKind("PNG", "chunk "+typ, fmt.Sprintf("%d bytes", len(data)), "other")
	}
}

// inflate expands zlib data up to maxInflate bytes per payload and
// maxInflateTotal per file, so many small compressed bombs cannot add up;
// a broken or oversized stream yields what could be read.
func (r *inspection) inflate(b []byte) []byte {
	left := maxInflateTotal - r.inflated
	if left <= 0 {
		return nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(io.LimitReader(zr, int64(min(maxInflate, left))))
	r.inflated += len(out)
	return out
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
