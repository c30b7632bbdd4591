package auth

import (
	"strings"
	"testing"
	"time"
)

// FuzzSecondFactorCode: whatever is typed at the second-factor form, a
// TOTP code matches only if it is the code of a step within the skew
// window and after the replay guard, and a recovery code is normalised
// either to nothing or to exactly the form that is hashed.
func FuzzSecondFactorCode(f *testing.F) {
	secret := []byte("12345678901234567890") // RFC 6238's test secret
	now := time.Unix(59, 0)
	for _, s := range []string{TOTPCode(secret, TOTPStep(now)), "287082", " 287 082 ", "00000", "0000000", "abcd-efgh-jkmn",
		"ABCD EFGH JKMN", "abcd-efgh-jkmn-", "ａｂｃｄ-efgh-jkmn", "\u0130bcd-efgh-jkmn", "", "28708\u0662"} {
		f.Add(s, int64(59), int64(0))
	}
	f.Add("94287082", int64(59), int64(1))
	f.Fuzz(func(t *testing.T, code string, unix, after int64) {
		at := time.Unix(unix, 0)
		if step, ok := MatchTOTP(secret, code, at, after); ok {
			cur := TOTPStep(at)
			if step < cur-TOTPSkew || step > cur+TOTPSkew || step <= after {
				t.Fatalf("%q matched step %d (now %d, after %d)", code, step, cur, after)
			}
			if got := strings.Join(strings.Fields(code), ""); got != TOTPCode(secret, step) {
				t.Fatalf("%q matched step %d whose code is %s", code, step, TOTPCode(secret, step))
			}
		}
		rc := NormalizeRecoveryCode(code)
		if rc == "" {
			return
		}
		if len(rc) != 12 || strings.Trim(rc, recoveryAlphabet) != "" {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q", code, rc)
		}
		if again := NormalizeRecoveryCode(rc); again != rc {
			t.Fatalf("NormalizeRecoveryCode is not stable: %q → %q → %q", code, rc, again)
		}
	})
}
