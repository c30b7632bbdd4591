package service

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"vigil/internal/domain"
	"vigil/internal/evidence"
	"vigil/internal/store"
)

// Evidence files are raw material (faces, voices, places), like
// narratives: the roles that read narratives (testimony:read) are the ones
// that may see evidence, on incidents too. Within that, the rules of the
// record apply: a monitor sees the files of the testimonies they may see.
// The original, with its metadata, leaves the system only for those who
// review evidence (incident:verify: coordinators and admins).

// Attachment is an evidence file as the service shows it: the record with
// its private part (file name and metadata) opened.
type Attachment struct {
	ID          int64  `json:"id"`
	TestimonyID int64  `json:"testimony_id,omitempty"`
	IncidentID  int64  `json:"incident_id,omitempty"`
	Name        string `json:"name"`
	MediaType   string `json:"media_type"`
	Size        int64  `json:"size"`
	// SHA256 is the fingerprint of the file as it was received.
	SHA256 string `json:"sha256"`
	// The copy without metadata, which downloads serve by default.
	StrippedSize   int64             `json:"stripped_size"`
	StrippedSHA256 string            `json:"stripped_sha256"`
	Metadata       evidence.Metadata `json:"metadata"`
	CreatedAt      time.Time         `json:"created_at"`
	CreatedBy      int64             `json:"created_by"`
}

// Owner names the record an attachment belongs to.
type Owner struct {
	Kind string // "testimony" or "incident"
	ID   int64
}

// TestimonyOwner and IncidentOwner name an owner.
func TestimonyOwner(id int64) Owner { return Owner{Kind: "testimony", ID: id} }

// IncidentOwner names an incident as the owner.
func IncidentOwner(id int64) Owner { return Owner{Kind: "incident", ID: id} }

func (o Owner) store() store.AttachmentOwner {
	if o.Kind == "incident" {
		return store.AttachmentOwner{IncidentID: o.ID}
	}
	return store.AttachmentOwner{TestimonyID: o.ID}
}

func ownerOf(a store.Attachment) Owner {
	if a.IncidentID != 0 {
		return IncidentOwner(a.IncidentID)
	}
	return TestimonyOwner(a.TestimonyID)
}

// PermEvidence is the permission that lets a role see evidence files.
const PermEvidence = domain.PermTestimonyRead

// PermOriginal lets a role download an original with its metadata.
const PermOriginal = domain.PermVerify

// CanSeeEvidence reports whether the actor's role may see evidence at all
// (the pages use it to decide whether to show the section).
func CanSeeEvidence(a domain.Actor) bool { return a.Can(PermEvidence) }

// CanAddEvidence reports whether the actor's role may attach files to the
// owner's kind of record.
func CanAddEvidence(a domain.Actor, kind string) bool {
	return a.Can(PermEvidence) && a.Can(writePerm(kind))
}

func writePerm(kind string) domain.Permission {
	if kind == "incident" {
		return domain.PermIncidentWrite
	}
	return domain.PermTestimonyWrite
}

// checkOwner checks that the actor may read (or write) the owner's
// evidence, including need-to-know: a record the actor may not see is
// reported as not found.
func (s *Service) checkOwner(ctx context.Context, a domain.Actor, o Owner, write bool) error {
	if err := require(a, PermEvidence); err != nil {
		return err
	}
	if write {
		if err := require(a, writePerm(o.Kind)); err != nil {
			return err
		}
	}
	switch o.Kind {
	case "testimony":
		_, err := s.GetTestimony(ctx, a, o.ID)
		return err
	case "incident":
		_, err := s.GetIncident(ctx, a, o.ID)
		return err
	}
	return domain.NotFound("record")
}

func (s *Service) blobs() (*evidence.Blobs, error) {
	return evidence.OpenBlobs(s.DataDir, s.MasterKey)
}

// blobLocks serialise, per data directory, writing blobs with recording
// them and deleting records with removing their blobs, so a concurrent
// upload of the same file cannot lose its blob to a delete.
var blobLocks sync.Map // data directory → *sync.Mutex

