package auth

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// DeriveKey derives a 32-byte subkey for one purpose from the instance's
// master key, so each use (audit MAC, checkpoint signing, evidence files)
// has its own key and none of them is the database key itself.
func DeriveKey(master []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, master, nil, "vigil "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot give; 32 always works
	}
	return k
}
