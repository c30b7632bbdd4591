package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/domain"
	"vigil/internal/evidence"
	"vigil/internal/evidence/evidencetest"
	"vigil/internal/service"
)

func init() {
	for pat, roles := range map[string]string{
		"POST /testimonies/{id}/attachments": "ACM",
		"POST /incidents/{id}/attachments":   "ACM",
		"GET /attachments/{id}":              "ACM",
		"GET /attachments/{id}/download":     "ACM",
		"GET /attachments/{id}/original":     "AC",
		"POST /attachments/{id}/delete":      "ACM",

		"GET /api/v1/testimonies/{id}/attachments":  "ACM",
		"POST /api/v1/testimonies/{id}/attachments": "ACM",
		"GET /api/v1/incidents/{id}/attachments":    "ACM",
		"POST /api/v1/incidents/{id}/attachments":   "ACM",
		"GET /api/v1/attachments/{id}":              "ACM",
		"GET /api/v1/attachments/{id}/download":     "ACM",
		"GET /api/v1/attachments/{id}/original":     "AC",
		"DELETE /api/v1/attachments/{id}":           "ACM",
	} {
		expectedAccess[pat] = roles
	}
}

// evidenceEnv is a test server with a data directory and key for files,
// as app.Run sets them.
type evidenceEnv struct {
	*testEnv
	dataDir string
}

func newEvidenceEnv(t *testing.T) *evidenceEnv {
	t.Helper()
	env := newTestServer(t)
	env.Svc.DataDir = t.TempDir()
	env.Svc.MasterKey = make([]byte, 32)
	rand.Read(env.Svc.MasterKey)
	return &evidenceEnv{testEnv: env, dataDir: env.Svc.DataDir}
}

// person is a signed-in user with a session and an API token.
type person struct {
	u      domain.User
	cookie *http.Cookie
	token  string
}

func (e *evidenceEnv) person(t *testing.T, role string) person {
	t.Helper()
	u := e.user(t, role)
	sess, err := e.Svc.StartSession(context.Background(), u)
	must(t, err)
	tok, err := e.Svc.CreateAPIToken(context.Background(), domain.System, u.ID, "t")
	must(t, err)
	return person{u: u, cookie: &http.Cookie{Name: sessionCookie, Value: sess}, token: tok}
}

func multipartBody(t *testing.T, name string, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	must(t, err)
	fw.Write(data)
	must(t, mw.Close())
	return &b, mw.FormDataContentType()
}

// uploadUI posts a file as the browser form does.
func (e *evidenceEnv) uploadUI(t *testing.T, p person, path, name string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := multipartBody(t, name, data)
	return e.do(t, "POST", path, body, p.cookie, map[string]string{"Content-Type": ct, "Sec-Fetch-Site": "same-origin"})
}

// uploadAPI posts a raw body, as a script would, with a misleading type.
func (e *evidenceEnv) uploadAPI(t *testing.T, p person, path, name string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	return e.do(t, "POST", path+"?name="+name, bytes.NewReader(data), nil,
		map[string]string{"Authorization": "Bearer " + p.token, "Content-Type": "text/html"})
}

func (e *evidenceEnv) blobFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(e.dataDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	return out
}

