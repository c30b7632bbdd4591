package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"vigil/internal/domain"
	"vigil/internal/i18n"
	"vigil/internal/service"
	"vigil/internal/store"
)

// historyKind is one kind of record with a history: where its pages live
// and which permissions its history needs. The service checks them again,
// together with need-to-know on the record itself.
type historyKind struct {
	entity      string
	ui, api     string // path prefixes of the record, e.g. /testimonies and /api/v1/testimonies
	show        string // the record's own page, %d standing for the id
	read, write domain.Permission
	label       string // catalog prefix for field names (testimony.narrative, …)
}

var historyKinds = []historyKind{
	{store.EntityTestimony, "/testimonies", "/api/v1/testimonies", "/testimonies/%d", domain.PermTestimonyRead, domain.PermTestimonyWrite, "testimony"},
	{store.EntityIncident, "/incidents", "/api/v1/incidents", "/incidents/%d", domain.PermIncidentRead, domain.PermIncidentWrite, "incident"},
	{store.EntityCrossingPoint, "/crossing-points", "/api/v1/crossing-points", "/crossing-points/%d", domain.PermReferenceRead, domain.PermReferenceWrite, "crossing"},
	// A policy event has no page of its own: it is a line of the timeline.
	{store.EntityPolicyEvent, "/timeline", "/api/v1/policy-events", "/timeline", domain.PermReferenceRead, domain.PermReferenceWrite, "crossing"},
	{store.EntityFigure, "/figures", "/api/v1/figures", "/figures/%d", domain.PermReferenceRead, domain.PermReferenceWrite, "figures"},
	{store.EntityCase, "/cases", "/api/v1/cases", "/cases/%d", domain.PermCaseRead, domain.PermCaseWrite, "case"},
	{store.EntityUser, "/users", "/api/v1/users", "/users/%d/edit", domain.PermUserAdmin, domain.PermUserAdmin, "user"},
}

func (s *Server) historyRoutes() []Route {
	var rs []Route
	for _, k := range historyKinds {
		// A user's history is user administration, which asks for the
		// password again like the user's own edit page.
		reauth := k.entity == store.EntityUser
		rs = append(rs,
			Route{Method: "GET", Path: k.ui + "/{id}/history", Perm: k.read, Reauth: reauth, Handler: s.historyList(k)},
			Route{Method: "GET", Path: k.ui + "/{id}/history/{version}", Perm: k.read, Reauth: reauth, Handler: s.historyVersion(k)},
			Route{Method: "POST", Path: k.ui + "/{id}/history/{version}/restore", Perm: k.write, Reauth: reauth, Handler: s.historyRestore(k)},
			Route{Method: "GET", Path: k.api + "/{id}/history", Perm: k.read, Surface: API, Handler: s.apiHistory(k),
				Doc: "The saved versions of one record, newest first: who saved each and when, the action, and the names of the fields it changed."},
			Route{Method: "GET", Path: k.api + "/{id}/history/{version}", Perm: k.read, Surface: API, Handler: s.apiHistoryVersion(k),
				Doc: "One saved version field by field beside the version before it, or beside ?against=N."},
		)
	}
	rs = append(rs,
		Route{Method: "GET", Path: "/audit", Perm: domain.PermUserAdmin, Handler: s.auditPage},
		// Signing uses the instance's checkpoint key: key administration.
		Route{Method: "POST", Path: "/audit/checkpoint", Perm: domain.PermUserAdmin, Reauth: true, Handler: s.auditCheckpoint},
		Route{Method: "POST", Path: "/audit/verify", Perm: domain.PermUserAdmin, Handler: s.auditVerify},
	)
	return rs
}

func (k historyKind) recordURL(id int64) string {
	return strings.Replace(k.show, "%d", strconv.FormatInt(id, 10), 1)
}

func (k historyKind) base(id int64) string {
	return k.ui + "/" + strconv.FormatInt(id, 10) + "/history"
}

// fieldLabel names a field in the view's language: the record's own form
// label where there is one (narrator.pseudonym → testimony.narrator_pseudonym),
// else the path as stored.
func (k historyKind) fieldLabel(lang, path string) string {
	under := strings.ReplaceAll(path, ".", "_")
	segs := strings.Split(path, ".")
	cands := []string{k.label + "." + under, "history.field_" + under}
	if len(segs) > 1 {
		cands = append(cands, k.label+"."+strings.Join(segs[len(segs)-2:], "_"), k.label+"."+segs[len(segs)-1])
	}
	for _, key := range cands {
		// A form label with a placeholder ("Set on %s") is a sentence,
		// not a name.
		if i18n.Has(lang, key) && !strings.Contains(i18n.T(lang, key), "%") {
			return i18n.T(lang, key)
		}
	}
	return path
}

