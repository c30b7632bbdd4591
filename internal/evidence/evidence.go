// Package evidence handles the files attached to testimonies and incidents:
// it recognises a file by its content (never by its name or the type a
// client claims), refuses anything outside a short allow-list and anything
// that is two formats at once, extracts the metadata a file carries about
// its maker (camera, time, GPS position, author, software) and makes a copy
// without it, and keeps both encrypted in a content-addressed blob store.
//
// Every parser here reads untrusted input: offsets and lengths are checked
// before use, loops are bounded, and decompression is capped.
package evidence

import (
	"bytes"
	"encoding/binary"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"vigil/internal/domain"
)

// MaxSize is the largest file accepted, in bytes. Intake holds a file in
// memory (a plaintext temporary file would defeat encryption at rest), so
// this also bounds the memory one upload takes.
const MaxSize = 25 << 20

// The accepted types.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
	TypePDF  = "application/pdf"
	TypeMP3  = "audio/mpeg"
	TypeOgg  = "audio/ogg"
	TypeM4A  = "audio/mp4"
	TypeWAV  = "audio/wav"
)

// Format describes one accepted type.
type Format struct {
	Type    string   // media type sent with downloads
	Ext     []string // file name extensions; the first is used for downloads
	Label   string   // for messages
	inspect func(b []byte, r *inspection) error
}

// Formats is the allow-list, in the order they are tried.
var Formats = []Format{
	{TypeJPEG, []string{".jpg", ".jpeg"}, "JPEG image", inspectJPEG},
	{TypePNG, []string{".png"}, "PNG image", inspectPNG},
	{TypeWebP, []string{".webp"}, "WebP image", inspectWebP},
	{TypePDF, []string{".pdf"}, "PDF document", inspectPDF},
	{TypeMP3, []string{".mp3"}, "MP3 audio", inspectMP3},
	{TypeOgg, []string{".ogg", ".opus", ".oga"}, "Ogg audio", inspectOgg},
	{TypeM4A, []string{".m4a", ".mp4", ".aac"}, "M4A audio", inspectMP4},
	{TypeWAV, []string{".wav"}, "WAV audio", inspectWAV},
}

// FormatOf returns the format of a media type.
func FormatOf(mediaType string) (Format, bool) {
	for _, f := range Formats {
		if f.Type == mediaType {
			return f, true
		}
	}
	return Format{}, false
}

// Result is what intake learned about a file.
type Result struct {
	Format   Format
	Metadata Metadata
	// Stripped is the copy without metadata: what leaves the system.
	Stripped []byte
}

// inspection is the state a format's parser fills in.
type inspection struct {
	meta     Metadata
	stripped []byte
	text     [][]byte // metadata and comment payloads, checked for markup
	inflated int      // bytes decompressed so far (PNG text)
}

func (r *inspection) textRegion(b []byte) { r.text = append(r.text, b) }

func invalid(format string, args ...any) error {
	return domain.Errorf(domain.EInvalid, format, args...)
}

func damaged(label string) error {
	return invalid("the file looks like a %s but is damaged or incomplete; it was not stored", label)
}

func trailingData(label string) error {
	return invalid("the file has extra data after the end of the %s (for example a hidden archive or a motion-photo video), so it could be two formats at once; it was not stored. Save or export a plain copy and upload that", label)
}

func polyglot(label, other string) error {
	return invalid("the file is a %s that also contains %s (a polyglot file, a known way to smuggle code); it was not stored", label, other)
}

// Inspect recognises data, checks it, extracts its metadata and makes the
// stripped copy. Every error is a domain error with a message fit for the
// person uploading.
func Inspect(data []byte) (*Result, error) {
	if len(data) == 0 {
		return nil, invalid("the file is empty")
	}
	if len(data) > MaxSize {
		return nil, domain.Errorf(domain.ETooLarge, "the file is larger than %d MiB", MaxSize>>20)
	}
	f, ok := sniff(data)
	if !ok {
		return nil, refusal(data)
	}
	r := &inspection{}
	if err := f.inspect(data, r); err != nil {
		return nil, err
	}
	if err := checkPolyglot(data, f.Label, r.text); err != nil {
		return nil, err
	}
	// The copy is parsed again as a fresh upload: it must still be the
	// same type and carry no metadata at all. A failure here is a bug in a
	// stripper, and the file is refused rather than leaked.
	again := &inspection{}
	if err := f.inspect(r.stripped, again); err != nil || !again.meta.Empty() {
		return nil, invalid("the %s's embedded metadata could not be removed safely, so it was not stored", f.Label)
	}
	return &Result{Format: f, Metadata: r.meta, Stripped: r.stripped}, nil
}

// sniff picks the format from the first bytes. Each format's parser then
// checks the whole structure.
func sniff(b []byte) (Format, bool) {
	has := func(off int, s string) bool { return len(b) >= off+len(s) && string(b[off:off+len(s)]) == s }
	pick := func(t string) (Format, bool) { return FormatOf(t) }
	switch {
	case has(0, "\xFF\xD8\xFF"):
		return pick(TypeJPEG)
	case has(0, "\x89PNG\r\n\x1a\n"):
		return pick(TypePNG)
	case has(0, "RIFF") && has(8, "WEBP"):
		return pick(TypeWebP)
	case has(0, "RIFF") && has(8, "WAVE"):
		return pick(TypeWAV)
	case has(0, "%PDF-"):
		return pick(TypePDF)
	case has(0, "OggS"):
		return pick(TypeOgg)
	case has(4, "ftyp") && audioBrand(b):
		return pick(TypeM4A)
	case has(0, "ID3"), len(b) >= 4 && mp3Header(b) != nil:
		return pick(TypeMP3)
	}
	return Format{}, false
}

