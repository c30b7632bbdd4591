package evidencetest

import (
	"testing"
	"vigil/internal/evidence"
)

func TestFixtures(t *testing.T) {
	res, err := evidence.Inspect(JPEGWithGPS("M"))
	if err != nil || res.Metadata.GPS == nil || res.Metadata.GPS.Lat < Lat-1e-6 || res.Metadata.GPS.Lat > Lat+1e-6 || res.Metadata.GPS.Lon < Lon-1e-6 || res.Metadata.GPS.Lon > Lon+1e-6 {
		t.Fatalf("%v %+v", err, res)
	}
	if _, err := evidence.Inspect(PDF("A", "")); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{PDFWithJavaScript(), JPEGWithZIP(), JPEGWithHTML(), SVG(), HTML(), ZIP()} {
		if _, err := evidence.Inspect(b); err == nil {
			t.Fatal("accepted")
		}
	}
}
