package app

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/argon2"
)

// DemoKeyFile is where the demo instance keeps its database key: beside
// the data, which only a throw-away demonstration may do. The name says so.
const DemoKeyFile = "DEMO-KEY-NOT-SECRET.key"

// saltFile holds the salt for passphrase-derived keys. A salt is not
// secret; keeping it with the data lets the same passphrase open it.
const saltFile = "vigil.salt"

// DefaultKeyFile is where `vigil init` puts a new instance's key when no
// --key-file is given: under the user's config directory, never inside the
// data directory, named after the data directory's absolute path.
func DefaultKeyFile(dataDir string) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory to keep the key in (set --key-file): %w", err)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cfg, "vigil", "keys", filepath.Base(abs)+"-"+hex.EncodeToString(sum[:4])+".key"), nil
}

// KeySource says where the database key comes from.
type KeySource struct {
	File       string // path of a key file (64 hex digits)
	Passphrase string // a passphrase; the key is derived with Argon2id
}

// NewKeyFile writes a fresh random key to path (0600), refusing to
// overwrite an existing key: losing a key loses the data.
func NewKeyFile(path string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the key's folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("a key file already exists at %s; refusing to overwrite it", path)
		}
		return nil, fmt.Errorf("cannot write the key file: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return nil, err
	}
	return key, f.Sync()
}

// ReadKeyFile reads a key file written by NewKeyFile.
func ReadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the key file %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("the key file %s does not hold a Vigil key (64 hex digits)", path)
	}
	return key, nil
}

// PassphraseKey derives the database key from a passphrase and the data
// directory's salt, creating the salt on first use.
func PassphraseKey(dataDir, passphrase string, create bool) ([]byte, error) {
	if len([]rune(passphrase)) < 12 {
		return nil, errors.New("the passphrase must be at least 12 characters")
	}
	p := filepath.Join(dataDir, saltFile)
	salt, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) && create {
		salt = make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, salt, 0o600); err != nil {
			return nil, fmt.Errorf("cannot write the salt: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("cannot read the passphrase salt %s: %w", p, err)
	}
	if len(salt) != 16 {
		return nil, fmt.Errorf("the salt file %s is damaged", p)
	}
	return argon2.IDKey([]byte(passphrase), salt, 3, 64*1024, 2, 32), nil
}

// LoadKey finds the key for dataDir: the passphrase, else the key file,
// else the demo key if this is a demo instance, else the default key file.
func LoadKey(dataDir string, src KeySource) ([]byte, error) {
	if src.Passphrase != "" {
		return PassphraseKey(dataDir, src.Passphrase, false)
	}
	if src.File != "" {
		return ReadKeyFile(src.File)
	}
	demo := filepath.Join(dataDir, DemoKeyFile)
	if _, err := os.Stat(demo); err == nil {
		return ReadKeyFile(demo)
	}
	def, err := DefaultKeyFile(dataDir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(def); err != nil {
		return nil, fmt.Errorf("no key for %s: give --key-file or VIGIL_KEY_FILE, or VIGIL_PASSPHRASE (looked for %s)", dataDir, def)
	}
	return ReadKeyFile(def)
}