func (s *Service) blobLock() *sync.Mutex {
	m, _ := blobLocks.LoadOrStore(s.DataDir, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// intake bounds how many uploads are held in memory at once (each up to
// evidence.MaxSize and its stripped copy).
var intake = make(chan struct{}, 2)

func (s *Service) view(b *evidence.Blobs, a store.Attachment) (Attachment, error) {
	p, err := b.Unseal(a.Private, a.SHA256)
	if err != nil {
		return Attachment{}, err
	}
	return Attachment{ID: a.ID, TestimonyID: a.TestimonyID, IncidentID: a.IncidentID, Name: p.Name, MediaType: a.MediaType,
		Size: a.Size, SHA256: a.SHA256, StrippedSize: a.StrippedSize, StrippedSHA256: a.StrippedSHA256,
		Metadata: p.Metadata, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy}, nil
}

// AddAttachment reads a file from r, checks it by its content, extracts
// its metadata, stores the original and a copy without metadata
// encrypted, and records it on the owner. name is only shown, never used
// as a path. The upload is audited with the record.
func (s *Service) AddAttachment(ctx context.Context, a domain.Actor, o Owner, name string, r io.Reader) (Attachment, error) {
	if err := s.checkOwner(ctx, a, o, true); err != nil {
		return Attachment{}, err
	}
	b, err := s.blobs()
	if err != nil {
		return Attachment{}, err
	}
	select {
	case intake <- struct{}{}:
		defer func() { <-intake }()
	case <-ctx.Done():
		return Attachment{}, ctx.Err()
	}
	data, err := io.ReadAll(io.LimitReader(r, evidence.MaxSize+1))
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return Attachment{}, err
		}
		return Attachment{}, &domain.Error{Code: domain.EInvalid, Message: "the file could not be received completely", Cause: err}
	}
	res, err := evidence.Inspect(data)
	if err != nil {
		return Attachment{}, err
	}
	name = evidence.SafeName(name, res.Format)

	mu := s.blobLock()
	mu.Lock()
	defer mu.Unlock()
	orig, sum, createdOrig, err := b.Put(data)
	if err != nil {
		return Attachment{}, err
	}
	stripped, ssum, createdStripped, err := b.Put(res.Stripped)
	if err != nil {
		s.dropIfUnused(ctx, b, createdOrig, orig)
		return Attachment{}, err
	}
	hexSum := evidence.HexSum(sum)
	private, err := b.Seal(evidence.Private{Name: name, Metadata: res.Metadata}, hexSum)
	if err != nil {
		s.dropIfUnused(ctx, b, createdOrig, orig)
		s.dropIfUnused(ctx, b, createdStripped, stripped)
		return Attachment{}, err
	}
	owner := o.store()
	rec := store.Attachment{TestimonyID: owner.TestimonyID, IncidentID: owner.IncidentID, SHA256: hexSum,
		MediaType: res.Format.Type, Size: int64(len(data)), Blob: orig,
		StrippedSHA256: evidence.HexSum(ssum), StrippedSize: int64(len(res.Stripped)), StrippedBlob: stripped,
		Private: private, CreatedBy: a.UserID}
	if err := s.Store.CreateAttachment(ctx, &rec); err != nil {
		s.dropIfUnused(ctx, b, createdOrig, orig)
		s.dropIfUnused(ctx, b, createdStripped, stripped)
		return Attachment{}, err
	}
	return s.view(b, rec)
}

// dropIfUnused removes a blob this upload created when no record uses it
// (the upload failed after writing it). The caller holds the blob lock.
func (s *Service) dropIfUnused(ctx context.Context, b *evidence.Blobs, created bool, name string) {
	if !created {
		return
	}
	if used, err := s.Store.BlobReferenced(ctx, name); err == nil && !used {
		_ = b.Remove(name)
	}
}

