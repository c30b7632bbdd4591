package store

import (
	"fmt"
	"testing"

	"vigil/internal/domain"
)

func newAttachment(owner AttachmentOwner, blob, stripped string) *Attachment {
	return &Attachment{TestimonyID: owner.TestimonyID, IncidentID: owner.IncidentID, SHA256: "sha-" + blob, MediaType: "image/jpeg",
		Size: 1234, Blob: blob, StrippedSHA256: "sha-" + stripped, StrippedSize: 1000, StrippedBlob: stripped,
		Private: []byte{1, 0, 255, 7}, CreatedBy: 7}
}

func attachmentAuditRows(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.reader().query(ctx, `SELECT action, entity_id, actor_id FROM audit_log WHERE entity = 'attachment' ORDER BY seq`)
	out, err := collect(rows, err, func(r rowScanner) (string, error) {
		var (
			a         string
			id, actor int64
		)
		err := r.Scan(&a, &id, &actor)
		return fmt.Sprintf("%s %d by %d", a, id, actor), err
	})
	mustOK(t, err)
	return out
}

func TestAttachments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		tm := newTestimony("2023-11-20", "first")
		mustOK(t, s.CreateTestimony(ctx, tm))
		in := newIncident("2023-11-18", "one")
		mustOK(t, s.CreateIncident(ctx, in))
		onT := AttachmentOwner{TestimonyID: tm.ID}
		onI := AttachmentOwner{IncidentID: in.ID}

		a1 := newAttachment(onT, "blobA", "blobA1")
		mustOK(t, s.CreateAttachment(ctx, a1))
		if a1.ID == 0 || a1.CreatedAt.IsZero() {
			t.Fatalf("not stamped: %+v", a1)
		}
		// The same file again (deduplicated blobs) on the incident.
		a2 := newAttachment(onI, "blobA", "blobA1")
		mustOK(t, s.CreateAttachment(ctx, a2))
		a3 := newAttachment(onT, "blobB", "blobB")
		mustOK(t, s.CreateAttachment(ctx, a3))

		got, err := s.GetAttachment(ctx, a1.ID)
		mustOK(t, err)
		same(t, "attachment", got, *a1)
		list, err := s.ListAttachments(ctx, onT)
		mustOK(t, err)
		if len(list) != 2 || list[0].ID != a1.ID || list[1].ID != a3.ID {
			t.Fatalf("testimony list %+v", list)
		}
		list, err = s.ListAttachments(ctx, onI)
		mustOK(t, err)
		if len(list) != 1 || list[0].ID != a2.ID || list[0].IncidentID != in.ID || list[0].TestimonyID != 0 {
			t.Fatalf("incident list %+v", list)
		}
		blobs, err := s.AttachmentBlobs(ctx)
		mustOK(t, err)
		same(t, "blobs", blobs, []string{"blobA", "blobA1", "blobB"})

		// Owners must exist and be exactly one.
		wantCode(t, s.CreateAttachment(ctx, newAttachment(AttachmentOwner{TestimonyID: 9999}, "x", "y")), domain.ENotFound)
		wantCode(t, s.CreateAttachment(ctx, newAttachment(AttachmentOwner{IncidentID: 9999}, "x", "y")), domain.ENotFound)
		wantCode(t, s.CreateAttachment(ctx, newAttachment(AttachmentOwner{TestimonyID: tm.ID, IncidentID: in.ID}, "x", "y")), domain.EInvalid)
		wantCode(t, s.CreateAttachment(ctx, newAttachment(AttachmentOwner{}, "x", "y")), domain.EInvalid)

		// Deleting one user of a shared blob keeps the blob; deleting the
		// last one reports it.
		orphans, err := s.DeleteAttachment(ctx, a1.ID, 8)
		mustOK(t, err)
		if len(orphans) != 0 {
			t.Fatalf("orphans %v while a2 still uses the blobs", orphans)
		}
		used, err := s.BlobReferenced(ctx, "blobA")
		mustOK(t, err)
		if !used {
			t.Fatal("blobA reported unused")
		}
		orphans, err = s.DeleteAttachment(ctx, a2.ID, 8)
		mustOK(t, err)
		same(t, "orphans", orphans, []string{"blobA", "blobA1"})
		orphans, err = s.DeleteAttachment(ctx, a3.ID, 9)
		mustOK(t, err)
		same(t, "orphans of a file that needed no stripping", orphans, []string{"blobB"})
		_, err = s.DeleteAttachment(ctx, a3.ID, 9)
		wantCode(t, err, domain.ENotFound)
		_, err = s.GetAttachment(ctx, a1.ID)
		wantCode(t, err, domain.ENotFound)

		same(t, "audit", attachmentAuditRows(t, s), []string{
			fmt.Sprintf("create %d by 7", a1.ID), fmt.Sprintf("create %d by 7", a2.ID), fmt.Sprintf("create %d by 7", a3.ID),
			fmt.Sprintf("delete %d by 8", a1.ID), fmt.Sprintf("delete %d by 8", a2.ID), fmt.Sprintf("delete %d by 9", a3.ID),
		})
	})
}