// auditOf lists "action actor" of the attachment's audit entries.
func (e *evidenceEnv) auditOf(t *testing.T, id int64) []string {
	t.Helper()
	rows, err := e.Svc.Store.DB().Query(e.Svc.Store.Rebind(`SELECT action, actor_id FROM audit_log WHERE entity = 'attachment' AND entity_id = ? ORDER BY seq`), id)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		var actor int64
		must(t, rows.Scan(&a, &actor))
		out = append(out, fmt.Sprintf("%s %d", a, actor))
	}
	return out
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestEvidenceUploadDownloadAndNeedToKnow(t *testing.T) {
	env := newEvidenceEnv(t)
	ctx := context.Background()
	mon, other, coord, analyst := env.person(t, "monitor"), env.person(t, "monitor"), env.person(t, "coordinator"), env.person(t, "analyst")
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: "text", Consent: domain.Consent{Store: true}}
	must(t, env.Svc.CreateTestimony(ctx, service.ActorOf(mon.u), &tm))
	tpath := fmt.Sprintf("/testimonies/%d", tm.ID)

	const marker = "MARKER-f3a9c1-near-the-fence"
	photo := evidencetest.JPEGWithGPS(marker)
	w := env.uploadUI(t, mon, tpath+"/attachments", "IMG_0042.jpg", photo)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tpath+"?msg=evidence_added#evidence" {
		t.Fatalf("upload: %d %s %s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	list, err := env.Svc.ListAttachments(ctx, service.ActorOf(mon.u), service.TestimonyOwner(tm.ID))
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("%d attachments", len(list))
	}
	att := list[0]
	if att.SHA256 != sha(photo) || att.Name != "IMG_0042.jpg" || att.MediaType != evidence.TypeJPEG || att.Size != int64(len(photo)) {
		t.Fatalf("record %+v", att)
	}
	apath := fmt.Sprintf("/attachments/%d", att.ID)

	// The testimony page lists it with its fingerprint and an upload form.
	page := env.do(t, "GET", tpath, nil, mon.cookie, nil)
	for _, want := range []string{`id="evidence"`, att.SHA256, apath + "/download", `enctype="multipart/form-data"`, "IMG_0042.jpg"} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("testimony page lacks %q", want)
		}
	}
	// The file's page shows the private metadata to those who may read
	// the record; the original is offered to coordinators only.
	show := env.do(t, "GET", apath, nil, mon.cookie, nil)
	if show.Code != 200 || !strings.Contains(show.Body.String(), "60.175000, 24.937500") || !strings.Contains(show.Body.String(), evidencetest.Make) {
		t.Fatalf("show: %d %s", show.Code, show.Body.String())
	}
	if strings.Contains(show.Body.String(), apath+"/original") {
		t.Error("a monitor is offered the original")
	}
	if !strings.Contains(env.do(t, "GET", apath, nil, coord.cookie, nil).Body.String(), apath+"/original") {
		t.Error("a coordinator is not offered the original")
	}

	// Download: the copy without metadata, with safe headers.
	dl := env.do(t, "GET", apath+"/download", nil, mon.cookie, nil)
	if dl.Code != 200 {
		t.Fatalf("download: %d %s", dl.Code, dl.Body.String())
	}
	h := dl.Header()
	if h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Content-Disposition") != `attachment; filename=IMG_0042.jpg` || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("headers %v", h)
	}
	body := dl.Body.Bytes()
	if sha(body) != att.StrippedSHA256 || bytes.Contains(body, []byte(marker)) || bytes.Contains(body, []byte(evidencetest.Make)) {
		t.Fatal("the download is not the stripped copy")
	}
	if res, err := evidence.Inspect(body); err != nil || !res.Metadata.Empty() {
		t.Fatalf("downloaded copy: %v %+v", err, res)
	}
	// The original: refused to a monitor, byte-exact for a coordinator.
	if w := env.do(t, "GET", apath+"/original", nil, mon.cookie, nil); w.Code != http.StatusForbidden {
		t.Fatalf("monitor original: %d", w.Code)
	}
	orig := env.do(t, "GET", apath+"/original", nil, coord.cookie, nil)
	if orig.Code != 200 || !bytes.Equal(orig.Body.Bytes(), photo) {
		t.Fatalf("original: %d", orig.Code)
	}

	// Need-to-know: another monitor cannot see the file or learn it
	// exists; an analyst has no evidence routes at all.
	for _, p := range []string{apath, apath + "/download"} {
		if w := env.do(t, "GET", p, nil, other.cookie, nil); w.Code != http.StatusNotFound {
			t.Errorf("other monitor %s: %d", p, w.Code)
		}
		if w := env.do(t, "GET", p, nil, analyst.cookie, nil); w.Code != http.StatusForbidden {
			t.Errorf("analyst %s: %d", p, w.Code)
		}
	}
	if w := env.api(t, "GET", fmt.Sprintf("/api/v1/attachments/%d/download", att.ID), other.token, ""); w.Code != http.StatusNotFound {
		t.Errorf("other monitor API download: %d", w.Code)
	}
	if w := env.api(t, "GET", "/api/v1"+tpath+"/attachments", other.token, ""); w.Code != http.StatusNotFound {
		t.Errorf("other monitor API list: %d", w.Code)
	}
	if w := env.uploadAPI(t, other, "/api/v1"+tpath+"/attachments", "x.jpg", photo); w.Code != http.StatusNotFound {
		t.Errorf("other monitor upload: %d", w.Code)
	}

	// Every upload and download is in the audit log, by whom.
	wantAudit := []string{fmt.Sprintf("create %d", mon.u.ID), fmt.Sprintf("download %d", mon.u.ID), fmt.Sprintf("download %d", coord.u.ID)}
	if got := env.auditOf(t, att.ID); strings.Join(got, ",") != strings.Join(wantAudit, ",") {
		t.Fatalf("audit %v, want %v", got, wantAudit)
	}

	// At rest: only ciphertext, under names that are not the hash.
	files := env.blobFiles(t)
	if len(files) != 2 {
		t.Fatalf("%d files in the data directory, want the original and the copy: %v", len(files), files)
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte(marker)) || bytes.Contains(raw, []byte(evidencetest.Make)) || strings.Contains(f, att.SHA256) {
			t.Errorf("%s is not encrypted or is named by the hash", f)
		}
		if !strings.HasPrefix(f, filepath.Join(env.dataDir, evidence.BlobDir)+string(filepath.Separator)) {
			t.Errorf("%s is outside the blob store", f)
		}
	}
}

