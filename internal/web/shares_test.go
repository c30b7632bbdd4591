package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/domain"
)

func init() {
	expectedAccess["POST /testimonies/{id}/shares"] = "ACM"
	expectedAccess["POST /testimonies/{id}/shares/{uid}/delete"] = "ACM"
	expectedAccess["GET /api/v1/testimonies/{id}/shares"] = "ACM"
	expectedAccess["POST /api/v1/testimonies/{id}/shares"] = "ACM"
	expectedAccess["DELETE /api/v1/testimonies/{id}/shares/{uid}"] = "ACM"
}

func TestSharingTestimonies(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	owner, reader := env.user(t, "monitor"), env.user(t, "monitor")
	session := func(u domain.User) *http.Cookie {
		tok, err := env.Svc.StartSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Cookie{Name: sessionCookie, Value: tok}
	}
	oc, rc := session(owner), session(reader)
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: "the owner's account", Consent: domain.Consent{Store: true}}
	if err := env.Svc.CreateTestimony(ctx, domain.Actor{UserID: owner.ID, Role: "monitor"}, &tm); err != nil {
		t.Fatal(err)
	}
	path := "/testimonies/" + strconv.FormatInt(tm.ID, 10)
	if w := env.do(t, "GET", path, nil, nil, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", w.Code)
	}
	if w := env.do(t, "GET", path, nil, rc, nil); w.Code != http.StatusNotFound {
		t.Fatalf("reader before sharing: %d", w.Code)
	}
	body := env.do(t, "GET", path, nil, oc, nil).Body.String()
	if !strings.Contains(body, `id="share-form"`) || !strings.Contains(body, reader.Username) {
		t.Fatal("the owner's page has no share form offering the colleague")
	}
	w := env.postForm(t, path+"/shares", url.Values{"user_id": {strconv.FormatInt(reader.ID, 10)}}, oc)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("share: %d %s", w.Code, w.Body.String())
	}
	rb := env.do(t, "GET", path, nil, rc, nil)
	if rb.Code != http.StatusOK || !strings.Contains(rb.Body.String(), "the owner&#39;s account") || strings.Contains(rb.Body.String(), `id="share-form"`) {
		t.Fatalf("reader after sharing: %d", rb.Code)
	}
	if w := env.postForm(t, path, url.Values{"version": {"1"}, "received_on": {"2024-02-01"}, "narrative": {"x"}, "consent_store": {"on"}}, rc); w.Code != http.StatusForbidden {
		t.Fatalf("reader edit: %d", w.Code)
	}
	if w := env.postForm(t, path+"/shares/"+strconv.FormatInt(reader.ID, 10)+"/delete", nil, oc); w.Code != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", w.Code)
	}
	if w := env.do(t, "GET", path, nil, rc, nil); w.Code != http.StatusNotFound {
		t.Fatalf("reader after withdrawal: %d", w.Code)
	}
	// API: share, list, withdraw.
	tok, err := env.Svc.CreateAPIToken(ctx, domain.System, owner.ID, "t")
	if err != nil {
		t.Fatal(err)
	}
	api := "/api/v1" + path + "/shares"
	if w := env.api(t, "POST", api, tok, `{"user_id":`+strconv.FormatInt(reader.ID, 10)+`}`); w.Code != http.StatusCreated {
		t.Fatalf("api share: %d %s", w.Code, w.Body.String())
	}
	if w := env.api(t, "GET", api, tok, ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"user_id":`+strconv.FormatInt(reader.ID, 10)) {
		t.Fatalf("api list: %d %s", w.Code, w.Body.String())
	}
	if w := env.api(t, "POST", api, tok, `{"user_id":999999}`); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("api share with nobody: %d", w.Code)
	}
	if w := env.api(t, "DELETE", api+"/"+strconv.FormatInt(reader.ID, 10), tok, ""); w.Code != http.StatusNoContent {
		t.Fatalf("api withdraw: %d", w.Code)
	}
}
