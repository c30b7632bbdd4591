package web

import (
	"net/http"
	"regexp"
	"strings"
)

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI builds the OpenAPI 3.1 document from the route table itself, so
// the document cannot drift from what the server routes.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range s.Routes() {
		if rt.Surface != API {
			continue
		}
		p := strings.TrimPrefix(rt.Path, "/api/v1")
		op := map[string]any{
			"summary":      rt.Doc,
			"operationId":  strings.ToLower(rt.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_").Replace(p),
			"x-permission": string(rt.Perm),
			"responses": map[string]any{
				"200":     map[string]any{"description": "OK", "content": jsonContent(nil)},
				"default": map[string]any{"description": "Error", "content": jsonContent(map[string]any{"$ref": "#/components/schemas/Error"})},
			},
		}
		if rt.Perm == "public" {
			op["security"] = []any{}
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "integer"}})
		}
		if rt.Method == http.MethodGet && strings.Contains(rt.Doc, "cursor") {
			params = append(params,
				map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 200}},
				map[string]any{"name": "cursor", "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if rt.Method == http.MethodPost {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string", "maxLength": 200},
				"description": "Retrying a POST with the same key and body returns the first response instead of creating a second record."})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		switch {
		case rt.MaxBody == uploadLimit:
			// Evidence uploads: the file itself, streamed, not JSON.
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{
				"schema": map[string]any{"type": "object", "required": []any{"file"},
					"properties": map[string]any{"file": map[string]any{"type": "string", "contentMediaType": "application/octet-stream",
						"description": "The file, with its name; photos, PDFs and audio, checked by content."}}}}}}
		case rt.Method == http.MethodPost || rt.Method == http.MethodPut:
			op["requestBody"] = map[string]any{"required": true, "content": jsonContent(nil)}
		}
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Vigil API", "version": "1",
			"description": "JSON API of Vigil. Authenticate with Authorization: Bearer TOKEN (vigil token create). Lists return {items, next}; pass next as ?cursor= for the following page."},
		"servers":  []any{map[string]any{"url": "/api/v1"}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "required": []any{"error"},
				"properties": map[string]any{"error": map[string]any{"type": "object", "required": []any{"code", "message"},
					"properties": map[string]any{"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"},
						"fields": map[string]any{"type": "array", "items": map[string]any{"type": "object"}}}}}}},
		},
	}
}

func jsonContent(schema map[string]any) map[string]any {
	if schema == nil {
		schema = map[string]any{"type": "object"}
	}
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.OpenAPI())
}
