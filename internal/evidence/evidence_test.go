package evidence

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image/jpeg"
	"strings"
	"testing"

	"vigil/internal/domain"
)

// field finds a reported metadata field by name.
func field(m Metadata, name string) (Field, bool) {
	for _, f := range m.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

func TestInspectAcceptsAndStrips(t *testing.T) {
	cases := []struct {
		name   string
		data   func(t testing.TB) []byte
		typ    string
		fields map[string]string // name → a substring of the value
		gps    bool
		// gone are byte strings that must not survive in the copy.
		gone []string
	}{
		{"jpeg with EXIF GPS, XMP and a comment", gpsJPEG, TypeJPEG,
			map[string]string{"Make": "WitnessPhone", "Model": "X-42", "DateTimeOriginal": "2023:11:18", "BodySerialNumber": "SN-0099887",
				"dc:creator": "Jane Witness", "xmp:CreatorTool": "FieldCam", "Comment": "fence", "GPS position": "60.175000, 24.937500"},
			true, []string{"WitnessPhone", "Jane Witness", "fence", "SN-0099887", "http://ns.adobe.com/xap"}},
		{"png with text, time and EXIF", textPNG, TypePNG,
			map[string]string{"Author": "Jane Witness", "Last modified": "2023-11-18", "Make": "WitnessPhone"},
			true, []string{"Jane Witness", "tEXt", "tIME", "eXIf"}},
		{"pdf with Info, XMP and an annotation author", func(testing.TB) []byte { return infoPDF("") }, TypePDF,
			map[string]string{"Author": "Jane Witness", "Title": "Pushback report", "Producer": "LibreOffice", "CreationDate": "2023-11-18 06:40:00 +02:00",
				"dc:creator": "Jane Witness", "Annotation author": "Reviewer Name"},
			false, []string{"Jane Witness", "Pushback report", "LibreOffice", "Reviewer Name", "/Info", "/Metadata"}},
		{"mp3 with ID3v2 and ID3v1", func(testing.TB) []byte { return taggedMP3() }, TypeMP3,
			map[string]string{"Title": "Interview 3", "Artist": "Jane Witness", "Comment": "reception centre", "Recording time": "2023-11-18"},
			false, []string{"ID3", "TAG", "Jane Witness"}},
		{"ogg opus with tags", func(testing.TB) []byte { return taggedOpus() }, TypeOgg,
			map[string]string{"Encoder": "WhatsApp", "ARTIST": "Jane Witness", "LOCATION": "Vaalimaa"},
			false, []string{"WhatsApp", "Jane Witness", "Vaalimaa"}},
		{"m4a with tags and a location", func(testing.TB) []byte { return taggedM4A("soun") }, TypeM4A,
			map[string]string{"©nam": "Interview at the border", "©too": "Voice Memos", "Created": "2023-", "Location (©xyz)": "+60.5693"},
			true, []string{"Interview at the border", "Voice Memos", "+60.5693"}},
		{"wav with INFO and bext", func(testing.TB) []byte { return taggedWAV() }, TypeWAV,
			map[string]string{"Artist": "Jane Witness", "Creation date": "2023-11-18", "Originator": "Recorder XR-7"},
			false, []string{"Jane Witness", "Recorder XR-7", "LIST", "bext"}},
		{"webp with EXIF", func(testing.TB) []byte { return taggedWebP() }, TypeWebP,
			map[string]string{"Make": "WitnessPhone"}, true, []string{"WitnessPhone", "EXIF"}},
		{"pdf with object and cross-reference streams", func(testing.TB) []byte {
			return objStmPDF("<< /Title (hidden title) >>")
		}, TypePDF, nil, false, []string{"/ObjStm", "/XRef"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			res, err := Inspect(data)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if res.Format.Type != c.typ {
				t.Fatalf("type %s, want %s", res.Format.Type, c.typ)
			}
			for name, want := range c.fields {
				f, ok := field(res.Metadata, name)
				if !ok || !strings.Contains(f.Value, want) {
					t.Errorf("field %q = %q (found %v), want it to contain %q; all: %+v", name, f.Value, ok, want, res.Metadata.Fields)
				}
			}
			if (res.Metadata.GPS != nil) != c.gps {
				t.Errorf("GPS %+v, want present=%v", res.Metadata.GPS, c.gps)
			}
			// The copy is the same type, carries no metadata when parsed
			// again, and none of the identifying bytes.
			again, err := Inspect(res.Stripped)
			if err != nil {
				t.Fatalf("the stripped copy does not parse: %v", err)
			}
			if again.Format.Type != c.typ || !again.Metadata.Empty() {
				t.Fatalf("stripped copy: type %s, metadata %+v", again.Format.Type, again.Metadata)
			}
			for _, g := range c.gone {
				if bytes.Contains(res.Stripped, []byte(g)) {
					t.Errorf("stripped copy still contains %q", g)
				}
			}
			if !bytes.Equal(again.Stripped, res.Stripped) {
				t.Errorf("stripping is not idempotent")
			}
		})
	}
}

func TestJPEGGPSValuesAndPixels(t *testing.T) {
	data := gpsJPEG(t)
	res, err := Inspect(data)
	if err != nil {
		t.Fatal(err)
	}
	g := res.Metadata.GPS
	if g == nil || g.Lat < 60.1749 || g.Lat > 60.1751 || g.Lon < 24.9374 || g.Lon > 24.9376 || g.Alt == nil || *g.Alt != 12.3 {
		t.Fatalf("GPS %+v", g)
	}
	// Segment stripping keeps the compressed picture bit for bit.
	a, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := jpeg.Decode(bytes.NewReader(res.Stripped))
	if err != nil {
		t.Fatal(err)
	}
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v vs %v", a.Bounds(), b.Bounds())
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 16; x++ {
			if a.At(x, y) != b.At(x, y) {
				t.Fatalf("pixel %d,%d differs", x, y)
			}
		}
	}
	// Only the orientation survives, so the photo still shows upright.
	if !bytes.Contains(res.Stripped, exifHeader) {
		t.Fatalf("orientation EXIF missing from the copy")
	}
	o, err := parseEXIF(res.Stripped[bytes.Index(res.Stripped, exifHeader)+len(exifHeader):], "EXIF", &Metadata{})
	if err != nil || o != 6 {
		t.Fatalf("orientation %d, %v", o, err)
	}
}

