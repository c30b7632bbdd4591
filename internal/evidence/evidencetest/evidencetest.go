// Package evidencetest builds small evidence files in code for tests of
// the layers above internal/evidence (web, end-to-end, security tests):
// a photo with EXIF GPS, a PDF with an Info dictionary, and hostile files.
package evidencetest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
)

// Lat and Lon are the position JPEGWithGPS records: 60°10'30"N 24°56'15"E.
const (
	Lat = 60.175
	Lon = 24.9375
	// Make is the camera maker it records.
	Make = "WitnessPhone"
)

func plainJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// JPEG is a small photo without metadata.
func JPEG() []byte { return plainJPEG() }

// JPEGWithGPS is a photo whose EXIF names the camera (Make) and the GPS
// position (Lat, Lon), and whose comment segment holds marker, so a test
// can look for it where it must not be.
func JPEGWithGPS(marker string) []byte {
	be := binary.BigEndian
	// TIFF: IFD0 {Make, GPS pointer} at 8, GPS IFD after it, values last.
	tiff := []byte("MM\x00*\x00\x00\x00\x08")
	ifd0 := 8
	gps := ifd0 + 2 + 2*12 + 4
	vals := gps + 2 + 4*12 + 4
	makeVal := append([]byte(Make), 0)
	entry := func(b []byte, tag, typ uint16, count, val uint32) []byte {
		b = be.AppendUint16(b, tag)
		b = be.AppendUint16(b, typ)
		b = be.AppendUint32(b, count)
		return be.AppendUint32(b, val)
	}
	tiff = be.AppendUint16(tiff, 2)
	tiff = entry(tiff, 0x010F, 2, uint32(len(makeVal)), uint32(vals))
	tiff = entry(tiff, 0x8825, 4, 1, uint32(gps))
	tiff = be.AppendUint32(tiff, 0)
	latOff := vals + len(makeVal)
	lonOff := latOff + 24
	tiff = be.AppendUint16(tiff, 4)
	tiff = entry(tiff, 1, 2, 2, uint32('N')<<24)
	tiff = entry(tiff, 2, 5, 3, uint32(latOff))
	tiff = entry(tiff, 3, 2, 2, uint32('E')<<24)
	tiff = entry(tiff, 4, 5, 3, uint32(lonOff))
	tiff = be.AppendUint32(tiff, 0)
	tiff = append(tiff, makeVal...)
	for _, v := range []uint32{60, 1, 10, 1, 30, 1, 24, 1, 56, 1, 15, 1} {
		tiff = be.AppendUint32(tiff, v)
	}
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	j := plainJPEG()
	out := append([]byte{}, j[:2]...)
	out = append(out, segment(0xE1, app1)...)
	out = append(out, segment(0xFE, []byte(marker))...)
	return append(out, j[2:]...)
}

func segment(marker byte, data []byte) []byte {
	n := len(data) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, data...)
}

// PDF is a one-page PDF whose Info dictionary names author as Author;
// catalogExtra is added to the catalog (e.g. an /OpenAction).
func PDF(author, catalogExtra string) []byte {
	content := "BT /F1 12 Tf 72 720 Td (Statement) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R " + catalogExtra + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Author (" + author + ") /Producer (Test) >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
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
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// PDFWithJavaScript runs a script when opened.
func PDFWithJavaScript() []byte {
	return PDF("x", "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
}

// ZIP is a small archive holding an HTML page.
func ZIP() []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("index.html")
	_, _ = w.Write([]byte("<script>alert(document.cookie)</script>"))
	_ = zw.Close()
	return b.Bytes()
}

// JPEGWithZIP is a photo with an archive appended: a polyglot.
func JPEGWithZIP() []byte { return append(JPEG(), ZIP()...) }

// JPEGWithHTML is a photo whose comment is an HTML page: a polyglot.
func JPEGWithHTML() []byte {
	j := JPEG()
	out := append([]byte{}, j[:2]...)
	out = append(out, segment(0xFE, []byte("<html><body><script>alert(1)</script></body></html>"))...)
	return append(out, j[2:]...)
}

// SVG is an image that runs a script.
func SVG() []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
}

// HTML is a web page.
func HTML() []byte { return []byte("<!doctype html><html><script>alert(1)</script></html>") }
