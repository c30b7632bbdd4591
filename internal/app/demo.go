package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"vigil/internal/demo"
	"vigil/internal/domain"
	"vigil/internal/service"
)

// DemoLoginsFile keeps the demo accounts' generated passwords so a demo
// started again on the same folder can print them again. Like the demo
// key, this exists only for the demonstration instance.
const DemoLoginsFile = "DEMO-LOGINS-NOT-SECRET.txt"

// Login is one demo account.
type Login struct{ Username, Role, Password string }

// LoadDemo loads the built-in scenario through the service, as the people
// in it would have entered it: testimonies recorded by the demo monitor,
// incidents and verification by the coordinator, cases by the legal-aid
// worker. It returns the demo logins.
func LoadDemo(ctx context.Context, svc *service.Service) ([]Login, error) {
	ds, err := demo.Scenario()
	if err != nil {
		return nil, err
	}
	sys := domain.System
	var logins []Login
	actors := map[string]domain.Actor{}
	for _, du := range ds.Users {
		u := du.User
		pw, err := svc.CreateUser(ctx, sys, &u, "")
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", u.Username, err)
		}
		logins = append(logins, Login{u.Username, u.Role, pw})
		actors[u.Role] = service.ActorOf(u)
	}
	coord, monitor, legal := actors["coordinator"], actors["monitor"], actors["legal_aid"]
	for i := range ds.CrossingPoints {
		if err := svc.SaveCrossingPoint(ctx, coord, &ds.CrossingPoints[i]); err != nil {
			return nil, fmt.Errorf("demo crossing point %s: %w", ds.CrossingPoints[i].Code, err)
		}
	}
	for i := range ds.PolicyEvents {
		if err := svc.SavePolicyEvent(ctx, coord, &ds.PolicyEvents[i]); err != nil {
			return nil, fmt.Errorf("demo policy event %d: %w", i, err)
		}
	}
	for i := range ds.Figures {
		if err := svc.SaveFigure(ctx, coord, &ds.Figures[i]); err != nil {
			return nil, fmt.Errorf("demo figure %d: %w", i, err)
		}
	}
	for i := range ds.Testimonies {
		if err := svc.CreateTestimony(ctx, monitor, &ds.Testimonies[i]); err != nil {
			return nil, fmt.Errorf("demo testimony %d: %w", i, err)
		}
	}
	for i := range ds.Incidents {
		if err := svc.CreateIncident(ctx, coord, &ds.Incidents[i]); err != nil {
			return nil, fmt.Errorf("demo incident %d: %w", i, err)
		}
	}
	for _, l := range ds.Links {
		link := domain.Link{TestimonyID: ds.Testimonies[l.Testimony].ID, IncidentID: ds.Incidents[l.Incident].ID,
			Relation: l.Relation, Note: l.Note}
		if err := svc.Link(ctx, coord, link); err != nil {
			return nil, fmt.Errorf("demo link: %w", err)
		}
	}
	for i := range ds.Cases {
		ds.Cases[i].AssignedTo = legal.UserID
		if err := svc.SaveCase(ctx, legal, &ds.Cases[i]); err != nil {
			return nil, fmt.Errorf("demo case %d: %w", i, err)
		}
	}
	// Seal the loaded scenario with a signed checkpoint, so the demo shows
	// from the start how an instance proves its history was not rewritten.
	if _, err := svc.SignCheckpoint(ctx, sys); err != nil {
		return nil, fmt.Errorf("demo checkpoint: %w", err)
	}
	return logins, nil
}

// SaveDemoLogins writes the demo logins beside the demo data.
func SaveDemoLogins(dir string, logins []Login) error {
	var b strings.Builder
	b.WriteString("# Demo instance only: generated logins, stored in plain text on purpose.\n")
	for _, l := range logins {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", l.Username, l.Role, l.Password)
	}
	return os.WriteFile(filepath.Join(dir, DemoLoginsFile), []byte(b.String()), 0o600)
}

// ReadDemoLogins reads what SaveDemoLogins wrote.
func ReadDemoLogins(dir string) ([]Login, error) {
	b, err := os.ReadFile(filepath.Join(dir, DemoLoginsFile))
	if err != nil {
		return nil, err
	}
	var out []Login
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 3 && !strings.HasPrefix(line, "#") {
			out = append(out, Login{f[0], f[1], f[2]})
		}
	}
	return out, nil
}
