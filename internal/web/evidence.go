package web

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/domain"
	"vigil/internal/evidence"
	"vigil/internal/service"
)

// Evidence files: upload to a testimony or an incident (a multipart form
// in the UI; multipart or a raw body in the API), a page per file with its
// fingerprint and private metadata, and downloads. Downloads serve the
// copy without metadata; the original is a separate route that needs
// incident:verify. Every download is audited by the service.

// uploadLimit is the body limit of upload routes: the largest file plus
// room for the multipart envelope.
const uploadLimit = evidence.MaxSize + 64<<10

func (s *Server) evidenceRoutes() []Route {
	ui := []Route{
		{Method: "POST", Path: "/testimonies/{id}/attachments", Perm: domain.PermTestimonyWrite, Handler: s.evidenceUploadTestimony, MaxBody: uploadLimit},
		{Method: "POST", Path: "/incidents/{id}/attachments", Perm: domain.PermIncidentWrite, Handler: s.evidenceUploadIncident, MaxBody: uploadLimit},
		{Method: "GET", Path: "/attachments/{id}", Perm: service.PermEvidence, Handler: s.evidenceShow},
		{Method: "GET", Path: "/attachments/{id}/download", Perm: service.PermEvidence, Handler: s.evidenceDownload},
		{Method: "GET", Path: "/attachments/{id}/original", Perm: service.PermOriginal, Handler: s.evidenceOriginal},
		{Method: "POST", Path: "/attachments/{id}/delete", Perm: domain.PermTestimonyWrite, Handler: s.evidenceDelete},
	}
	api := []Route{
		{Method: "GET", Path: "/api/v1/testimonies/{id}/attachments", Perm: service.PermEvidence, Handler: s.apiEvidenceListTestimony,
			Doc: "The evidence files of a testimony, each with its SHA-256 fingerprint and the private metadata found in it."},
		{Method: "POST", Path: "/api/v1/testimonies/{id}/attachments", Perm: domain.PermTestimonyWrite, Handler: s.apiEvidenceUploadTestimony, MaxBody: uploadLimit,
			Doc: "Attach a file (JPEG, PNG, WebP, PDF, MP3, Ogg, M4A, WAV; at most 25 MiB) as multipart/form-data field \"file\", or as the raw body with ?name=. The type is detected from the content; metadata is extracted and removed from the downloadable copy."},
		{Method: "GET", Path: "/api/v1/incidents/{id}/attachments", Perm: service.PermEvidence, Handler: s.apiEvidenceListIncident,
			Doc: "The evidence files of an incident."},
		{Method: "POST", Path: "/api/v1/incidents/{id}/attachments", Perm: domain.PermIncidentWrite, Handler: s.apiEvidenceUploadIncident, MaxBody: uploadLimit,
			Doc: "Attach a file to an incident; as for testimonies."},
		{Method: "GET", Path: "/api/v1/attachments/{id}", Perm: service.PermEvidence, Handler: s.apiEvidenceGet,
			Doc: "One evidence file's record: name, type, size, SHA-256 of the original and of the stripped copy, metadata."},
		{Method: "GET", Path: "/api/v1/attachments/{id}/download", Perm: service.PermEvidence, Handler: s.evidenceDownload,
			Doc: "Download the copy without metadata (audited)."},
		{Method: "GET", Path: "/api/v1/attachments/{id}/original", Perm: service.PermOriginal, Handler: s.evidenceOriginal,
			Doc: "Download the original file with its metadata (coordinators and admins; audited)."},
		{Method: "DELETE", Path: "/api/v1/attachments/{id}", Perm: domain.PermTestimonyWrite, Handler: s.apiEvidenceDelete,
			Doc: "Remove an evidence file from its record (the uploader, a coordinator or an admin)."},
	}
	// Uploads are not made idempotent like other API posts: the replay
	// store would keep the response, and with it the file's private
	// metadata, outside the sealed record.
	for i := range api {
		api[i].Surface = API
	}
	return append(ui, api...)
}

func ownerURL(o service.Owner) string {
	if o.Kind == "incident" {
		return "/incidents/" + strconv.FormatInt(o.ID, 10)
	}
	return "/testimonies/" + strconv.FormatInt(o.ID, 10)
}

func attachmentOwner(a service.Attachment) service.Owner {
	if a.IncidentID != 0 {
		return service.IncidentOwner(a.IncidentID)
	}
	return service.TestimonyOwner(a.TestimonyID)
}

// --- the section on testimony and incident pages ---