// refusal explains why an unrecognised file was refused, naming the
// common cases.
func refusal(b []byte) error {
	head := b[:min(len(b), 1024)]
	lower := bytes.ToLower(bytes.TrimLeft(head, "\xEF\xBB\xBF \t\r\n"))
	has := func(off int, s string) bool { return len(b) >= off+len(s) && string(b[off:off+len(s)]) == s }
	allowed := "accepted are JPEG, PNG and WebP images, PDF documents, and MP3, Ogg (Vorbis or Opus), M4A and WAV audio"
	switch {
	case bytes.Contains(lower, []byte("<svg")):
		return invalid("SVG images are not accepted because they can carry scripts; export the picture as PNG or JPEG (%s)", allowed)
	case bytes.HasPrefix(lower, []byte("<")):
		return invalid("HTML and XML files are not accepted (%s)", allowed)
	case has(4, "ftyp") && (has(8, "heic") || has(8, "heix") || has(8, "mif1") || has(8, "heim") || has(8, "avif")):
		return invalid("HEIC/HEIF and AVIF photos are not accepted yet; share or export the photo as JPEG (%s)", allowed)
	case has(4, "ftyp"):
		return invalid("video files are not accepted; only audio-only M4A files are (%s)", allowed)
	case has(0, "PK\x03\x04"), has(0, "PK\x05\x06"):
		return invalid("ZIP archives and office documents are not accepted; save the document as PDF (%s)", allowed)
	case has(0, "GIF8"):
		return invalid("GIF images are not accepted; convert to PNG (%s)", allowed)
	case has(0, "MZ"), has(0, "\x7fELF"), has(0, "#!"):
		return invalid("programs and scripts are not accepted (%s)", allowed)
	case has(0, "fLaC"):
		return invalid("FLAC audio is not accepted yet; convert to WAV or Ogg (%s)", allowed)
	case has(0, "#!AMR"):
		return invalid("AMR audio is not accepted yet; convert to M4A, Ogg or WAV (%s)", allowed)
	}
	return invalid("this type of file is not accepted; %s", allowed)
}

// checkPolyglot looks for a second format hidden in an accepted file: a ZIP
// archive (whose directory is found from the end of the file, so it can
// ride on any format), script markup anywhere, and HTML in the metadata
// and comment payloads the parser collected.
func checkPolyglot(b []byte, label string, text [][]byte) error {
	if zipDirectoryAtEnd(b) {
		return polyglot(label, "a ZIP archive")
	}
	if containsFold(b, "<script") {
		return polyglot(label, "HTML script markup")
	}
	for _, t := range text {
		for _, tag := range []string{"<html", "<script", "<svg", "<iframe", "<body", "<object", "<embed", "<!doctype html", "javascript:"} {
			if containsFold(t, tag) {
				return polyglot(label, "HTML markup")
			}
		}
	}
	return nil
}

// zipDirectoryAtEnd reports whether the end of b is a ZIP end-of-central-
// directory record, found the way ZIP readers find it. The comment length
// must reach exactly the end of the file, so compressed data that happens
// to contain the signature is not mistaken for one.
func zipDirectoryAtEnd(b []byte) bool {
	const eocd = 22
	lo := max(0, len(b)-(eocd+0xFFFF))
	for i := len(b) - eocd; i >= lo; i-- {
		if b[i] == 'P' && b[i+1] == 'K' && b[i+2] == 5 && b[i+3] == 6 {
			if i+eocd+int(binary.LittleEndian.Uint16(b[i+20:])) == len(b) {
				return true
			}
		}
	}
	// A ZIP64 end record is found through its locator just before.
	return bytes.Contains(b[lo:], []byte("PK\x06\x07")) && bytes.Contains(b[lo:], []byte("PK\x06\x06"))
}

// containsFold reports whether b contains the ASCII string s, ignoring case.
func containsFold(b []byte, s string) bool {
	first := s[0]
	for i := 0; i+len(s) <= len(b); i++ {
		j := bytes.IndexByte(b[i:len(b)-len(s)+1], first)
		if j < 0 {
			return false
		}
		i += j
		if bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
			return true
		}
	}
	return false
}

// SafeName makes an uploaded file name harmless for display and for a
// Content-Disposition header. It is never used as a path: files are stored
// under their content address. Directory parts are flattened, control and
// bidirectional-override characters (which can disguise "gpj.exe" as
// "exe.jpg") and characters reserved on common file systems are dropped,
// and the extension always matches the detected type.
func SafeName(name string, f Format) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.NewReplacer("/", "_", "\\", "_").Replace(name)
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), isBidiControl(r), r == '\uFEFF', r == '\u200B':
			return -1
		case strings.ContainsRune(`<>:"|?*;%`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	name = strings.TrimLeft(name, "._ -")
	name = strings.TrimRight(name, ". ")
	ext := strings.ToLower(path.Ext(name))
	stem := name
	matches := false
	for _, e := range f.Ext {
		if ext == e {
			matches = true
		}
	}
	if matches {
		stem = strings.TrimSuffix(name, path.Ext(name))
	}
	const maxStem = 100
	if utf8.RuneCountInString(stem) > maxStem {
		stem = string([]rune(stem)[:maxStem])
	}
	stem = strings.TrimRight(stem, ". ")
	if stem == "" {
		stem = "attachment"
	}
	e := f.Ext[0]
	if matches {
		e = ext
	}
	return stem + e
}
