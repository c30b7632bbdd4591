package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/chacha20poly1305"
)

// TOTP (RFC 6238) with the parameters every authenticator app supports:
// SHA-1, six digits, 30-second steps. The library computes codes; the step
// a code belongs to is worked out here, because the replay guard needs it
// and the library's validator does not say.

// TOTPPeriod is the length of one time step.
const TOTPPeriod = 30 * time.Second

// TOTPSkew is how many steps before and after the current one a code may
// belong to: one either side forgives a clock that is up to 30 s off.
const TOTPSkew = 1

// TOTPSecretSize is the size of a new secret: 160 bits, as RFC 4226
// recommends for HMAC-SHA-1.
const TOTPSecretSize = 20

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a new random TOTP secret.
func NewTOTPSecret() []byte {
	b := make([]byte, TOTPSecretSize)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// TOTPSecretText is the secret as people type it into an authenticator
// app: base32 in groups of four.
func TOTPSecretText(secret []byte) string {
	s := b32.EncodeToString(secret)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// TOTPURI is the otpauth:// URI that a QR code carries to the app.
func TOTPURI(issuer, account string, secret []byte) (string, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Secret: secret,
		Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", err
	}
	return k.URL(), nil
}

// TOTPStep is the time step that t falls in.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode is the code for one time step.
func TOTPCode(secret []byte, step int64) string {
	c, err := hotp.GenerateCodeCustom(b32.EncodeToString(secret), uint64(step),
		hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		panic(err) // only for a secret that is not base32, which ours always is
	}
	return c
}

// MatchTOTP finds the step of code among the steps around now that are
// later than after (the replay guard: the last step accepted before). It
// reports the earliest matching step; every candidate is compared in
// constant time.
func MatchTOTP(secret []byte, code string, now time.Time, after int64) (step int64, ok bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 {
		return 0, false
	}
	cur := TOTPStep(now)
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		match := subtle.ConstantTimeCompare([]byte(TOTPCode(secret, s)), []byte(code)) == 1
		if match && s > after && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// Recovery codes are twelve random characters (about 59 bits) written as
// three groups of four, from an alphabet without look-alikes. They are stored as
// SHA-256 hashes: with that much entropy a fast hash is enough.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewRecoveryCode returns a new one-time recovery code.
func NewRecoveryCode() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		// 256 is not a multiple of 31, so the first letters come out a
		// little more often; the code still carries over 58 bits.
		s.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
	}
	return s.String()
}

// NormalizeRecoveryCode reduces a typed recovery code to the form that is
// hashed: lower case, without spaces and dashes. Anything else returns "".
func NormalizeRecoveryCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != 12 {
		return ""
	}
	return b.String()
}

// ErrSealed is returned when sealed data does not open: a wrong key, data
// belonging to another record, or tampering.
var ErrSealed = errors.New("auth: sealed data cannot be opened")

// Seal encrypts plain with XChaCha20-Poly1305 under key (32 bytes), bound
// to aad, which must be given again to open it. The random nonce is stored
// in front of the ciphertext.
func Seal(key, plain, aad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, aad), nil
}

// Open decrypts what Seal made with the same key and aad.
func Open(key, sealed, aad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrSealed
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], aad)
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}
