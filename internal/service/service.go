// Package service is where the rules meet the store: every operation checks
// the actor's permission and need-to-know, normalizes and validates input,
// and then reads or writes through the store. The web UI, the API, the CLI
// and the demo loader all go through here, so they cannot disagree on who
// may do what.
package service

import (
	"context"
	"time"

	"vigil/internal/auth"
	"vigil/internal/domain"
	"vigil/internal/store"
)

// Service bundles the store with the clock and password settings.
type Service struct {
	Store          *store.Store
	Now            func() time.Time
	PasswordParams auth.Params
	// SessionIdle and SessionMax bound a web session's life.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// MasterKey is the instance key (the SQLite database key); subkeys for
	// other purposes are derived from it with auth.DeriveKey. DataDir is
	// the instance's data directory (files live there on both engines).
	MasterKey []byte
	DataDir   string
}

// New returns a service over st with production settings.
func New(st *store.Store) *Service {
	return &Service{Store: st, Now: time.Now, PasswordParams: auth.DefaultParams,
		SessionIdle: 2 * time.Hour, SessionMax: 12 * time.Hour}
}

func (s *Service) today() domain.Date { return domain.DateOf(s.Now()) }

// Today is the service clock's current date.
func (s *Service) Today() domain.Date { return s.today() }

func require(a domain.Actor, p domain.Permission) error {
	if !a.Can(p) {
		return domain.Errorf(domain.EForbidden, "you do not have permission to do this")
	}
	return nil
}

func stamp(m *domain.Meta, a domain.Actor, creating bool) {
	if creating {
		m.CreatedBy = a.UserID
	}
	m.UpdatedBy = a.UserID
}

type validator interface {
	Normalize()
	Validate() error
}

func check(v validator) error {
	v.Normalize()
	return v.Validate()
}

// Counts returns the dashboard's numbers.
func (s *Service) Counts(ctx context.Context, a domain.Actor) (store.Counts, error) {
	if err := require(a, domain.PermDashboard); err != nil {
		return store.Counts{}, err
	}
	c, err := s.Store.Counts(ctx)
	if err != nil {
		return c, err
	}
	// Counts follow need-to-know too: a total would tell a monitor how
	// much colleagues recorded, or a legal-aid worker how many cases exist.
	if a.SeesOnlyOwnTestimonies() {
		if c.Testimonies, err = s.Store.CountTestimoniesVisibleTo(ctx, a.UserID); err != nil {
			return c, err
		}
	}
	if !a.Can(domain.PermTestimonyRead) {
		c.Testimonies = 0
	}
	if a.SeesOnlyAssignedCases() {
		if c.Cases, err = s.Store.CountCasesAssignedTo(ctx, a.UserID); err != nil {
			return c, err
		}
	}
	if !a.Can(domain.PermCaseRead) {
		c.Cases = 0
	}
	if !a.Can(domain.PermIncidentRead) {
		c.Incidents, c.IncidentsByVerification, c.IncidentsByMonth = 0, nil, nil
	}
	if !a.Can(domain.PermUserAdmin) {
		c.Users = 0
	}
	return c, nil
}