// kindName names a kind of record ("testimony") in the view's language.
func kindName(lang, entity string) string {
	key := "history.kind_" + entity
	return i18n.T(lang, key)
}

// actionLabel names an action ("create", "verify", …) in the view's language.
func actionLabel(lang, action string) string {
	if key := "history.action_" + action; i18n.Has(lang, key) {
		return i18n.T(lang, key)
	}
	return action
}

func versionParam(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n <= 0 {
		return 0, domain.NotFound("version")
	}
	return n, nil
}

// loadHistory reads the saved versions of the record the {id} path value
// names, for the history page and the API alike.
func (s *Server) loadHistory(k historyKind, w http.ResponseWriter, r *http.Request) (service.History, int64, bool) {
	return loadByID(s, w, r, func(ctx context.Context, a domain.Actor, id int64) (service.History, error) {
		return s.Svc.History(ctx, a, k.entity, id)
	})
}

// loadVersion reads the saved version the path names beside the version
// ?against= names (0 or absent: the one before it), for the version page and
// the API alike. The version parameters are read inside the getter so that
// loadByID answers every failure the same way, in the order id, version,
// against.
func (s *Server) loadVersion(k historyKind, w http.ResponseWriter, r *http.Request) (service.VersionDiff, int64, bool) {
	return loadByID(s, w, r, func(ctx context.Context, a domain.Actor, id int64) (service.VersionDiff, error) {
		version, err := versionParam(r)
		if err != nil {
			return service.VersionDiff{}, err
		}
		against := 0
		if q := r.URL.Query().Get("against"); q != "" {
			if against, err = strconv.Atoi(q); err != nil || against < 0 {
				return service.VersionDiff{}, domain.Errorf(domain.EInvalid, "against must be a version number")
			}
		}
		return s.Svc.Version(ctx, a, k.entity, id, version, against)
	})
}

// --- pages ---

type historyRow struct {
	service.VersionSummary
	ActionLabel string
	ChangedText string
}

type historyListData struct {
	Kind      string // history.kind_<entity>
	ID        int64
	RecordURL string
	Base      string
	Current   int
	Rows      []historyRow
	// OlderUnknown: the oldest kept version is not the first (the record
	// was saved before history was kept).
	OlderUnknown bool
}

func (s *Server) historyList(k historyKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h, id, ok := s.loadHistory(k, w, r)
		if !ok {
			return
		}
		v := s.view(r, "history.title")
		v.Title = v.T("history.title_of", kindName(v.Lang, k.entity), id)
		d := historyListData{Kind: k.entity, ID: id, RecordURL: k.recordURL(id), Base: k.base(id), Current: h.Current}
		for _, vs := range h.Versions {
			labels := make([]string, len(vs.Changed))
			for i, f := range vs.Changed {
				labels[i] = k.fieldLabel(v.Lang, f)
			}
			d.Rows = append(d.Rows, historyRow{VersionSummary: vs, ActionLabel: actionLabel(v.Lang, vs.Action), ChangedText: strings.Join(labels, ", ")})
		}
		d.OlderUnknown = len(h.Versions) > 0 && h.Versions[len(h.Versions)-1].Version > 1
		v.Data = d
		s.render(w, r, http.StatusOK, "history_list", v)
	}
}

type diffRow struct {
	Label   string
	Old     string
	New     string
	Changed bool
	// OldSegs and NewSegs mark the words that differ in a changed field,
	// so an edit to a long narrative shows what was edited.
	OldSegs []segment
	NewSegs []segment
}

// segment is a run of text that both versions share, or that only one has
// (Diff).
type segment struct {
	Text string
	Diff bool
}

var tokenRE = regexp.MustCompile(`\s+|[^\s]+`)

// maxDiffCells bounds the word-by-word comparison (words of the old text
// times words of the new, after common ends are set aside): beyond it the
// field is shown as replaced whole.
const maxDiffCells = 1 << 20

