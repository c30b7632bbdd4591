package auth

import (
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := CheckPassword(pw, h)
		if err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	h2, _ := HashPassword("correct horse battery", TestParams)
	if h2 == h {
		t.Error("two hashes of one password are equal: salt is not random")
	}
}

func TestCheckPasswordRejectsMalformed(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=1024,t=1,p=1$!!$AA"} {
		if _, err := CheckPassword("x", h); err == nil {
			t.Errorf("CheckPassword accepted malformed hash %q", h)
		}
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret("vgl_", 32), NewSecret("vgl_", 32)
	if a == b || !strings.HasPrefix(a, "vgl_") || len(a) != 4+43 {
		t.Fatalf("secrets %q %q", a, b)
	}
	if string(HashSecret(a)) == string(HashSecret(b)) || len(HashSecret(a)) != 32 {
		t.Fatal("hash of different secrets collide or wrong size")
	}
	p := NewPassword()
	if len(p) != 20 || strings.ContainsAny(p, "0O1lI") {
		t.Fatalf("generated password %q", p)
	}
}

func TestDeriveKey(t *testing.T) {
	m := []byte("0123456789abcdef0123456789abcdef")
	a, b := DeriveKey(m, "audit mac v1"), DeriveKey(m, "files v1")
	if len(a) != 32 || string(a) == string(b) || string(a) == string(m) {
		t.Fatal("derived keys are not distinct 32-byte keys")
	}
	if string(DeriveKey(m, "audit mac v1")) != string(a) {
		t.Fatal("derivation is not deterministic")
	}
}