func TestEvidenceAPIAndDedup(t *testing.T) {
	env := newEvidenceEnv(t)
	ctx := context.Background()
	mon, coord := env.person(t, "monitor"), env.person(t, "coordinator")
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: "text", Consent: domain.Consent{Store: true}}
	must(t, env.Svc.CreateTestimony(ctx, service.ActorOf(mon.u), &tm))
	in := domain.Incident{Title: "incident", Kinds: []string{"pushback"}}
	must(t, env.Svc.CreateIncident(ctx, domain.System, &in))
	tAPI := fmt.Sprintf("/api/v1/testimonies/%d/attachments", tm.ID)
	iAPI := fmt.Sprintf("/api/v1/incidents/%d/attachments", in.ID)
	pdf := evidencetest.PDF("Jane Witness", "")

	// A raw body; the client's Content-Type (text/html) and a hostile name
	// change nothing.
	w := env.uploadAPI(t, mon, tAPI, "../../etc/passwd", pdf)
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body.String())
	}
	var att struct {
		ID             int64  `json:"id"`
		TestimonyID    int64  `json:"testimony_id"`
		Name           string `json:"name"`
		MediaType      string `json:"media_type"`
		Size           int64  `json:"size"`
		SHA256         string `json:"sha256"`
		StrippedSHA256 string `json:"stripped_sha256"`
		Metadata       struct {
			Fields []evidence.Field `json:"fields"`
		} `json:"metadata"`
	}
	must(t, json.Unmarshal(w.Body.Bytes(), &att))
	if w.Header().Get("Location") != fmt.Sprintf("/api/v1/attachments/%d", att.ID) || att.TestimonyID != tm.ID ||
		att.Name != "etc_passwd.pdf" || att.MediaType != "application/pdf" || att.Size != int64(len(pdf)) || att.SHA256 != sha(pdf) ||
		att.StrippedSHA256 == att.SHA256 || len(att.Metadata.Fields) == 0 {
		t.Fatalf("created %s", w.Body.String())
	}
	dl := env.api(t, "GET", fmt.Sprintf("/api/v1/attachments/%d/download", att.ID), mon.token, "")
	if dl.Code != 200 || dl.Header().Get("Content-Disposition") != "attachment; filename=etc_passwd.pdf" || bytes.Contains(dl.Body.Bytes(), []byte("Jane")) {
		t.Fatalf("download: %d %v", dl.Code, dl.Header())
	}

	// The same file on the incident: a second record, the same blobs.
	before := len(env.blobFiles(t))
	w = env.uploadAPI(t, coord, iAPI, "statement.pdf", pdf)
	if w.Code != http.StatusCreated {
		t.Fatalf("second upload: %d %s", w.Code, w.Body.String())
	}
	var att2 struct {
		ID         int64 `json:"id"`
		IncidentID int64 `json:"incident_id"`
	}
	must(t, json.Unmarshal(w.Body.Bytes(), &att2))
	if after := len(env.blobFiles(t)); after != before || before != 2 {
		t.Fatalf("blob files %d → %d, want 2 → 2", before, after)
	}
	// Multipart works on the API too.
	body, ct := multipartBody(t, "photo.jpg", evidencetest.JPEG())
	w = env.do(t, "POST", iAPI, body, nil, map[string]string{"Authorization": "Bearer " + coord.token, "Content-Type": ct})
	if w.Code != http.StatusCreated {
		t.Fatalf("multipart upload: %d %s", w.Code, w.Body.String())
	}
	var list struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
		Next string `json:"next"`
	}
	lw := env.api(t, "GET", iAPI, mon.token, "")
	must(t, json.Unmarshal(lw.Body.Bytes(), &list))
	if lw.Code != 200 || len(list.Items) != 2 || list.Items[0].ID != att2.ID || list.Items[1].Name != "photo.jpg" {
		t.Fatalf("list: %d %s", lw.Code, lw.Body.String())
	}
	if w := env.api(t, "GET", fmt.Sprintf("/api/v1/attachments/%d", att2.ID), mon.token, ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"incident_id":`) {
		t.Fatalf("get: %d %s", w.Code, w.Body.String())
	}

	// Refused files: clear errors, nothing stored.
	files := len(env.blobFiles(t))
	for name, data := range map[string][]byte{
		"jpeg+zip": evidencetest.JPEGWithZIP(), "jpeg+html": evidencetest.JPEGWithHTML(), "svg": evidencetest.SVG(),
		"html": evidencetest.HTML(), "pdf+js": evidencetest.PDFWithJavaScript(), "zip": evidencetest.ZIP(), "empty": nil,
	} {
		w := env.uploadAPI(t, mon, tAPI, name+".jpg", data)
		var e apiError
		_ = json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != http.StatusUnprocessableEntity || e.Error.Code != domain.EInvalid || e.Error.Message == "" {
			t.Errorf("%s: %d %s", name, w.Code, w.Body.String())
		}
	}
	if len(env.blobFiles(t)) != files {
		t.Fatal("a refused file left a blob behind")
	}
	if w := env.uploadAPI(t, mon, tAPI, "big.jpg", make([]byte, evidence.MaxSize+10)); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize: %d", w.Code)
	}
	// Other routes keep the 1 MiB body limit.
	if w := env.api(t, "POST", "/api/v1/testimonies", mon.token, `{"narrative":"`+strings.Repeat("x", 2<<20)+`"}`); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("the upload limit leaked to other routes: %d", w.Code)
	}

	// Deleting: a monitor may not remove a coordinator's file; the blob
	// stays while another record uses it and goes with the last.
	if w := env.api(t, "DELETE", fmt.Sprintf("/api/v1/attachments/%d", att2.ID), mon.token, ""); w.Code != http.StatusForbidden {
		t.Fatalf("monitor deletes a coordinator's file: %d", w.Code)
	}
	if w := env.api(t, "DELETE", fmt.Sprintf("/api/v1/attachments/%d", att2.ID), coord.token, ""); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body.String())
	}
	if len(env.blobFiles(t)) != files {
		t.Fatal("a blob still in use was removed")
	}
	if w := env.api(t, "DELETE", fmt.Sprintf("/api/v1/attachments/%d", att.ID), mon.token, ""); w.Code != http.StatusNoContent {
		t.Fatalf("delete own: %d", w.Code)
	}
	if n := len(env.blobFiles(t)); n != files-2 {
		t.Fatalf("%d blob files after deleting the last user, want %d", n, files-2)
	}
	if got := env.auditOf(t, att.ID); got[len(got)-1] != fmt.Sprintf("delete %d", mon.u.ID) {
		t.Fatalf("audit %v", got)
	}
}

func TestEvidenceUIErrorsAndSections(t *testing.T) {
	env := newEvidenceEnv(t)
	ctx := context.Background()
	mon, analyst, legal := env.person(t, "monitor"), env.person(t, "analyst"), env.person(t, "legal_aid")
	in := domain.Incident{Title: "incident", Kinds: []string{"pushback"}}
	must(t, env.Svc.CreateIncident(ctx, domain.System, &in))
	ipath := fmt.Sprintf("/incidents/%d", in.ID)

	w := env.uploadUI(t, mon, ipath+"/attachments", "x.jpg", evidencetest.JPEGWithZIP())
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "extra data") || !strings.Contains(w.Body.String(), ipath+"#evidence") {
		t.Fatalf("refused upload page: %d %s", w.Code, w.Body.String())
	}
	// A form without a file.
	w = env.do(t, "POST", ipath+"/attachments", strings.NewReader("a=b"), mon.cookie,
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("no file: %d", w.Code)
	}
	// A cross-site form post is refused before anything is read.
	body, ct := multipartBody(t, "x.jpg", evidencetest.JPEG())
	if w := env.do(t, "POST", ipath+"/attachments", body, mon.cookie, map[string]string{"Content-Type": ct, "Sec-Fetch-Site": "cross-site"}); w.Code != http.StatusForbidden {
		t.Fatalf("cross-site upload: %d", w.Code)
	}
	if w := env.uploadUI(t, mon, ipath+"/attachments", "ok.jpg", evidencetest.JPEG()); w.Code != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", w.Code, w.Body.String())
	}
	// Analysts and legal-aid workers read the incident but see no evidence.
	for _, p := range []person{analyst, legal} {
		page := env.do(t, "GET", ipath, nil, p.cookie, nil)
		if page.Code != 200 || strings.Contains(page.Body.String(), `id="evidence"`) || strings.Contains(page.Body.String(), "ok.jpg") {
			t.Errorf("%s sees the evidence section: %d", p.u.Role, page.Code)
		}
	}
	page := env.do(t, "GET", ipath+"?msg=evidence_added", nil, mon.cookie, nil)
	if !strings.Contains(page.Body.String(), `id="evidence"`) || !strings.Contains(page.Body.String(), "ok.jpg") || !strings.Contains(page.Body.String(), "File attached.") {
		t.Fatalf("monitor's incident page: %s", page.Body.String())
	}
}

func TestEvidenceContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"photo.jpg":     `attachment; filename=photo.jpg`,
		"kuva äö.jpg":   `attachment; filename*=utf-8''kuva%20%C3%A4%C3%B6.jpg`,
		"a b.pdf":       `attachment; filename="a b.pdf"`,
		"report(1).pdf": `attachment; filename="report(1).pdf"`,
	} {
		if got := contentDisposition(name); got != want {
			t.Errorf("%q: %s, want %s", name, got, want)
		}
	}
}
