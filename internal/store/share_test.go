package store

import (
	"testing"

	"vigil/internal/domain"
)

func TestShares(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		owner, other, third := newUser("owner"), newUser("other"), newUser("third")
		for _, u := range []*domain.User{owner, other, third} {
			mustOK(t, s.CreateUser(ctx, u))
		}
		mine := newTestimony("2024-02-01", "mine")
		mine.RecordedBy = owner.ID
		theirs := newTestimony("2024-02-02", "theirs")
		theirs.RecordedBy = other.ID
		mustOK(t, s.CreateTestimony(ctx, mine))
		mustOK(t, s.CreateTestimony(ctx, theirs))

		visible := func(uid int64) []int64 {
			list, _, err := s.ListTestimonies(ctx, TestimonyFilter{VisibleTo: uid}, domain.Page{})
			mustOK(t, err)
			var ids []int64
			for _, tm := range list {
				ids = append(ids, tm.ID)
			}
			return ids
		}
		same(t, "owner sees", visible(owner.ID), []int64{mine.ID})
		same(t, "third sees", visible(third.ID), []int64(nil))

		mustOK(t, s.ShareTestimony(ctx, Share{TestimonyID: theirs.ID, UserID: owner.ID, SharedBy: other.ID}))
		mustOK(t, s.ShareTestimony(ctx, Share{TestimonyID: theirs.ID, UserID: owner.ID, SharedBy: other.ID})) // twice is fine
		same(t, "owner sees after share", visible(owner.ID), []int64{theirs.ID, mine.ID})
		if ok, err := s.IsSharedWith(ctx, theirs.ID, owner.ID); err != nil || !ok {
			t.Fatalf("IsSharedWith = %v, %v", ok, err)
		}
		n, err := s.CountTestimoniesVisibleTo(ctx, owner.ID)
		mustOK(t, err)
		if n != 2 {
			t.Fatalf("count visible = %d", n)
		}
		shares, err := s.SharesOf(ctx, theirs.ID)
		mustOK(t, err)
		if len(shares) != 1 || shares[0].UserID != owner.ID || shares[0].SharedBy != other.ID {
			t.Fatalf("shares %+v", shares)
		}
		wantCode(t, s.ShareTestimony(ctx, Share{TestimonyID: 99999, UserID: owner.ID}), domain.ENotFound)
		wantCode(t, s.ShareTestimony(ctx, Share{TestimonyID: mine.ID, UserID: 99999}), domain.ENotFound)

		mustOK(t, s.UnshareTestimony(ctx, theirs.ID, owner.ID, other.ID))
		wantCode(t, s.UnshareTestimony(ctx, theirs.ID, owner.ID, other.ID), domain.ENotFound)
		same(t, "owner sees after unshare", visible(owner.ID), []int64{mine.ID})

		c := newCase("P", "SY", third.ID)
		mustOK(t, s.CreateCase(ctx, c))
		if n, err := s.CountCasesAssignedTo(ctx, third.ID); err != nil || n != 1 {
			t.Fatalf("cases assigned = %d, %v", n, err)
		}
	})
}
