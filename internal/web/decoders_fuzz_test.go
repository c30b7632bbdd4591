package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"vigil/internal/domain"
	"vigil/internal/evidence"
)

// Fuzz targets for the web layer's decoders of untrusted input that
// fuzz_test.go does not cover: every API input type, every HTML form, the
// query parameters of the list routes, and multipart uploads. Run by `make
// fuzz`; in a normal test run only the seeds below run.

// record is what the service validates before it stores anything.
type record interface {
	Normalize()
	Validate() error
}

// checkAccepted fails t when a record that validation accepts holds text
// that is not valid UTF-8 (PostgreSQL refuses it, so it would fail as a
// server error later instead of a clear 422 now) or cannot be written as
// JSON.
func checkAccepted(t *testing.T, what string, rec any) {
	t.Helper()
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.String:
			if !utf8.ValidString(v.String()) {
				t.Fatalf("%s: accepted with invalid UTF-8 in %s: %q", what, path, v.String())
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), path+"[]")
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(k, path+"{key}")
				walk(v.MapIndex(k), path+"{}")
			}
		}
	}
	walk(reflect.ValueOf(rec), what)
	if _, err := json.Marshal(rec); err != nil {
		t.Fatalf("%s: accepted but cannot be written as JSON: %v", what, err)
	}
}

// validate runs a record through the service's checks and, when it passes,
// through checkAccepted.
func validate(t *testing.T, what string, rec record) {
	t.Helper()
	rec.Normalize()
	if rec.Validate() == nil {
		checkAccepted(t, what, rec)
	}
}

// apiKinds are the JSON bodies of every API POST and PUT, by the handler's
// input type, each made into the record its handler saves.
var apiKinds = []struct {
	name  string
	build func(t *testing.T, r *http.Request) (record, error)
}{
	{"testimony", func(t *testing.T, r *http.Request) (record, error) {
		var in testimonyInput
		err := decodeJSON(r, &in)
		var x domain.Testimony
		in.apply(&x)
		return &x, err
	}},
	{"incident", func(t *testing.T, r *http.Request) (record, error) {
		var in incidentInput
		err := decodeJSON(r, &in)
		var x domain.Incident
		in.apply(&x)
		return &x, err
	}},
	{"crossing point", func(t *testing.T, r *http.Request) (record, error) {
		var in crossingInput
		err := decodeJSON(r, &in)
		var x domain.CrossingPoint
		in.apply(&x)
		return &x, err
	}},
	{"policy event", func(t *testing.T, r *http.Request) (record, error) {
		var in policyInput
		err := decodeJSON(r, &in)
		var x domain.PolicyEvent
		in.apply(&x)
		return &x, err
	}},
	{"figure", func(t *testing.T, r *http.Request) (record, error) {
		var in figureInput
		err := decodeJSON(r, &in)
		var x domain.Figure
		in.apply(&x)
		return &x, err
	}},
	{"case", func(t *testing.T, r *http.Request) (record, error) {
		var in caseInput
		err := decodeJSON(r, &in)
		var x domain.AsylumCase
		in.apply(&x)
		return &x, err
	}},
	{"user", func(t *testing.T, r *http.Request) (record, error) {
		var in userInput
		err := decodeJSON(r, &in)
		return &domain.User{Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, Lang: in.Lang}, err
	}},
	{"link", func(t *testing.T, r *http.Request) (record, error) {
		var in incLinkInput
		err := decodeJSON(r, &in)
		return &linkRecord{domain.Link{IncidentID: 1, TestimonyID: in.TestimonyID, Relation: in.Relation, Note: in.Note}}, err
	}},
	{"share", func(t *testing.T, r *http.Request) (record, error) {
		var in struct {
			UserID int64 `json:"user_id"`
		}
		return nil, decodeJSON(r, &in)
	}},
}

// linkRecord gives a link the Normalize the others have (the service
// cleans a link's note with CleanText).
type linkRecord struct{ domain.Link }

func (l *linkRecord) Normalize() { l.Note = domain.CleanText(l.Note) }