func TestPDFOpenActionThatOnlyNavigates(t *testing.T) {
	for _, oa := range []string{"/OpenAction [3 0 R /Fit]", "/OpenAction << /S /GoTo /D [3 0 R /XYZ 0 792 0] >>", "/OpenAction 9 0 R"} {
		pdf := infoPDF(oa)
		// Object 9 (for the indirect case) is a destination array, appended
		// as an incremental update.
		if strings.Contains(oa, "9 0 R") {
			pdf = appendObject(pdf, 9, "[3 0 R /Fit]")
		}
		res, err := Inspect(pdf)
		if err != nil {
			t.Fatalf("%s: %v", oa, err)
		}
		if bytes.Contains(res.Stripped, []byte("OpenAction")) {
			t.Fatalf("%s: kept in the copy", oa)
		}
	}
}

// appendObject adds object num as an incremental update.
func appendObject(pdf []byte, num int, body string) []byte {
	prev := bytes.LastIndex(pdf, []byte("startxref"))
	var prevOff int
	fmt.Sscanf(string(pdf[prev+len("startxref"):]), "%d", &prevOff)
	out := append([]byte{}, pdf...)
	off := len(out)
	out = append(out, fmt.Sprintf("%d 0 obj\n%s\nendobj\n", num, body)...)
	x := len(out)
	out = append(out, fmt.Sprintf("xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root 1 0 R /Info 5 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
		num, off, num+1, prevOff, x)...)
	return out
}

