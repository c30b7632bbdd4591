package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/domain"
	"vigil/internal/evidence/evidencetest"
	"vigil/internal/service"
)

// TestUploadNamesFromRawMultipart adds to evidence_test.go (which sends a
// hostile name as ?name= and through mime/multipart's writer, which
// escapes it) file names written straight into the multipart header, as a
// hand-made client would: traversal in every spelling, RFC 2231 encoded
// names, quotes and header injection. Each upload is stored under its
// content address only; the name shown and sent back is flat and harmless,
// and no file appears anywhere but in the blob store.
func TestUploadNamesFromRawMultipart(t *testing.T) {
	env := newEvidenceEnv(t)
	ctx := context.Background()
	mon := env.person(t, "monitor")
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: "text", Consent: domain.Consent{Store: true}}
	must(t, env.Svc.CreateTestimony(ctx, service.ActorOf(mon.u), &tm))
	path := fmt.Sprintf("/testimonies/%d/attachments", tm.ID)
	// The test's own temporary folder holds the store and the data
	// directory: every new file there must be a blob or the database.
	root := filepath.Dir(env.dataDir)
	blobRoot := filepath.Join(env.dataDir, "blobs")
	files := func() map[string]bool {
		seen := map[string]bool{}
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				seen[p] = true
			}
			return nil
		})
		return seen
	}
	before := files()

	names := []string{
		`filename="../../../../../../tmp/vigil-escape-1.jpg"`,
		`filename="..\\..\\..\\vigil-escape-2.jpg"`,
		`filename="/etc/vigil-escape-3.jpg"`,
		`filename="C:\\Windows\\vigil-escape-4.jpg"`,
		`filename*=UTF-8''..%2F..%2F..%2Fvigil-escape-5.jpg`,
		`filename*=UTF-8''%2E%2E%2F%E2%80%AEgpj.exe`,
		`filename="x.jpg\"; name=\"other"`,
		`filename="a.jpg"; filename="../../vigil-escape-6.jpg"`,
		`filename="%2e%2e%2fvigil-escape-7.jpg"`,
	}
	for i, n := range names {
		data := evidencetest.JPEGWithGPS(fmt.Sprintf("upload %d", i)) // distinct files, distinct records
		body := "--B\r\nContent-Disposition: form-data; name=\"file\"; " + n + "\r\nContent-Type: image/jpeg\r\n\r\n" + string(data) + "\r\n--B--\r\n"
		w := env.do(t, "POST", path, strings.NewReader(body), mon.cookie,
			map[string]string{"Content-Type": "multipart/form-data; boundary=B", "Sec-Fetch-Site": "same-origin"})
		if w.Code != http.StatusSeeOther && w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %.300s", n, w.Code, w.Body.String())
		}
	}
	lw := env.api(t, "GET", fmt.Sprintf("/api/v1/testimonies/%d/attachments", tm.ID), mon.token, "")
	var list struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	must(t, json.Unmarshal(lw.Body.Bytes(), &list))
	if len(list.Items) < len(names)-2 {
		t.Fatalf("only %d of %d uploads were stored: %s", len(list.Items), len(names), lw.Body.String())
	}
	for _, it := range list.Items {
		if strings.ContainsAny(it.Name, "/\\\x00\r\n\"") || strings.HasPrefix(it.Name, ".") || strings.Contains(it.Name, "\u202e") ||
			!strings.HasSuffix(it.Name, ".jpg") {
			t.Errorf("stored name %q", it.Name)
		}
		dl := env.api(t, "GET", fmt.Sprintf("/api/v1/attachments/%d/download", it.ID), mon.token, "")
		cd := dl.Header().Get("Content-Disposition")
		disp, params, err := mime.ParseMediaType(cd)
		if dl.Code != 200 || err != nil || disp != "attachment" || params["filename"] != it.Name || len(params) != 1 {
			t.Errorf("download of %q: %d, Content-Disposition %q (%v)", it.Name, dl.Code, cd, err)
		}
	}
	for p := range files() {
		if !before[p] && !strings.HasPrefix(p, blobRoot+string(filepath.Separator)) && !strings.HasPrefix(filepath.Base(p), "vigil.db") {
			t.Errorf("an upload created %s outside the evidence store", p)
		}
	}
	// Nor did a name become a path anywhere a traversal would reach.
	cwd, _ := os.Getwd()
	for _, dir := range []string{cwd, filepath.Dir(cwd), os.TempDir(), "/etc", "/", root, env.dataDir, blobRoot} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), "vigil-escape") || strings.Contains(e.Name(), "gpj.exe") {
				t.Errorf("an upload's name became a path: %s", filepath.Join(dir, e.Name()))
			}
		}
	}
	t.Logf("%d hostile multipart names, %d stored, none outside the blob store", len(names), len(list.Items))
}