// ListAttachments lists a record's files.
func (s *Service) ListAttachments(ctx context.Context, a domain.Actor, o Owner) ([]Attachment, error) {
	if err := s.checkOwner(ctx, a, o, false); err != nil {
		return nil, err
	}
	recs, err := s.Store.ListAttachments(ctx, o.store())
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, nil
	}
	b, err := s.blobs()
	if err != nil {
		return nil, err
	}
	out := make([]Attachment, 0, len(recs))
	for _, r := range recs {
		v, err := s.view(b, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// getAttachment reads a record the actor may see; one on a record they may
// not see is reported as not found.
func (s *Service) getAttachment(ctx context.Context, a domain.Actor, id int64) (store.Attachment, error) {
	if err := require(a, PermEvidence); err != nil {
		return store.Attachment{}, err
	}
	rec, err := s.Store.GetAttachment(ctx, id)
	if err != nil {
		return rec, err
	}
	if err := s.checkOwner(ctx, a, ownerOf(rec), false); err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			return store.Attachment{}, domain.NotFound("attachment")
		}
		return store.Attachment{}, err
	}
	return rec, nil
}

// GetAttachment returns one file's record with its metadata.
func (s *Service) GetAttachment(ctx context.Context, a domain.Actor, id int64) (Attachment, error) {
	rec, err := s.getAttachment(ctx, a, id)
	if err != nil {
		return Attachment{}, err
	}
	b, err := s.blobs()
	if err != nil {
		return Attachment{}, err
	}
	return s.view(b, rec)
}

// OpenAttachment returns a file's content for download: the copy without
// metadata, or with original the file as received, which needs
// PermOriginal. Every download is audited before any byte is sent; a
// download that cannot be audited is refused. The reader fails if the
// stored file was tampered with.
func (s *Service) OpenAttachment(ctx context.Context, a domain.Actor, id int64, original bool) (Attachment, io.ReadCloser, error) {
	if original {
		if err := require(a, PermOriginal); err != nil {
			return Attachment{}, nil, domain.Errorf(domain.EForbidden, "only coordinators and admins may download an original with its metadata")
		}
	}
	rec, err := s.getAttachment(ctx, a, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	b, err := s.blobs()
	if err != nil {
		return Attachment{}, nil, err
	}
	v, err := s.view(b, rec)
	if err != nil {
		return Attachment{}, nil, err
	}
	blob, variant, sum := rec.StrippedBlob, "stripped", rec.StrippedSHA256
	if original {
		blob, variant, sum = rec.Blob, "original", rec.SHA256
	}
	rc, err := b.Open(blob)
	if err != nil {
		return Attachment{}, nil, err
	}
	if err := s.audit(ctx, a, "download", "attachment", id, map[string]any{"variant": variant, "sha256": sum}); err != nil {
		rc.Close()
		return Attachment{}, nil, err
	}
	return v, rc, nil
}

// DeleteAttachment removes a file from its record. It needs write access
// to the record; a monitor may remove only files they added. The blob goes
// when no other record uses the same file.
func (s *Service) DeleteAttachment(ctx context.Context, a domain.Actor, id int64) error {
	rec, err := s.getAttachment(ctx, a, id)
	if err != nil {
		return err
	}
	if err := s.checkOwner(ctx, a, ownerOf(rec), true); err != nil {
		return err
	}
	if rec.CreatedBy != a.UserID && !a.Can(PermOriginal) {
		return domain.Errorf(domain.EForbidden, "only the person who added this file, a coordinator or an admin may remove it")
	}
	b, err := s.blobs()
	if err != nil {
		return err
	}
	mu := s.blobLock()
	mu.Lock()
	defer mu.Unlock()
	orphans, err := s.Store.DeleteAttachment(ctx, id, a.UserID)
	if err != nil {
		return err
	}
	for _, name := range orphans {
		if err := b.Remove(name); err != nil {
			return &domain.Error{Code: domain.EInternal, Message: "the file was removed from the record, but its stored copy could not be deleted", Cause: err}
		}
	}
	return nil
}