func TestPDFCopyIsReadable(t *testing.T) {
	res, err := Inspect(infoPDF("/OpenAction [3 0 R /Fit]"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(res.Stripped)
	for _, want := range []string{"%PDF-1.7", "/Type /Catalog", "/Contents 4 0 R", pdfContent, "/Helvetica", "%%EOF"} {
		if !strings.Contains(s, want) {
			t.Errorf("copy lacks %q:\n%s", want, s)
		}
	}
	for _, gone := range []string{"OpenAction", "/T <", "Jane", "Info"} {
		if strings.Contains(s, gone) {
			t.Errorf("copy still has %q", gone)
		}
	}
	// The annotation stays, without its author and date.
	if !strings.Contains(s, "/Subtype /Text") || !strings.Contains(s, "/Contents <") {
		t.Errorf("annotation lost:\n%s", s)
	}
}

func TestInspectRefuses(t *testing.T) {
	jpegPlain := jpegWith(t)
	pngPlain := pngWith(t)
	mp3Plain := append(mp3Frame(), mp3Frame()...)
	cases := []struct {
		name string
		data []byte
		want string // in the message
	}{
		{"empty", nil, "empty"},
		{"html named as a photo", []byte("<!doctype html><html><script>alert(1)</script></html>"), "HTML"},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "SVG"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "GIF"},
		{"zip", zipBytes(t), "ZIP"},
		{"elf", []byte("\x7fELF\x02\x01\x01"), "programs"},
		{"heic", append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 16)...), "HEIC"},
		{"plain text", []byte("just some words"), "not accepted"},
		{"jpeg + zip appended", append(append([]byte{}, jpegPlain...), zipBytes(t)...), "extra data"},
		{"jpeg with html in a comment", jpegWith(t, segment(mCOM, []byte("<html><body>x</body></html>"))), "polyglot"},
		{"jpeg with script anywhere", jpegWith(t, segment(0xE5, []byte("x<SCRIPT>alert(1)</SCRIPT>"))), "polyglot"},
		{"truncated jpeg", jpegPlain[:len(jpegPlain)/2], "damaged"},
		{"png + zip appended", append(append([]byte{}, pngPlain...), zipBytes(t)...), "extra data"},
		{"png with bad checksum", func() []byte { b := append([]byte{}, pngPlain...); b[30] ^= 1; return b }(), "damaged"},
		{"png with svg in a text chunk", pngWith(t, pngChunk("tEXt", []byte("Comment\x00<svg onload=alert(1)>"))), "polyglot"},
		{"mp3 with junk after the frames", append(append([]byte{}, mp3Plain...), []byte("not audio at all, just hidden text")...), "damaged"},
		{"pdf with JavaScript", infoPDF("/Names << /JavaScript << /Names [(x) << /S /JavaScript /JS (app.alert(1)) >>] >> >>"), "JavaScript"},
		{"pdf with a hex-escaped /JS", infoPDF("/Foo << /S /Whatever /J#53 (app.alert(1)) >>"), "JavaScript"},
		{"pdf with an OpenAction that opens a web page", infoPDF("/OpenAction << /S /URI /URI (http://example.org/track) >>"), "opened"},
		{"pdf with a chained OpenAction", infoPDF("/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (http://x) >> >>"), "opened"},
		{"pdf with an indirect OpenAction", infoPDF("/OpenAction 3 0 R"), "opened"},
		{"pdf with a launch action", infoPDF("/Foo << /S /Launch /F (cmd.exe) >>"), "program"},
		{"pdf with embedded files", infoPDF("/Names << /EmbeddedFiles 9 0 R >>"), "embedded"},
		{"pdf with JavaScript in an object stream", objStmPDF("<< /S /JavaScript /JS (app.alert(1)) >>"), "JavaScript"},
		{"pdf with html before it", append([]byte("<html>"), infoPDF("")...), "HTML"},
		{"pdf + zip appended", append(infoPDF(""), zipBytes(t)...), "extra data"},
		{"pdf with html in a comment", bytes.Replace(infoPDF(""), []byte("%\xE2\xE3\xCF\xD3"), []byte("%<html><body>hi</body></html>"), 1), "polyglot"},
		{"encrypted pdf", bytes.Replace(infoPDF(""), []byte("/Root 1 0 R"), []byte("/Root 1 0 R /Encrypt << /Filter /Standard >>"), 1), "encrypted"},
		{"ogg with trailing junk", append(taggedOpus(), []byte("PK\x03\x04 hidden")...), "extra data"},
		{"m4a with a video track", taggedM4A("vide"), "video"},
		{"wav + zip appended", append(taggedWAV(), zipBytes(t)...), "extra data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Inspect(c.data)
			if err == nil {
				t.Fatalf("accepted")
			}
			if domain.ErrorCode(err) != domain.EInvalid {
				t.Fatalf("code %s: %v", domain.ErrorCode(err), err)
			}
			if !strings.Contains(domain.ErrorMessage(err), c.want) {
				t.Fatalf("message %q lacks %q", domain.ErrorMessage(err), c.want)
			}
		})
	}
}

