package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes fetches /api/v1/openapi.json and checks it
// against the route table: every API route is documented with a summary
// and its permission, and the document lists nothing the server lacks.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	env := newTestServer(t)
	w := env.do(t, "GET", "/api/v1/openapi.json", nil, nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	want := map[string]bool{}
	for _, rt := range env.Srv.Routes() {
		if rt.Surface != API {
			continue
		}
		p := strings.TrimPrefix(rt.Path, "/api/v1")
		m := strings.ToLower(rt.Method)
		want[m+" "+p] = true
		op, ok := doc.Paths[p][m]
		if !ok {
			t.Errorf("%s %s is not in the OpenAPI document", rt.Method, rt.Path)
			continue
		}
		if rb, ok := op["requestBody"].(map[string]any); ok {
			content, _ := rb["content"].(map[string]any)
			_, multipart := content["multipart/form-data"]
			_, json := content["application/json"]
			if upload := rt.MaxBody == uploadLimit; upload != multipart || upload == json {
				t.Errorf("%s %s: request body %v, want multipart only for uploads and JSON otherwise", rt.Method, rt.Path, content)
			}
		}
		if s, _ := op["summary"].(string); s == "" {
			t.Errorf("%s %s has no summary (set Doc in the route table)", rt.Method, rt.Path)
		}
		if op["x-permission"] != string(rt.Perm) {
			t.Errorf("%s %s documents permission %v, route needs %s", rt.Method, rt.Path, op["x-permission"], rt.Perm)
		}
		if strings.Contains(p, "{id}") {
			params, _ := op["parameters"].([]any)
			found := false
			for _, x := range params {
				if pm, _ := x.(map[string]any); pm["name"] == "id" && pm["in"] == "path" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s %s does not document its id parameter", rt.Method, rt.Path)
			}
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !want[m+" "+p] {
				t.Errorf("the document lists %s %s, which the server does not route", m, p)
			}
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d API routes", len(want))
	}
}
