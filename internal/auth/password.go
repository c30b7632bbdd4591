// Package auth holds the credential primitives: password hashing, random
// secrets and their one-way hashes. Sessions and tokens are stored by the
// store package only as these hashes, so a copy of the database does not
// let anyone sign in.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: above OWASP's minimum (19 MiB, t=2), at 64 MiB as the
// library notes recommend; about 60 ms per hash on the project's machine.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams are used for new hashes.
var DefaultParams = Params{Memory: 64 * 1024, Time: 2, Threads: 1}

// TestParams are cheap parameters for tests only.
var TestParams = Params{Memory: 1024, Time: 1, Threads: 1}

// hashSlots lets one argon2id computation run at a time. Each takes 64 MiB:
// unbounded, a burst of logins would multiply that and push the server far
// past its memory budget; in turn, logins queue for a few tens of ms.
var hashSlots = make(chan struct{}, 1)

func argon(pw string, salt []byte, p Params, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, n)
	// Hand the 64 MiB back at once: otherwise the next login allocates a
	// second block before the collector frees the first, and the server
	// peaks far above its budget. A few ms per login is a fair price.
	if p.Memory >= 16*1024 {
		debug.FreeOSMemory()
	}
	return key
}

// HashPassword returns a PHC-format argon2id hash of pw with a random salt.
func HashPassword(pw string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon(pw, salt, p, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var b64 = base64.RawStdEncoding

// ErrBadHash means a stored hash could not be parsed.
var ErrBadHash = errors.New("auth: malformed password hash")

// CheckPassword reports whether pw matches the PHC hash, in constant time.
func CheckPassword(pw, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, ErrBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, ErrBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrBadHash
	}
	got := argon(pw, salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when a user does not exist, so that a wrong
// username costs as much time as a wrong password and timing does not tell
// which accounts exist.
// It is made on first use, not at start-up, to keep cold start fast.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("vigil-dummy-password", DefaultParams)
	return h
})

// BurnTime does the work of one password check against nothing.
func BurnTime(pw string) { _, _ = CheckPassword(pw, dummyHash()) }

// NewSecret returns a random URL-safe secret of n random bytes, with prefix.
func NewSecret(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is the one-way hash stored for session and API tokens. They
// are 256-bit random values, so a plain SHA-256 is enough (no salt needed).
func HashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// NewPassword returns a random password for generated accounts: 20
// characters from an alphabet without look-alikes.
func NewPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
