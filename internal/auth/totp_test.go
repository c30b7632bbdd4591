package auth

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The test vectors of RFC 6238, appendix B (SHA-1), cut to six digits.
func TestTOTPCodeRFC6238(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, c := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		if got := TOTPCode(secret, TOTPStep(time.Unix(c.unix, 0))); got != c.code {
			t.Errorf("at %d: %s, want %s", c.unix, got, c.code)
		}
	}
}

func TestMatchTOTP(t *testing.T) {
	secret := NewTOTPSecret()
	now := time.Unix(1_700_000_000, 0)
	cur := TOTPStep(now)
	for _, c := range []struct {
		name  string
		code  string
		after int64
		step  int64
		ok    bool
	}{
		{"current step", TOTPCode(secret, cur), 0, cur, true},
		{"with spaces", TOTPCode(secret, cur)[:3] + " " + TOTPCode(secret, cur)[3:], 0, cur, true},
		{"previous step (slow clock)", TOTPCode(secret, cur-1), 0, cur - 1, true},
		{"next step (fast clock)", TOTPCode(secret, cur+1), 0, cur + 1, true},
		{"two steps old", TOTPCode(secret, cur-2), 0, 0, false},
		{"already used", TOTPCode(secret, cur), cur, 0, false},
		{"earlier than the last used", TOTPCode(secret, cur-1), cur, 0, false},
		{"later than the last used", TOTPCode(secret, cur+1), cur, cur + 1, true},
		{"wrong length", "12345", 0, 0, false},
		{"empty", "", 0, 0, false},
	} {
		step, ok := MatchTOTP(secret, c.code, now, c.after)
		if ok != c.ok || step != c.step {
			t.Errorf("%s: step %d ok %v, want %d %v", c.name, step, ok, c.step, c.ok)
		}
	}
}

func TestTOTPURIAndText(t *testing.T) {
	secret := []byte("12345678901234567890")
	if got := TOTPSecretText(secret); got != "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ" {
		t.Errorf("text %q", got)
	}
	uri, err := TOTPURI("Vigil", "aino", secret)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" ||
		u.Query().Get("issuer") != "Vigil" || !strings.HasSuffix(u.Path, "Vigil:aino") {
		t.Errorf("uri %s", uri)
	}
}

func TestRecoveryCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		c := NewRecoveryCode()
		if len(c) != 14 || c[4] != '-' || c[9] != '-' || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		if NormalizeRecoveryCode(c) != strings.ReplaceAll(c, "-", "") {
			t.Fatalf("normalize %q", c)
		}
		if NormalizeRecoveryCode(" "+strings.ToUpper(c)+" ") != strings.ReplaceAll(c, "-", "") {
			t.Fatalf("normalize upper %q", c)
		}
	}
	for _, bad := range []string{"", "abcd-efgh", "abcd-efgh-jkm1", "abcd-efgh-jkmnp", "123456"} {
		if NormalizeRecoveryCode(bad) != "" {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSealOpen(t *testing.T) {
	key, other := DeriveKey([]byte("master"), "totp v1"), DeriveKey([]byte("master"), "other")
	sealed, err := Seal(key, []byte("secret"), []byte("user 1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("sealed data holds the plain text")
	}
	again, _ := Seal(key, []byte("secret"), []byte("user 1"))
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals are equal: the nonce is not random")
	}
	if p, err := Open(key, sealed, []byte("user 1")); err != nil || string(p) != "secret" {
		t.Fatalf("open: %q %v", p, err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, c := range map[string]struct {
		key, data, aad []byte
	}{
		"wrong key":    {other, sealed, []byte("user 1")},
		"other record": {key, sealed, []byte("user 2")},
		"tampered":     {key, tampered, []byte("user 1")},
		"truncated":    {key, sealed[:10], []byte("user 1")},
		"empty":        {key, nil, []byte("user 1")},
	} {
		if _, err := Open(c.key, c.data, c.aad); err != ErrSealed {
			t.Errorf("%s: %v", name, err)
		}
	}
}
