// Package aesgcm is the optional response encryption of Drone's secret,
// registry and environ extensions (drone-protocol.md §1.5): AES-256-GCM
// keyed with the first 32 bytes of the shared secret, the body sent as
// nonce || ciphertext || tag, requested by `Accept-Encoding: aesgcm`.
package aesgcm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"net/http"
)

// Encoding is the Accept-Encoding / Content-Encoding value that asks for and
// marks an encrypted body.
const Encoding = "aesgcm"

// ErrShortSecret is returned for a shared secret shorter than 32 bytes,
// which cannot key AES-256 (Drone refuses it the same way).
var ErrShortSecret = errors.New("aesgcm: the shared secret must be at least 32 bytes to encrypt responses")

// ErrMalformed is returned by Decrypt for a body too short to hold a nonce.
var ErrMalformed = errors.New("aesgcm: malformed ciphertext")

// Key is an AES-256 key derived from a shared secret.
type Key [32]byte

// KeyFrom returns the key Drone derives from secret: its first 32 bytes,
// raw, no KDF. Extra bytes are ignored, as Drone ignores them.
func KeyFrom(secret string) (*Key, error) {
	if len(secret) < 32 {
		return nil, ErrShortSecret
	}
	var k Key
	copy(k[:], secret)
	return &k, nil
}

// Encrypt seals plaintext under key with a random nonce.
func Encrypt(plaintext []byte, key *Key) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plaintext, nil), nil
}

// seal is Encrypt with a given nonce, for the protocol's test vector.
func seal(plaintext []byte, key *Key, nonce []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return gcm.Seal(append([]byte(nil), nonce...), nonce, plaintext, nil), nil
}

// Decrypt opens a body produced by Encrypt (or by a drone-go handler).
func Decrypt(body []byte, key *Key) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(body) < gcm.NonceSize() {
		return nil, ErrMalformed
	}
	n := gcm.NonceSize()
	return gcm.Open(nil, body[:n], body[n:], nil)
}

func newGCM(key *Key) (cipher.AEAD, error) {
	if key == nil {
		return nil, ErrShortSecret
	}
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Requested reports whether r asks for an encrypted answer. Drone's
// handlers compare the whole header with "aesgcm" (no list parsing); so
// does Hangar, so both answer the same requests the same way.
func Requested(r *http.Request) bool {
	return r.Header.Get("Accept-Encoding") == Encoding
}
