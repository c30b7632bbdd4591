package domain

import (
	"regexp"
	"time"
)

// Permission names one thing a user may do. Every route of the web UI and
// the API names exactly one; the route table test checks that.
type Permission string

// The permissions.
const (
	PermDashboard      Permission = "dashboard:read"
	PermTestimonyRead  Permission = "testimony:read"
	PermTestimonyWrite Permission = "testimony:write"
	PermIncidentRead   Permission = "incident:read"
	PermIncidentWrite  Permission = "incident:write"
	PermVerify         Permission = "incident:verify" // set verification, publish
	PermLinkWrite      Permission = "link:write"
	PermReferenceRead  Permission = "reference:read" // crossing points, policy events, figures
	PermReferenceWrite Permission = "reference:write"
	PermCaseRead       Permission = "case:read"
	PermCaseWrite      Permission = "case:write"
	PermIdentityRead   Permission = "identity:read" // restricted person fields
	PermSearch         Permission = "search"
	PermUserAdmin      Permission = "user:admin"
	PermSelf           Permission = "self" // any signed-in user: own account, logout
	PermPublic         Permission = "public"
)

// Roles grant permissions. Admin holds every permission in this version so
// that one account can run a small instance; need-to-know limits within a
// role (a monitor's own testimonies) are enforced by the services.
var rolePermissions = map[string][]Permission{
	"admin": {PermDashboard, PermTestimonyRead, PermTestimonyWrite, PermIncidentRead, PermIncidentWrite, PermVerify,
		PermLinkWrite, PermReferenceRead, PermReferenceWrite, PermCaseRead, PermCaseWrite, PermIdentityRead, PermSearch, PermUserAdmin},
	"coordinator": {PermDashboard, PermTestimonyRead, PermTestimonyWrite, PermIncidentRead, PermIncidentWrite, PermVerify,
		PermLinkWrite, PermReferenceRead, PermReferenceWrite, PermCaseRead, PermSearch},
	"monitor": {PermDashboard, PermTestimonyRead, PermTestimonyWrite, PermIncidentRead, PermIncidentWrite, PermLinkWrite,
		PermReferenceRead, PermSearch},
	"legal_aid": {PermDashboard, PermReferenceRead, PermCaseRead, PermCaseWrite, PermIdentityRead, PermIncidentRead},
	"analyst":   {PermDashboard, PermIncidentRead, PermReferenceRead, PermCaseRead},
}

// Can reports whether role grants perm. Every signed-in role has PermSelf,
// and everyone has PermPublic.
func Can(role string, perm Permission) bool {
	if perm == PermPublic {
		return true
	}
	perms, ok := rolePermissions[role]
	if !ok {
		return false
	}
	if perm == PermSelf {
		return true
	}
	for _, p := range perms {
		if p == perm {
			return true
		}
	}
	return false
}

// AllPermissions lists every permission, for tests and documentation.
func AllPermissions() []Permission {
	return []Permission{PermDashboard, PermTestimonyRead, PermTestimonyWrite, PermIncidentRead, PermIncidentWrite,
		PermVerify, PermLinkWrite, PermReferenceRead, PermReferenceWrite, PermCaseRead, PermCaseWrite, PermIdentityRead,
		PermSearch, PermUserAdmin, PermSelf, PermPublic}
}

// User is a staff account.
type User struct {
	Meta
	Username     string     `json:"username"`
	DisplayName  string     `json:"display_name"`
	Role         string     `json:"role"`
	Lang         string     `json:"lang"`
	Disabled     bool       `json:"disabled"`
	PasswordHash string     `json:"-"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
}

// Actor is who is doing something: the signed-in user, or the system
// (ID 0) for the CLI and the demo loader.
type Actor struct {
	UserID int64
	Role   string
}

// Can reports whether the actor may do perm.
func (a Actor) Can(perm Permission) bool { return Can(a.Role, perm) }

// SeesOnlyOwnTestimonies is the need-to-know rule for monitors: they see the
// testimonies they recorded.
func (a Actor) SeesOnlyOwnTestimonies() bool { return a.Role == "monitor" }

// SeesOnlyAssignedCases is the need-to-know rule for legal-aid workers:
// they follow the asylum cases assigned to them.
func (a Actor) SeesOnlyAssignedCases() bool { return a.Role == "legal_aid" }

// System is the actor for the CLI and loaders.
var System = Actor{UserID: 0, Role: "admin"}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// Normalize tidies free text.
func (u *User) Normalize() {
	u.DisplayName = CleanText(u.DisplayName)
	u.Username = CleanText(u.Username)
	if u.Lang == "" {
		u.Lang = "en"
	}
}

// Validate reports every problem at once.
func (u *User) Validate() error {
	var p Problems
	if !usernameRE.MatchString(u.Username) {
		p.Add("username", "use 2–40 lower-case letters, digits, dots, dashes or underscores")
	}
	checkText(&p, "display_name", u.DisplayName, MaxShortText)
	checkVocab(&p, "role", Roles, u.Role, true)
	if u.Lang != "en" && u.Lang != "fi" {
		p.Add("lang", "must be en or fi")
	}
	return p.Err()
}

// MinPasswordLength follows NIST SP 800-63B for memorised secrets.
const MinPasswordLength = 12

// ValidatePassword checks a new password.
func ValidatePassword(pw string) error {
	var p Problems
	if len([]rune(pw)) < MinPasswordLength {
		p.Add("password", "must be at least %d characters", MinPasswordLength)
	}
	if len(pw) > 1024 {
		p.Add("password", "is too long")
	}
	return p.Err()
}