// FuzzAPIInputs: any body to any API write either fails to decode with a
// clear 422/413 error, or becomes a record that validation accepts only
// when all its text is valid.
func FuzzAPIInputs(f *testing.F) {
	seeds := []string{
		`{"received_on":"2024-02-01","narrative":"x","narrator":{"nationality":"SY"}}`,
		`{"title":"t","when":{"from":"2023-11-24","to":"2023-11-24","precision":"day"},"kinds":["pushback"],"group":{"size_min":3}}`,
		`{"code":"vaalimaa","name_en":"Vaalimaa","country":"FI","mode":"road","lat":60.6,"lon":27.8}`,
		`{"when":{"from":"2023-11-18"},"kind":"closed","crossing_points":["vaalimaa"],"source":{"publisher":"Tulli","url":"https://example.org"}}`,
		`{"period_to":"2024-01-29","measure":"asylum_seekers","value":1271,"unit":"persons","producer":"Migri","source":{"publisher":"x"}}`,
		`{"person":{"pseudonym":"P","identity":{"name":"N","date_of_birth":"1990-01-01"}},"events":[{"on":"2023-11-20","kind":"applied"}]}`,
		`{"username":"new.user","display_name":"New","role":"analyst","lang":"fi"}`,
		`{"testimony_id":1,"relation":"victim","note":"n"}`,
		`{"user_id":2}`,
		"{\"narrative\":\"\xff\xfe\"}", `{"source":{"url":"javascript:alert(1)"}}`, `{"version":-1}`, `[]`, `null`, `{}{}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, kind uint8, body string) {
		k := apiKinds[int(kind)%len(apiKinds)]
		r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(body))
		rec, err := k.build(t, r)
		if err != nil {
			if c := domain.ErrorCode(err); c != domain.EInvalid && c != domain.ETooLarge {
				t.Fatalf("%s: decode error code %q: %v", k.name, c, err)
			}
			return
		}
		if rec != nil {
			validate(t, k.name, rec)
		}
	})
}

// formKinds are the HTML forms that save a record, read the way their
// handlers read them.
var formKinds = []struct {
	name  string
	build func(f *form) record
}{
	{"testimony", func(f *form) record { var x domain.Testimony; testimonyFromForm(f, &x); return &x }},
	{"incident", func(f *form) record { var x domain.Incident; incidentFromForm(f, &x); return &x }},
	{"crossing point", func(f *form) record { var x domain.CrossingPoint; crossingFromForm(f, &x); return &x }},
	{"policy event", func(f *form) record { var x domain.PolicyEvent; policyFromForm(f, &x); return &x }},
	{"figure", func(f *form) record { var x domain.Figure; figureFromForm(f, &x); return &x }},
	{"case", func(f *form) record { var x domain.AsylumCase; caseFormFrom(f, 0).apply(f, &x); return &x }},
	{"user", func(f *form) record { x := userFormFrom(f, 0).user(); return &x }},
}

// FuzzFormInputs: any form body either fails to parse with a clear error
// or yields a record that validation accepts only when its text is valid.
// Fields the form could not parse are problems, never silently zero.
func FuzzFormInputs(f *testing.F) {
	seeds := []string{
		"received_on=2024-02-01&narrative=x&consent_store=on&narrator_nationality=SY",
		"title=t&when=2023-12&kinds=pushback&lat=60.1&lon=27.5&group_size_min=3&nat_code=SY&nat_count=2",
		"code=vaalimaa&name_en=V&country=FI&mode=road&lat=60.6&lon=x",
		"when=2023-11-18&kind=closed&crossing_points=vaalimaa&source_publisher=T&source_url=https%3A%2F%2Fexample.org",
		"period_to=2024-01-29&measure=asylum_seekers&value=1271&unit=persons&producer=M&source_publisher=x",
		"person_pseudonym=P&person_birth_year=1990&event_on=2023-11-20&event_kind=applied&event_on=bad",
		"username=new.user&role=analyst&lang=fi&display_name=%FF%FE",
		"narrative=%ff%fe&received_on=2024-02-30", "%zz=1", "a=b;c=d", strings.Repeat("x=1&", 100),
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, kind uint8, body string) {
		k := formKinds[int(kind)%len(formKinds)]
		r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fm, err := parseForm(r)
		if err != nil {
			if c := domain.ErrorCode(err); c != domain.EInvalid && c != domain.ETooLarge {
				t.Fatalf("form parse error code %q: %v", c, err)
			}
			return
		}
		rec := k.build(fm)
		if fm.problems.Err() != nil {
			return // the handler shows the form again with these marked
		}
		validate(t, k.name, rec)
	})
}

// FuzzListQuery: any query string given to the list routes either is
// refused with problems, or yields filters whose coded values are known
// codes, whose dates are real dates and whose page size is within bounds.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		"q=x&mode=phone&nationality=sy&from=2023-01-01&to=2024-12-31&cursor=abc",
		"kind=pushback&violence_type=beating&verification=corroborated&crossing_point=vaalimaa",
		"measure=asylum_seekers&limit=50&mine=1", "limit=0", "limit=99999999999999999999", "nationality=XX",
		"q=%27%3B+DROP+TABLE+testimonies%3B+--", "mode=%00", "from=2023-02-30", "a=%zz&b", ";;&&==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := (&http.Request{Method: "GET", URL: &url.URL{Path: "/x", RawQuery: raw}, Header: http.Header{}}).WithContext(context.Background())
		country := func(what, c string) {
			if c == "" {
				return
			}
			if n, ok := domain.NormalizeCountry(c); !ok || n != c {
				t.Fatalf("%s: nationality %q accepted", what, c)
			}
		}
		date := func(what string, d domain.Date) {
			if d.Invalid() {
				t.Fatalf("%s: invalid date accepted: %+v", what, d)
			}
		}
		vocab := func(what string, voc domain.Vocabulary, v string) {
			if v != "" && !voc.Has(v) {
				t.Fatalf("%s: unknown code %q accepted", what, v)
			}
		}
		var p domain.Problems
		if tf := testimonyFilterOf(r, &p); p.Err() == nil {
			vocab("testimony mode", domain.TestimonyModes, tf.Mode)
			country("testimony", tf.Nationality)
			date("testimony from", tf.ReceivedFrom)
			date("testimony to", tf.ReceivedTo)
		}
		p = domain.Problems{}
		if inf := incidentFilterOf(r, &p); p.Err() == nil {
			vocab("incident kind", domain.IncidentKinds, inf.Kind)
			vocab("violence type", domain.ViolenceTypes, inf.ViolenceType)
			vocab("verification", domain.Verifications, inf.Verification)
			country("incident", inf.Nationality)
			date("incident from", inf.From)
			date("incident to", inf.To)
		}
		p = domain.Problems{}
		if cf, _ := caseFilterOf(r, &p); p.Err() == nil {
			country("case", cf.Nationality)
		}
		p = domain.Problems{}
		if ff := figureFilterOf(r, &p); p.Err() == nil {
			vocab("measure", domain.FigureMeasures, ff.Measure)
		}
		if pg, err := apiPage(r); err == nil {
			if pg.Limit < 0 || pg.Limit > domain.MaxPageSize {
				t.Fatalf("page size %d accepted", pg.Limit)
			}
		} else if domain.ErrorCode(err) != domain.EInvalid {
			t.Fatalf("page error %v", err)
		}
	})
}

const fuzzBoundary = "vigil-fuzz-boundary"

// FuzzUploadMultipart: any multipart body sent to an upload route either
// is refused with a clear error, or yields a file part whose name, once
// made safe for each accepted type, is harmless to show and to send in a
// Content-Disposition header.
func FuzzUploadMultipart(f *testing.F) {
	part := func(header, body string) []byte {
		return []byte("--" + fuzzBoundary + "\r\n" + header + "\r\n\r\n" + body + "\r\n--" + fuzzBoundary + "--\r\n")
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.SetBoundary(fuzzBoundary)
	_ = mw.WriteField("note", "x")
	fw, _ := mw.CreateFormFile("file", "../../etc/passwd.jpg")
	_, _ = fw.Write([]byte("\xff\xd8\xff"))
	_ = mw.Close()
	f.Add(b.Bytes())
	for _, h := range []string{
		`Content-Disposition: form-data; name="file"; filename="photo.jpg"`,
		`Content-Disposition: form-data; name="file"; filename*=UTF-8''%E2%80%AEgpj.exe`,
		`Content-Disposition: form-data; name="file"; filename="..\\..\\boot.ini"`,
		`Content-Disposition: form-data; name="file"; filename="a` + "\x00" + `b.pdf"`,
		`Content-Disposition: form-data; name="file"; filename=""`,
		`Content-Disposition: form-data; name="other"; filename="x.png"`,
	} {
		f.Add(part(h, "data"))
	}
	f.Add([]byte("--" + fuzzBoundary + "\r\nbroken"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/testimonies/1/attachments", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
		p, err := filePart(r)
		if err != nil {
			if domain.ErrorCode(err) != domain.EInvalid {
				t.Fatalf("upload error code %q: %v", domain.ErrorCode(err), err)
			}
			return
		}
		if p.FormName() != "file" || p.FileName() == "" {
			t.Fatalf("part %q %q taken as the file", p.FormName(), p.FileName())
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(p, 1<<20))
		for _, format := range evidence.Formats {
			name := evidence.SafeName(p.FileName(), format)
			if !utf8.ValidString(name) || strings.ContainsAny(name, "/\\\x00\r\n\"") || strings.HasPrefix(name, ".") {
				t.Fatalf("SafeName(%q) = %q", p.FileName(), name)
			}
			ok := false
			for _, e := range format.Ext {
				ok = ok || strings.HasSuffix(name, e)
			}
			if !ok {
				t.Fatalf("SafeName(%q) = %q does not end in a %s extension", p.FileName(), name, format.Type)
			}
			if cd := contentDisposition(name); !strings.HasPrefix(cd, "attachment") || strings.ContainsAny(cd, "\r\n") {
				t.Fatalf("Content-Disposition %q", cd)
			}
		}
	})
}
