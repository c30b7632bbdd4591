package service

import (
	"context"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// ShareTarget is a colleague a testimony can be shared with.
type ShareTarget struct {
	UserID      int64
	Username    string
	DisplayName string
	Shared      bool
}

// canShare: whoever recorded the testimony, and anyone who may write
// testimonies without the own-records limit (coordinators, admins).
func (s *Service) canShare(ctx context.Context, a domain.Actor, t domain.Testimony) bool {
	return a.Can(domain.PermTestimonyWrite) && (!a.SeesOnlyOwnTestimonies() || t.RecordedBy == a.UserID)
}

// ShareTargets lists the colleagues with need-to-know limits (monitors)
// who could be given the testimony, marking those who already have it. Only
// someone who may share sees the list.
func (s *Service) ShareTargets(ctx context.Context, a domain.Actor, testimonyID int64) ([]ShareTarget, error) {
	t, err := s.GetTestimony(ctx, a, testimonyID)
	if err != nil {
		return nil, err
	}
	if !s.canShare(ctx, a, t) {
		return nil, nil
	}
	users, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	shares, err := s.Store.SharesOf(ctx, testimonyID)
	if err != nil {
		return nil, err
	}
	has := map[int64]bool{}
	for _, sh := range shares {
		has[sh.UserID] = true
	}
	var out []ShareTarget
	for _, u := range users {
		ua := ActorOf(u)
		if u.Disabled || !ua.SeesOnlyOwnTestimonies() || u.ID == t.RecordedBy {
			continue
		}
		out = append(out, ShareTarget{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Shared: has[u.ID]})
	}
	return out, nil
}

// ShareTestimony gives a monitor colleague access to a testimony.
func (s *Service) ShareTestimony(ctx context.Context, a domain.Actor, testimonyID, userID int64) error {
	t, err := s.GetTestimony(ctx, a, testimonyID)
	if err != nil {
		return err
	}
	if !s.canShare(ctx, a, t) {
		return domain.Errorf(domain.EForbidden, "only whoever recorded this testimony or a coordinator can share it")
	}
	u, err := s.Store.GetUser(ctx, userID)
	if err != nil || u.Disabled || !domain.Can(u.Role, domain.PermTestimonyRead) {
		var p domain.Problems
		p.Add("user_id", "choose an active colleague who works with testimonies")
		return p.Err()
	}
	return s.Store.ShareTestimony(ctx, store.Share{TestimonyID: testimonyID, UserID: userID, SharedBy: a.UserID})
}

// UnshareTestimony withdraws a share.
func (s *Service) UnshareTestimony(ctx context.Context, a domain.Actor, testimonyID, userID int64) error {
	t, err := s.GetTestimony(ctx, a, testimonyID)
	if err != nil {
		return err
	}
	if !s.canShare(ctx, a, t) {
		return domain.Errorf(domain.EForbidden, "only whoever recorded this testimony or a coordinator can change who it is shared with")
	}
	return s.Store.UnshareTestimony(ctx, testimonyID, userID, a.UserID)
}