// wordDiff splits old and new into segments: words only old has, words only
// new has, and words both share, by a longest common subsequence of words.
func wordDiff(old, cur string) (o, n []segment) {
	a, b := tokenRE.FindAllString(old, -1), tokenRE.FindAllString(cur, -1)
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	add := func(segs []segment, text string, diff bool) []segment {
		if text == "" {
			return segs
		}
		if k := len(segs) - 1; k >= 0 && segs[k].Diff == diff {
			segs[k].Text += text
			return segs
		}
		return append(segs, segment{text, diff})
	}
	o = add(o, strings.Join(a[:pre], ""), false)
	n = add(n, strings.Join(b[:pre], ""), false)
	if len(am)*len(bm) > maxDiffCells {
		o = add(o, strings.Join(am, ""), true)
		n = add(n, strings.Join(bm, ""), true)
	} else {
		// lcs[i][j] is the length of the longest common subsequence of
		// am[i:] and bm[j:].
		w := len(bm) + 1
		lcs := make([]int32, (len(am)+1)*w)
		for i := len(am) - 1; i >= 0; i-- {
			for j := len(bm) - 1; j >= 0; j-- {
				if am[i] == bm[j] {
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				} else {
					lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(am) || j < len(bm) {
			switch {
			case i < len(am) && j < len(bm) && am[i] == bm[j]:
				o, n = add(o, am[i], false), add(n, bm[j], false)
				i, j = i+1, j+1
			case j < len(bm) && (i == len(am) || lcs[i*w+j+1] >= lcs[(i+1)*w+j]):
				n = add(n, bm[j], true)
				j++
			default:
				o = add(o, am[i], true)
				i++
			}
		}
	}
	o = add(o, strings.Join(a[len(a)-suf:], ""), false)
	n = add(n, strings.Join(b[len(b)-suf:], ""), false)
	return o, n
}

type historyVersionData struct {
	ID          int64
	RecordURL   string
	Base        string
	Current     int
	Version     service.VersionSummary
	ActionLabel string
	Against     int
	Versions    []int
	Changed     []diffRow // the fields that differ, first: they are what a reader came for
	Same        []diffRow
	CanRestore  bool
}

func (s *Server) historyVersion(k historyKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		vd, id, ok := s.loadVersion(k, w, r)
		if !ok {
			return
		}
		v := s.view(r, "history.title")
		v.Title = v.T("history.version_of", vd.Version.Version, kindName(v.Lang, k.entity), id)
		d := historyVersionData{ID: id, RecordURL: k.recordURL(id), Base: k.base(id), Current: vd.Current, Version: vd.Version,
			ActionLabel: actionLabel(v.Lang, vd.Version.Action), Against: vd.Against, Versions: vd.Versions,
			CanRestore: v.Can(string(k.write)) && vd.Version.Version != vd.Current}
		for _, f := range vd.Fields {
			row := diffRow{Label: k.fieldLabel(v.Lang, f.Field), Old: f.Old, New: f.New, Changed: f.Changed}
			if f.Changed {
				row.OldSegs, row.NewSegs = wordDiff(f.Old, f.New)
				d.Changed = append(d.Changed, row)
			} else {
				d.Same = append(d.Same, row)
			}
		}
		v.Data = d
		s.render(w, r, http.StatusOK, "history_version", v)
	}
}

func (s *Server) historyRestore(k historyKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, f, ok := s.pathIDAndForm(w, r)
		if !ok {
			return
		}
		version, err := versionParam(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		n, err := s.Svc.RestoreVersion(r.Context(), actorOf(r), k.entity, id, version, f.int("expect"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		redirect(w, r, k.base(id)+"/"+strconv.Itoa(n), "history_restored")
	}
}

// --- API ---

// apiHistoryItem is a version in the API list.
type apiHistoryItem struct {
	Version int       `json:"version"`
	At      time.Time `json:"at"`
	ActorID int64     `json:"actor_id"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Changed []string  `json:"changed"`
}

func (s *Server) apiHistory(k historyKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h, _, ok := s.loadHistory(k, w, r)
		if !ok {
			return
		}
		items := make([]apiHistoryItem, len(h.Versions))
		for i, v := range h.Versions {
			ch := v.Changed
			if ch == nil {
				ch = []string{}
			}
			items[i] = apiHistoryItem{Version: v.Version, At: v.At, ActorID: v.ActorID, Actor: v.Actor, Action: v.Action, Changed: ch}
		}
		writeJSON(w, http.StatusOK, map[string]any{"entity": h.Entity, "id": h.ID, "current_version": h.Current, "items": items, "next": ""})
	}
}

func (s *Server) apiHistoryVersion(k historyKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		vd, _, ok := s.loadVersion(k, w, r)
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, vd)
	}
}

// --- the audit log page ---

type auditPageData struct {
	Status service.AuditStatus
	Report *store.AuditReport
}

func (s *Server) renderAudit(w http.ResponseWriter, r *http.Request, rep *store.AuditReport) {
	st, err := s.Svc.AuditStatus(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "history.audit_title")
	v.Data = auditPageData{Status: st, Report: rep}
	s.render(w, r, http.StatusOK, "history_audit", v)
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) { s.renderAudit(w, r, nil) }

func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Svc.SignCheckpoint(r.Context(), actorOf(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/audit", "audit_signed")
}

func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := s.Svc.VerifyAudit(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderAudit(w, r, &rep)
}
