// Package web serves the staff web UI (server-rendered HTML that works
// without JavaScript) and the JSON API. Every route is declared in one table
// with the permission it needs; the table drives routing, the permission
// check, the OpenAPI document and the role × route test.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"vigil/internal/domain"
	"vigil/internal/service"
	"vigil/internal/store"
)

// Surface tells whether a route belongs to the HTML UI or the JSON API;
// they differ in how they authenticate and how they report errors.
type Surface int

// The surfaces.
const (
	UI Surface = iota
	API
)

// Route is one entry of the route table.
type Route struct {
	Method  string // GET, POST, PUT, DELETE
	Path    string // net/http pattern path, e.g. /testimonies/{id}
	Perm    domain.Permission
	Surface Surface
	Handler func(w http.ResponseWriter, r *http.Request)
	// Doc describes an API route for the OpenAPI document.
	Doc string
	// Secret marks a response that carries a secret shown once (a
	// generated password): it is never stored for idempotent replay.
	Secret bool
	// Reauth marks a sensitive UI action (user administration, API
	// tokens, 2FA changes, exports and backups): the person must have given
	// their password (and second factor) within service.ReauthWindow, or
	// is asked to first. API routes authenticate by token and ignore it.
	Reauth bool
	// MaxBody raises the request body limit above MaxBody for this route
	// (file uploads); zero keeps the default.
	MaxBody int64
}

// Pattern is the ServeMux pattern of the route.
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

// Server holds what handlers need.
type Server struct {
	Svc *service.Service
	Log *slog.Logger
	// Demo marks the demo instance: the login page then says so.
	Demo bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (clientIP); none by default.
	TrustedProxies TrustedProxies

	pages *pages
}

// New prepares the server; templates are parsed once here and a broken one
// stops start-up rather than the first request.
func New(svc *service.Service, log *slog.Logger) (*Server, error) {
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Server{Svc: svc, Log: log, pages: p}, nil
}

// Routes is the whole route table: the UI's and the API's.
func (s *Server) Routes() []Route {
	var rs []Route
	for _, group := range [][]Route{
		s.sessionRoutes(), s.dashboardRoutes(), s.testimonyRoutes(), s.incidentRoutes(), s.linkRoutes(),
		s.crossingRoutes(), s.figureRoutes(), s.caseRoutes(), s.userRoutes(), s.searchRoutes(),
		s.securityRoutes(), s.historyRoutes(), s.evidenceRoutes(), s.shareRoutes(),
		s.apiRoutes(),
	} {
		rs = append(rs, group...)
	}
	return rs
}

// Handler returns the complete HTTP handler with its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		mux.Handle(rt.Pattern(), s.guard(rt))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	mux.HandleFunc("/", s.notFound)
	// Cross-origin protection checks Sec-Fetch-Site / Origin on every
	// unsafe method, so a page on another site cannot make a signed-in
	// browser post to Vigil. API clients that send neither header (curl,
	// scripts) are let through; they authenticate with a bearer token.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, domain.Errorf(domain.EForbidden, "cross-site request refused"))
	}))
	return s.recoverer(s.securityHeaders(limitBody(cop.Handler(mux))))
}

type ctxKey int

const (
	userKey ctxKey = iota
	nonceKey
)

// userOf returns the signed-in user, if any.
func userOf(r *http.Request) (domain.User, bool) {
	u, ok := r.Context().Value(userKey).(domain.User)
	return u, ok
}

// actorOf returns the actor of the request (zero actor when anonymous).
func actorOf(r *http.Request) domain.Actor {
	u, ok := userOf(r)
	if !ok {
		return domain.Actor{}
	}
	return service.ActorOf(u)
}

func withUser(ctx context.Context, u domain.User) context.Context {
	// The store audits every write of the request as this user's.
	return context.WithValue(store.WithActor(ctx, u.ID), userKey, u)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