// evidenceSection is what partials/evidence_section.html shows.
type evidenceSection struct {
	Show        bool
	Owner       service.Owner
	Action      string
	Items       []service.Attachment
	CanAdd      bool
	CanOriginal bool
	Accept      string
	MaxMB       int
	Error       string
}

// accept lists the accepted types for the file picker; the server still
// decides by content.
var accept = func() string {
	var parts []string
	for _, f := range evidence.Formats {
		parts = append(parts, f.Type)
		parts = append(parts, f.Ext...)
	}
	return strings.Join(parts, ",")
}()

// evidenceFor fills the evidence section of a record's page. A failure to
// list is shown in the section rather than failing the whole page.
func (s *Server) evidenceFor(r *http.Request, o service.Owner) evidenceSection {
	a := actorOf(r)
	sec := evidenceSection{Owner: o, Action: ownerURL(o) + "/attachments", Accept: accept, MaxMB: evidence.MaxSize >> 20,
		Show: service.CanSeeEvidence(a), CanAdd: service.CanAddEvidence(a, o.Kind), CanOriginal: a.Can(service.PermOriginal)}
	if !sec.Show {
		return sec
	}
	items, err := s.Svc.ListAttachments(r.Context(), a, o)
	if err != nil {
		s.Log.Error("list attachments", "owner", o.Kind, "id", o.ID, "err", err)
		sec.Error = domain.ErrorMessage(err)
	}
	sec.Items = items
	return sec
}

// --- upload ---

// filePart finds the "file" part of a multipart upload without buffering
// it: the service reads it once, into memory, never into a plaintext
// temporary file.
func filePart(r *http.Request) (*multipart.Part, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, domain.Errorf(domain.EInvalid, "send the file as multipart/form-data in a field named \"file\"")
	}
	for i := 0; i < 20; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &domain.Error{Code: domain.EInvalid, Message: "the upload could not be read", Cause: err}
		}
		if p.FormName() == "file" && p.FileName() != "" {
			return p, nil
		}
		// Another field: read past it (bounded by the body limit).
		_, _ = io.Copy(io.Discard, io.LimitReader(p, 1<<20))
	}
	return nil, domain.Errorf(domain.EInvalid, "choose a file to upload")
}

func (s *Server) evidenceUploadTestimony(w http.ResponseWriter, r *http.Request) {
	s.evidenceUpload(w, r, "testimony")
}

func (s *Server) evidenceUploadIncident(w http.ResponseWriter, r *http.Request) {
	s.evidenceUpload(w, r, "incident")
}

func pathOwner(r *http.Request, kind string) (service.Owner, error) {
	id, err := pathID(r, "id")
	return service.Owner{Kind: kind, ID: id}, err
}

func (s *Server) evidenceUpload(w http.ResponseWriter, r *http.Request, kind string) {
	o, err := pathOwner(r, kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := filePart(r)
	if err == nil {
		_, err = s.Svc.AddAttachment(r.Context(), actorOf(r), o, p.FileName(), p)
	}
	if err != nil {
		s.evidenceError(w, r, o, err)
		return
	}
	http.Redirect(w, r, ownerURL(o)+"?msg=evidence_added#evidence", http.StatusSeeOther)
}

type evidenceErrorData struct {
	Message string
	Back    string
}

// evidenceError shows why a file was refused, with the way back to the
// record; errors that are not about the file are reported as usual.
func (s *Server) evidenceError(w http.ResponseWriter, r *http.Request, o service.Owner, err error) {
	err = normalizeErr(err)
	code := domain.ErrorCode(err)
	if code != domain.EInvalid && code != domain.ETooLarge {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "evidence.refused_title")
	v.Data = evidenceErrorData{Message: domain.ErrorMessage(err), Back: ownerURL(o) + "#evidence"}
	s.render(w, r, statusOf[code], "evidence_error", v)
}

// --- the file's page ---

type evidenceShowData struct {
	A           service.Attachment
	Kind        string
	Back        string
	Groups      []evidenceGroup
	CanOriginal bool
	CanDelete   bool
}

type evidenceGroup struct {
	Kind   string
	Fields []evidence.Field
}

var evidenceKinds = []string{"place", "time", "device", "person", "software", "text", "other"}

func (s *Server) evidenceShow(w http.ResponseWriter, r *http.Request) {
	att, _, ok := loadByID(s, w, r, s.Svc.GetAttachment)
	if !ok {
		return
	}
	a := actorOf(r)
	o := attachmentOwner(att)
	d := evidenceShowData{A: att, Kind: o.Kind, Back: ownerURL(o), CanOriginal: a.Can(service.PermOriginal),
		CanDelete: service.CanAddEvidence(a, o.Kind) && (att.CreatedBy == a.UserID || a.Can(service.PermOriginal))}
	for _, k := range evidenceKinds {
		if fs := att.Metadata.Of(k); len(fs) > 0 {
			d.Groups = append(d.Groups, evidenceGroup{Kind: k, Fields: fs})
		}
	}
	v := s.view(r, "evidence.title")
	v.Title = v.T("evidence.title") + " #" + strconv.FormatInt(att.ID, 10)
	v.Data = d
	s.render(w, r, http.StatusOK, "evidence_show", v)
}

// --- download ---

func (s *Server) evidenceDownload(w http.ResponseWriter, r *http.Request) {
	s.evidenceSend(w, r, false)
}
func (s *Server) evidenceOriginal(w http.ResponseWriter, r *http.Request) { s.evidenceSend(w, r, true) }

// contentDisposition always says attachment, so a browser saves the file
// instead of rendering it, with the sanitized name (RFC 6266/5987 for
// names that are not ASCII).
func contentDisposition(name string) string {
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": name}); cd != "" {
		return cd
	}
	return "attachment"
}

