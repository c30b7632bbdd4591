package evidence

import (
	"bytes"
	"testing"
)

// FuzzInspect feeds arbitrary bytes to the type detection, the metadata
// parsers and the strippers. Nothing may panic, and whatever is accepted
// must yield a copy that is accepted again as the same type with no
// metadata left.
func FuzzInspect(f *testing.F) {
	for _, seed := range [][]byte{
		gpsJPEG(f), textPNG(f), infoPDF(""), objStmPDF("<< /Title (t) >>"), taggedMP3(), taggedOpus(),
		taggedM4A("soun"), taggedWAV(), taggedWebP(),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Inspect(data)
		if err != nil {
			return
		}
		again, err := Inspect(res.Stripped)
		if err != nil || again.Format.Type != res.Format.Type || !again.Metadata.Empty() {
			t.Fatalf("stripped copy of an accepted %s: %v %+v", res.Format.Type, err, again)
		}
		if !bytes.Equal(again.Stripped, res.Stripped) && res.Format.Type != TypePDF {
			t.Fatalf("stripping a stripped %s changed it", res.Format.Type)
		}
	})
}
