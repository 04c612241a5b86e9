// Package seal encrypts the values the core server keeps secret at rest —
// secrets, API tokens, users' SCM tokens — with AES-256-GCM under the
// database key (DRONE_DATABASE_SECRET, as in Drone), stored as base64.
package seal

import (
	"encoding/base64"
	"errors"

	"github.com/hangar-ci/hangar/shared/aesgcm"
)

// ErrNoKey is returned when a value must be sealed or opened and no
// database key is configured.
var ErrNoKey = errors.New("DRONE_DATABASE_SECRET is not set: values kept secret cannot be stored")

// Sealer seals and opens values; the zero Sealer (no key) refuses both.
type Sealer struct{ key *aesgcm.Key }

// New returns a Sealer keyed by secret (at least 32 bytes, the first 32
// used, as Drone); "" gives a Sealer without a key.
func New(secret string) (*Sealer, error) {
	if secret == "" {
		return &Sealer{}, nil
	}
	k, err := aesgcm.KeyFrom(secret)
	if err != nil {
		return nil, errors.New("DRONE_DATABASE_SECRET must be at least 32 bytes")
	}
	return &Sealer{key: k}, nil
}

// Enabled reports whether the Sealer has a key.
func (s *Sealer) Enabled() bool { return s != nil && s.key != nil }

// Seal encrypts plain with a fresh nonce.
func (s *Sealer) Seal(plain string) (string, error) {
	if !s.Enabled() {
		return "", ErrNoKey
	}
	b, err := aesgcm.Encrypt([]byte(plain), s.key)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// Open decrypts a value made by Seal. The error never holds the value.
func (s *Sealer) Open(sealed string) (string, error) {
	if !s.Enabled() {
		return "", ErrNoKey
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", errors.New("sealed value is not base64")
	}
	plain, err := aesgcm.Decrypt(b, s.key)
	if err != nil {
		return "", errors.New("sealed value does not open under DRONE_DATABASE_SECRET")
	}
	return string(plain), nil
}
