package evidence

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// Fixtures are real, minimal files built in code: an image encoded by the
// standard library, then metadata added by hand the way cameras and
// editors write it.

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), 128, 255})
		}
	}
	return img
}

// tiffEntry is one IFD entry; sub names a child IFD by index for pointer
// tags (its value is filled in with the child's offset).
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte
	sub      int
}

func ascii(tag uint16, s string) tiffEntry {
	return tiffEntry{tag: tag, typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0), sub: -1}
}

func short(tag uint16, v uint16) tiffEntry {
	return tiffEntry{tag: tag, typ: 3, count: 1, data: []byte{byte(v >> 8), byte(v), 0, 0}, sub: -1}
}

func rationals(tag uint16, vals ...[2]uint32) tiffEntry {
	var b []byte
	for _, v := range vals {
		b = binary.BigEndian.AppendUint32(b, v[0])
		b = binary.BigEndian.AppendUint32(b, v[1])
	}
	return tiffEntry{tag: tag, typ: 5, count: uint32(len(vals)), data: b, sub: -1}
}

func pointer(tag uint16, sub int) tiffEntry { return tiffEntry{tag: tag, typ: 4, count: 1, sub: sub} }

// buildTIFF lays out big-endian IFDs one after another, each followed by
// its out-of-line values.
func buildTIFF(ifds ...[]tiffEntry) []byte {
	offsets := make([]int, len(ifds))
	p := 8
	for i, ifd := range ifds {
		offsets[i] = p
		p += 2 + 12*len(ifd) + 4
		for _, e := range ifd {
			if len(e.data) > 4 {
				p += len(e.data)
			}
		}
	}
	out := []byte("MM\x00*\x00\x00\x00\x08")
	for i, ifd := range ifds {
		out = binary.BigEndian.AppendUint16(out, uint16(len(ifd)))
		extra := offsets[i] + 2 + 12*len(ifd) + 4
		var values []byte
		for _, e := range ifd {
			out = binary.BigEndian.AppendUint16(out, e.tag)
			out = binary.BigEndian.AppendUint16(out, e.typ)
			out = binary.BigEndian.AppendUint32(out, e.count)
			switch {
			case e.sub >= 0:
				out = binary.BigEndian.AppendUint32(out, uint32(offsets[e.sub]))
			case len(e.data) > 4:
				out = binary.BigEndian.AppendUint32(out, uint32(extra+len(values)))
				values = append(values, e.data...)
			default:
				v := make([]byte, 4)
				copy(v, e.data)
				out = append(out, v...)
			}
		}
		out = binary.BigEndian.AppendUint32(out, 0)
		out = append(out, values...)
	}
	return out
}

// gpsEXIF is an EXIF block as a phone writes it: device, times and a GPS
// position (60°10'30"N 24°56'15"E, 12.3 m).
func gpsEXIF() []byte {
	return buildTIFF(
		[]tiffEntry{ascii(0x010F, "WitnessPhone"), ascii(0x0110, "Model X-42"), short(0x0112, 6),
			ascii(0x0132, "2023:11:18 06:40:00"), pointer(0x8769, 1), pointer(0x8825, 2)},
		[]tiffEntry{ascii(0x9003, "2023:11:18 06:39:58"), ascii(0xA431, "SN-0099887")},
		[]tiffEntry{ascii(1, "N"), rationals(2, [2]uint32{60, 1}, [2]uint32{10, 1}, [2]uint32{30, 1}),
			ascii(3, "E"), rationals(4, [2]uint32{24, 1}, [2]uint32{56, 1}, [2]uint32{15, 1}),
			rationals(6, [2]uint32{123, 10})},
	)
}

const testXMP = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
  xmp:CreatorTool="FieldCam 2.1">
