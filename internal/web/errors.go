package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"vigil/internal/domain"
)

// statusOf is the one table from error codes to HTTP status.
var statusOf = map[string]int{
	domain.EInvalid:      http.StatusUnprocessableEntity,
	domain.ENotFound:     http.StatusNotFound,
	domain.EConflict:     http.StatusConflict,
	domain.EUnauthorized: http.StatusUnauthorized,
	domain.EForbidden:    http.StatusForbidden,
	domain.ETooLarge:     http.StatusRequestEntityTooLarge,
	domain.ERateLimited:  http.StatusTooManyRequests,
	domain.EInternal:     http.StatusInternalServerError,
}

// apiError is the JSON error body: {"error":{"code":..,"message":..}}.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []domain.FieldError `json:"fields,omitempty"`
}

// normalizeErr turns transport errors into application errors.
func normalizeErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return domain.Errorf(domain.ETooLarge, "the request is too large (limit %d bytes)", mbe.Limit)
	}
	return err
}

// fail reports err to the client in the request's surface: a JSON error for
// the API, an HTML page for the UI. Internal details go to the log only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	err = normalizeErr(err)
	code := domain.ErrorCode(err)
	status := statusOf[code]
	if code == domain.EInternal {
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if isAPI(r) {
		writeJSON(w, status, apiError{apiErrorBody{Code: code, Message: domain.ErrorMessage(err), Fields: domain.ErrorFields(err)}})
		return
	}
	v := s.view(r, "error.title")
	v.Data = errorPage{Status: status, Message: domain.ErrorMessage(err), Code: code}
	s.render(w, r, status, "error", v)
}

type errorPage struct {
	Status  int
	Code    string
	Message string
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, domain.Errorf(domain.ENotFound, "page not found"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
