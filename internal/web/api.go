package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// apiRoutes gathers the JSON API, /api/v1. Each resource file adds its own.
func (s *Server) apiRoutes() []Route {
	var rs []Route
	for _, group := range [][]Route{
		s.testimonyAPI(), s.incidentAPI(), s.crossingAPI(), s.figureAPI(), s.caseAPI(), s.userAPI(),
		{{Method: "GET", Path: "/api/v1/openapi.json", Perm: domain.PermPublic, Surface: API, Handler: s.openAPI,
			Doc: "This OpenAPI document."},
			{Method: "GET", Path: "/api/v1/vocabularies", Perm: domain.PermSelf, Surface: API, Handler: s.apiVocabularies,
				Doc: "Every closed vocabulary with its codes and English and Finnish labels."}},
	} {
		for _, rt := range group {
			rt.Surface = API
			if rt.Method == http.MethodPost && !rt.Secret {
				rt.Handler = s.idempotent(rt.Handler)
			}
			rs = append(rs, rt)
		}
	}
	return rs
}

// list is the shape of every API list: the records and the cursor of the
// next page ("" at the end).
type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

func newList[T any](items []T, next string) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Next: next}
}

// apiPage reads ?limit= and ?cursor=.
func apiPage(r *http.Request) (domain.Page, error) {
	p := domain.Page{Cursor: r.URL.Query().Get("cursor")}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > domain.MaxPageSize {
			return p, domain.Errorf(domain.EInvalid, "limit must be a number from 1 to %d", domain.MaxPageSize)
		}
		p.Limit = n
	}
	return p, nil
}

// decodeJSON reads a JSON body into v strictly: unknown fields and trailing
// data are errors, so a typo in a field name is not silently dropped.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return normalizeErr(err)
		}
		if errors.Is(err, io.EOF) {
			return domain.Errorf(domain.EInvalid, "the request body is empty; send a JSON object")
		}
		return domain.Errorf(domain.EInvalid, "invalid JSON: %s", err.Error())
	}
	if dec.More() {
		return domain.Errorf(domain.EInvalid, "invalid JSON: unexpected data after the object")
	}
	return nil
}

func (s *Server) apiVocabularies(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"items": domain.AllVocabularies()})
}

// capture records a handler's response so an idempotent replay can send
// the same bytes again.
type capture struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *capture) WriteHeader(code int) { c.status = code; c.ResponseWriter.WriteHeader(code) }
func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}

// idempotent makes a POST safe to retry: with an Idempotency-Key header,
// the first response is stored and a retry with the same key and body gets
// it again instead of creating a second record.
func (s *Server) idempotent(h func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		u, ok := userOf(r)
		if key == "" || !ok {
			h(w, r)
			return
		}
		if len(key) > 200 {
			s.fail(w, r, domain.Errorf(domain.EInvalid, "Idempotency-Key is too long (at most 200 characters)"))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.fail(w, r, normalizeErr(err))
			return
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), body...))
		prev, err := s.Svc.Store.GetIdempotency(r.Context(), u.ID, key)
		switch {
		case err == nil:
			if !bytes.Equal(prev.RequestHash, sum[:]) {
				s.fail(w, r, domain.Errorf(domain.EConflict, "this Idempotency-Key was already used for a different request"))
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(prev.Status)
			_, _ = w.Write(prev.Body)
			return
		case domain.ErrorCode(err) != domain.ENotFound:
			s.fail(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c := &capture{ResponseWriter: w}
		h(c, r)
		if c.status < 500 {
			err := s.Svc.Store.PutIdempotency(r.Context(), store.Idempotency{UserID: u.ID, Key: key, RequestHash: sum[:],
				Status: c.status, Body: c.buf.Bytes(), CreatedAt: s.Svc.Now().UTC()})
			if err != nil && domain.ErrorCode(err) != domain.EConflict {
				s.Log.Error("idempotency store", "err", err)
			}
		}
	}
}

// created answers a successful POST with the new record.
func created(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", location)
	writeJSON(w, http.StatusCreated, v)
}

func apiPath(kind string, id int64) string { return fmt.Sprintf("/api/v1/%s/%d", kind, id) }
