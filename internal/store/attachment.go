package store

import (
	"context"
	"time"

	"vigil/internal/domain"
)

// Attachment is an evidence file's record. The file itself is in the
// encrypted blob store (internal/evidence); Private is sealed there too, so
// the store only moves opaque bytes. Exactly one of TestimonyID and
// IncidentID is set.
type Attachment struct {
	ID             int64
	TestimonyID    int64
	IncidentID     int64
	SHA256         string // of the original, hex
	MediaType      string // detected from the content
	Size           int64
	Blob           string // blob name of the original
	StrippedSHA256 string // of the copy without metadata
	StrippedSize   int64
	StrippedBlob   string
	Private        []byte // sealed file name and metadata
	CreatedAt      time.Time
	CreatedBy      int64
}

// AttachmentOwner names the record an attachment belongs to.
type AttachmentOwner struct {
	TestimonyID int64
	IncidentID  int64
}

const attachmentColumns = `id, testimony_id, incident_id, sha256, media_type, size, blob,
	stripped_sha256, stripped_size, stripped_blob, private, created_at, created_by`

func scanAttachment(r rowScanner) (Attachment, error) {
	var (
		a        Attachment
		tid, iid *int64
		created  int64
	)
	err := r.Scan(&a.ID, &tid, &iid, &a.SHA256, &a.MediaType, &a.Size, &a.Blob,
		&a.StrippedSHA256, &a.StrippedSize, &a.StrippedBlob, &a.Private, &created, &a.CreatedBy)
	if tid != nil {
		a.TestimonyID = *tid
	}
	if iid != nil {
		a.IncidentID = *iid
	}
	a.CreatedAt = fromMillis(created)
	return a, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// attachmentAudit is the change an audit entry digests: which file went to
// or left which record. No name or metadata: those are private.
func attachmentAudit(a *Attachment) map[string]any {
	return map[string]any{"testimony_id": a.TestimonyID, "incident_id": a.IncidentID, "sha256": a.SHA256,
		"media_type": a.MediaType, "size": a.Size, "stripped_sha256": a.StrippedSHA256}
}

// CreateAttachment records an attachment and audits it in the same
// transaction. The owning record must exist.
func (s *Store) CreateAttachment(ctx context.Context, a *Attachment) (err error) {
	defer s.fail(&err)
	if (a.TestimonyID == 0) == (a.IncidentID == 0) {
		return domain.Errorf(domain.EInvalid, "an attachment belongs to exactly one testimony or incident")
	}
	rec := *a
	rec.CreatedAt = s.stamp()
	err = s.withTx(ctx, func(c conn) error {
		table, kind, id := "testimonies", "testimony", rec.TestimonyID
		if rec.IncidentID != 0 {
			table, kind, id = "incidents", "incident", rec.IncidentID
		}
		ok, err := c.exists(ctx, table, id)
		if err != nil {
			return err
		}
		if !ok {
			return domain.NotFound(kind)
		}
		err = c.queryRow(ctx, `INSERT INTO attachments (testimony_id, incident_id, sha256, media_type, size, blob,
			stripped_sha256, stripped_size, stripped_blob, private, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			nullID(rec.TestimonyID), nullID(rec.IncidentID), rec.SHA256, rec.MediaType, rec.Size, rec.Blob,
			rec.StrippedSHA256, rec.StrippedSize, rec.StrippedBlob, rec.Private, millis(rec.CreatedAt), rec.CreatedBy).Scan(&rec.ID)
		if err != nil {
			return err
		}
		return c.appendAudit(ctx, millis(rec.CreatedAt), AuditEvent{ActorID: rec.CreatedBy, Action: "create",
			Entity: "attachment", EntityID: rec.ID, Detail: attachmentAudit(&rec)})
	})
	if err != nil {
		return err
	}
	*a = rec
	return nil
}

// GetAttachment returns one attachment record.
func (s *Store) GetAttachment(ctx context.Context, id int64) (_ Attachment, err error) {
	defer s.fail(&err)
	a, err := scanAttachment(s.reader().queryRow(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = ?`, id))
	return a, notFound(err, "attachment")
}

// ListAttachments lists a record's attachments, oldest first. A record has
// few; the list is not paged.
func (s *Store) ListAttachments(ctx context.Context, o AttachmentOwner) (_ []Attachment, err error) {
	defer s.fail(&err)
	q := `SELECT ` + attachmentColumns + ` FROM attachments WHERE testimony_id = ? ORDER BY id`
	id := o.TestimonyID
	if o.IncidentID != 0 {
		q = `SELECT ` + attachmentColumns + ` FROM attachments WHERE incident_id = ? ORDER BY id`
		id = o.IncidentID
	}
	rows, err := s.reader().query(ctx, q, id)
	return collect(rows, err, scanAttachment)
}

// DeleteAttachment removes a record and audits it in one transaction, and
// returns the blobs no record references any more: the caller removes
// those files after the commit.
func (s *Store) DeleteAttachment(ctx context.Context, id, actorID int64) (orphans []string, err error) {
	defer s.fail(&err)
	err = s.withTx(ctx, func(c conn) error {
		a, err := scanAttachment(c.queryRow(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = ?`, id))
		if err != nil {
			return notFound(err, "attachment")
		}
		if _, err := c.exec(ctx, `DELETE FROM attachments WHERE id = ?`, id); err != nil {
			return err
		}
		if err := c.appendAudit(ctx, millis(s.stamp()), AuditEvent{ActorID: actorID, Action: "delete",
			Entity: "attachment", EntityID: id, Detail: attachmentAudit(&a)}); err != nil {
			return err
		}
		orphans = orphans[:0]
		for _, b := range uniqueStrings(a.Blob, a.StrippedBlob) {
			used, err := blobUsed(ctx, c, b)
			if err != nil {
				return err
			}
			if !used {
				orphans = append(orphans, b)
			}
		}
		return nil
	})
	return orphans, err
}

func blobUsed(ctx context.Context, c conn, blob string) (bool, error) {
	var n int64
	err := c.queryRow(ctx, `SELECT count(*) FROM attachments WHERE blob = ? OR stripped_blob = ?`, blob, blob).Scan(&n)
	return n > 0, err
}

// BlobReferenced reports whether any attachment uses the blob, as the
// original or as the stripped copy.
func (s *Store) BlobReferenced(ctx context.Context, blob string) (_ bool, err error) {
	defer s.fail(&err)
	return blobUsed(ctx, s.writer(), blob)
}

// AttachmentBlobs lists every blob that some attachment references, for
// backups and for sweeping unreferenced files.
func (s *Store) AttachmentBlobs(ctx context.Context) (_ []string, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT blob FROM attachments UNION SELECT stripped_blob FROM attachments ORDER BY 1`)
	return collect(rows, err, func(r rowScanner) (string, error) {
		var b string
		return b, r.Scan(&b)
	})
}

func uniqueStrings(ss ...string) []string {
	var out []string
	for _, s := range ss {
		dup := false
		for _, o := range out {
			dup = dup || o == s
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}