<dc:creator><rdf:Seq><rdf:li>Jane Witness</rdf:li></rdf:Seq></dc:creator>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`

func segment(marker byte, data []byte) []byte {
	var b bytes.Buffer
	writeSegment(&b, marker, data)
	return b.Bytes()
}

// jpegWith encodes the test image and inserts segments after SOI.
func jpegWith(t testing.TB, segs ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	out := append([]byte{}, b[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, b[2:]...)
}

func gpsJPEG(t testing.TB) []byte {
	return jpegWith(t,
		segment(mAPP1, append(append([]byte{}, exifHeader...), gpsEXIF()...)),
		segment(mAPP1, append(append([]byte{}, xmpHeader...), testXMP...)),
		segment(mCOM, []byte("taken near the fence")))
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngWith encodes the test image and inserts chunks after IHDR.
func pngWith(t testing.TB, chunks ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	ihdrEnd := 8 + 12 + 13
	out := append([]byte{}, b[:ihdrEnd]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, b[ihdrEnd:]...)
}

func textPNG(t testing.TB) []byte {
	return pngWith(t,
		pngChunk("tEXt", []byte("Author\x00Jane Witness")),
		pngChunk("tIME", []byte{0x07, 0xE7, 11, 18, 6, 40, 0}),
		pngChunk("eXIf", gpsEXIF()))
}

// pdfBuilder writes a PDF with a classic cross-reference table from
// numbered object bodies (1-based, in order).
func buildPDF(objs []string, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailer, x)
	return b.Bytes()
}

func stream(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

const pdfContent = "BT /F1 12 Tf 72 720 Td (Statement of A.) Tj ET"

// infoPDF is a one-page PDF with an Info dictionary and an XMP stream.
func infoPDF(catalogExtra string) []byte {
	return buildPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R " + catalogExtra + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 7 0 R >> >> /Annots [8 0 R] >>",
		stream("", pdfContent),
		"<< /Title (Pushback report) /Author (Jane Witness) /Creator (Writer) /Producer (LibreOffice 7.6) /CreationDate (D:20231118064000+02'00') >>",
		stream("/Type /Metadata /Subtype /XML", testXMP),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Type /Annot /Subtype /Text /Rect [10 10 20 20] /T (Reviewer Name) /Contents (check) /M (D:20231120) >>",
	}, "/Root 1 0 R /Info 5 0 R")
}

// objStmPDF keeps the catalog and an extra object inside a compressed
// object stream and uses a cross-reference stream, as PDF 1.5+ writers do.
func objStmPDF(hidden string) []byte {
	inner := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
		hidden,
	}
	var head, body strings.Builder
	for i, o := range inner {
		fmt.Fprintf(&head, "%d %d ", i+1, body.Len())
		body.WriteString(o + "\n")
	}
	payload := head.String() + body.String()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(payload))
	zw.Close()

	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	stmOff := b.Len()
	fmt.Fprintf(&b, "5 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n", len(inner), len(head.String()), z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	// Cross-reference stream: W [1 4 2], objects 0..6.
	xrefOff := b.Len()
	var rows []byte
	row := func(t byte, a uint32, c uint16) {
		rows = append(rows, t)
		rows = binary.BigEndian.AppendUint32(rows, a)
		rows = binary.BigEndian.AppendUint16(rows, c)
	}
	row(0, 0, 65535)
	for i := range inner {
		row(2, 5, uint16(i))
	}
	row(1, uint32(stmOff), 0)
	row(1, uint32(xrefOff), 0)
	fmt.Fprintf(&b, "6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n", len(rows))
	b.Write(rows)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefOff)
	return b.Bytes()
}

// mp3Frame is one silent MPEG-1 layer III frame, 128 kbit/s, 44.1 kHz.
func mp3Frame() []byte {
	f := make([]byte, 417)
	copy(f, []byte{0xFF, 0xFB, 0x90, 0x00})
	return f
}

func id3Frame(id string, data []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[4:], uint32(len(data)))
	return append(b, data...)
}

func id3Tag(frames ...[]byte) []byte {
	var body []byte
	for _, f := range frames {
		body = append(body, f...)
	}
	n := len(body)
	return append([]byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}, body...)
}

func taggedMP3() []byte {
	b := id3Tag(
		id3Frame("TIT2", []byte("\x00Interview 3")),
		id3Frame("TPE1", []byte("\x00Jane Witness")),
		id3Frame("COMM", []byte("\x00eng\x00recorded at the reception centre")),
		id3Frame("TDRC", []byte("\x002023-11-18")),
	)
	for i := 0; i < 4; i++ {
		b = append(b, mp3Frame()...)
	}
	v1 := make([]byte, 128)
	copy(v1, "TAG")
	copy(v1[3:], "Interview 3")
	copy(v1[33:], "Jane Witness")
	return append(b, v1...)
}

func vorbisComment(vendor string, comments ...string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(vendor)))
	b = append(b, vendor...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(comments)))
	for _, c := range comments {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
	}
	return b
}

// taggedOpus is an Ogg Opus stream: head page, tags page, two audio pages.
func taggedOpus() []byte {
	head := append([]byte("OpusHead"), 1, 1, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0)
	tags := append([]byte("OpusTags"), vorbisComment("WhatsApp", "ARTIST=Jane Witness", "LOCATION=Vaalimaa crossing")...)
	var out []byte
	out = append(out, oggPage{flags: 2, serial: 77, seq: 0, lacing: []byte{byte(len(head))}, body: head}.bytes()...)
	for _, pg := range paginate([][]byte{tags}, 77, 1) {
		out = append(out, pg.bytes()...)
	}
	audio := bytes.Repeat([]byte{0xFC, 0xFF, 0xFE}, 10)
	out = append(out, oggPage{granule: 960, serial: 77, seq: 2, lacing: []byte{byte(len(audio))}, body: audio}.bytes()...)
	out = append(out, oggPage{flags: 4, granule: 1920, serial: 77, seq: 3, lacing: []byte{byte(len(audio))}, body: audio}.bytes()...)
	return out
}

func box(typ string, payload ...[]byte) []byte {
	var body []byte
	for _, p := range payload {
		body = append(body, p...)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, typ...), body...)
}

func fullBox(typ string, payload ...[]byte) []byte {
	return box(typ, append([][]byte{{0, 0, 0, 0}}, payload...)...)
}

// taggedM4A is an audio-only MP4 with a creation time, iTunes-style tags
// and a QuickTime location.
func taggedM4A(handler string) []byte {
	mvhd := make([]byte, 96)
	binary.BigEndian.PutUint32(mvhd[4:], 3783000000) // 2023-11-16, seconds since 1904
	binary.BigEndian.PutUint32(mvhd[8:], 3783000000)
	hdlr := append(make([]byte, 8), handler...)
	hdlr = append(hdlr, make([]byte, 13)...)
	data := func(s string) []byte { return box("data", []byte{0, 0, 0, 1, 0, 0, 0, 0}, []byte(s)) }
	udta := box("udta",
		box("\xA9xyz", []byte{0, 18, 0x15, 0xC7}, []byte("+60.5693+027.1866/")),
		fullBox("meta", fullBox("hdlr", []byte("\x00\x00\x00\x00mdirappl"), make([]byte, 9)),
			box("ilst", box("\xA9nam", data("Interview at the border")), box("\xA9too", data("Voice Memos 2.0")))))
	moov := box("moov", box("mvhd", mvhd),
		box("trak", box("tkhd", make([]byte, 84)),
			box("mdia", box("mdhd", make([]byte, 24)), box("hdlr", hdlr), box("minf", box("stbl")))),
		udta)
	ftyp := box("ftyp", []byte("M4A \x00\x00\x00\x00M4A isom"))
	return append(append(ftyp, moov...), box("mdat", bytes.Repeat([]byte{0x21}, 64))...)
}

func taggedWAV() []byte {
	fmtChunk := []byte{1, 0, 1, 0, 0x40, 0x1F, 0, 0, 0x80, 0x3E, 0, 0, 2, 0, 16, 0}
	info := append([]byte("INFO"), riffSub("IART", "Jane Witness\x00")...)
	info = append(info, riffSub("ICRD", "2023-11-18\x00")...)
	bext := make([]byte, 602)
	copy(bext, "interview")
	copy(bext[256:], "Recorder XR-7")
	copy(bext[320:], "2023-11-1806:40:00")
	return buildRIFF("WAVE", []riffChunk{{"fmt ", fmtChunk}, {"LIST", info}, {"bext", bext}, {"data", make([]byte, 200)}})
}

func riffSub(id, v string) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(v)))
	b = append(b, v...)
	if len(v)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// taggedWebP is a lossless WebP (the VP8L payload is not decoded by the
// checks) with an EXIF chunk, flagged in VP8X.
func taggedWebP() []byte {
	vp8x := []byte{0x08, 0, 0, 0, 15, 0, 0, 7, 0, 0}
	vp8l := []byte{0x2f, 0x0f, 0xc0, 0x01, 0x00, 0x07, 0x10, 0x11}
	return buildRIFF("WEBP", []riffChunk{{"VP8X", vp8x}, {"VP8L", vp8l}, {"EXIF", gpsEXIF()}})
}

func zipBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("payload.html")
	w.Write([]byte("<script>alert(1)</script>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