func (s *Server) evidenceSend(w http.ResponseWriter, r *http.Request, original bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	att, rc, err := s.Svc.OpenAttachment(r.Context(), actorOf(r), id, original)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	size := att.StrippedSize
	if original {
		size = att.Size
	}
	h := w.Header()
	h.Set("Content-Type", att.MediaType)
	h.Set("Content-Disposition", contentDisposition(att.Name))
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	// A download is never a page: should a browser render it anyway, it
	// runs nothing and loads nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		// The headers are gone; a stored file that fails its integrity
		// check mid-way must not arrive looking complete.
		s.Log.Error("attachment download failed", "id", id, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// --- delete ---

func (s *Server) evidenceDelete(w http.ResponseWriter, r *http.Request) {
	att, id, ok := loadByID(s, w, r, s.Svc.GetAttachment)
	if !ok {
		return
	}
	if err := s.Svc.DeleteAttachment(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, ownerURL(attachmentOwner(att))+"?msg=evidence_deleted#evidence", http.StatusSeeOther)
}

// --- API ---

func (s *Server) apiEvidenceList(w http.ResponseWriter, r *http.Request, kind string) {
	o, err := pathOwner(r, kind)
	if err == nil {
		var items []service.Attachment
		if items, err = s.Svc.ListAttachments(r.Context(), actorOf(r), o); err == nil {
			writeJSON(w, http.StatusOK, newList(items, ""))
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) apiEvidenceListTestimony(w http.ResponseWriter, r *http.Request) {
	s.apiEvidenceList(w, r, "testimony")
}

func (s *Server) apiEvidenceListIncident(w http.ResponseWriter, r *http.Request) {
	s.apiEvidenceList(w, r, "incident")
}

func (s *Server) apiEvidenceUpload(w http.ResponseWriter, r *http.Request, kind string) {
	o, err := pathOwner(r, kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var (
		name string
		body io.Reader = r.Body
	)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		p, err := filePart(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		name, body = p.FileName(), p
	} else {
		// A raw body: the client's Content-Type is ignored, as the
		// content decides the type.
		name = r.URL.Query().Get("name")
	}
	att, err := s.Svc.AddAttachment(r.Context(), actorOf(r), o, name, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	created(w, apiPath("attachments", att.ID), att)
}

func (s *Server) apiEvidenceUploadTestimony(w http.ResponseWriter, r *http.Request) {
	s.apiEvidenceUpload(w, r, "testimony")
}

func (s *Server) apiEvidenceUploadIncident(w http.ResponseWriter, r *http.Request) {
	s.apiEvidenceUpload(w, r, "incident")
}

func (s *Server) apiEvidenceGet(w http.ResponseWriter, r *http.Request) {
	apiGetOne(s, w, r, s.Svc.GetAttachment)
}

func (s *Server) apiEvidenceDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.Svc.DeleteAttachment(r.Context(), actorOf(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func init() {
	// File sizes in the evidence templates: "2.4 MB"-style, in binary units
	// as the 25 MiB limit is.
	funcs["bytesize"] = func(n int64) string {
		switch {
		case n >= 1<<20:
			return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
		case n >= 1<<10:
			return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
		}
		return strconv.FormatInt(n, 10) + " B"
	}
}

// incidentEvidence is the evidence section of an incident's page.
func (s *Server) incidentEvidence(r *http.Request, id int64) evidenceSection {
	return s.evidenceFor(r, service.IncidentOwner(id))
}