func TestZIPInsideLastMP3Frame(t *testing.T) {
	// A frame header followed by a short ZIP: the frames "end" in a cut-off
	// frame, which is allowed for recordings, but the archive is found.
	z := zipBytes(t)
	b := append(append(mp3Frame(), mp3Frame()...), 0xFF, 0xFB, 0x90, 0x00)
	b = append(b, z...)
	if len(z)+4 >= 417 {
		t.Fatalf("fixture: zip of %d bytes does not fit in a frame", len(z))
	}
	_, err := Inspect(b)
	if err == nil || !strings.Contains(domain.ErrorMessage(err), "ZIP") {
		t.Fatalf("got %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	_, err := Inspect(make([]byte, MaxSize+1))
	if domain.ErrorCode(err) != domain.ETooLarge {
		t.Fatalf("got %v", err)
	}
}

func TestSafeName(t *testing.T) {
	jpg, _ := FormatOf(TypeJPEG)
	pdf, _ := FormatOf(TypePDF)
	cases := []struct {
		in   string
		f    Format
		want string
	}{
		{"photo.jpg", jpg, "photo.jpg"},
		{"IMG_0001.JPEG", jpg, "IMG_0001.jpeg"},
		{"../../etc/passwd", jpg, "etc_passwd.jpg"},
		{`..\..\windows\system32\evil.exe`, jpg, "windows_system32_evil.exe.jpg"},
		{"/abs/path/x.pdf", pdf, "abs_path_x.pdf"},
		{"report.html", pdf, "report.html.pdf"},
		{"photo\u202Egpj.exe", jpg, "photogpj.exe.jpg"},
		{"a\x00b\r\nc.jpg", jpg, "abc.jpg"},
		{`"quoted"; name=x.jpg`, jpg, "quoted__ name=x.jpg"},
		{"", jpg, "attachment.jpg"},
		{"....", jpg, "attachment.jpg"},
		{".htaccess", pdf, "htaccess.pdf"},
		{"kuva äö.jpg", jpg, "kuva äö.jpg"},
		{strings.Repeat("a", 300) + ".jpg", jpg, strings.Repeat("a", 100) + ".jpg"},
	}
	for _, c := range cases {
		if got := SafeName(c.in, c.f); got != c.want {
			t.Errorf("SafeName(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := SafeName(c.in, c.f); strings.ContainsAny(got, "/\\\x00") || strings.HasPrefix(got, ".") {
			t.Errorf("SafeName(%q) = %q is not harmless", c.in, got)
		}
	}
}

func TestPNGDecompressionIsBounded(t *testing.T) {
	// Forty zTXt chunks, each expanding to 1 MiB: more than the total
	// budget. The file is accepted, but no more than the budget is read.
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(bytes.Repeat([]byte("a"), 1<<20))
	zw.Close()
	var chunks [][]byte
	for i := 0; i < 40; i++ {
		chunks = append(chunks, pngChunk("zTXt", append([]byte("Comment\x00\x00"), z.Bytes()...)))
	}
	r := &inspection{}
	if err := inspectPNG(pngWith(t, chunks...), r); err != nil {
		t.Fatal(err)
	}
	if r.inflated > maxInflateTotal {
		t.Fatalf("inflated %d bytes, budget %d", r.inflated, maxInflateTotal)
	}
}
