package pipeline

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// MinKeyLen is the shortest key Drone signs or verifies with.
const MinKeyLen = 32

// ErrKeyTooShort is returned by Sign for a key under MinKeyLen bytes.
var ErrKeyTooShort = errors.New("signature: key must be at least 32 bytes")

// Sign returns the hex HMAC-SHA256 that a kind: signature document must
// carry for m to verify with key (the repository's secret).
func (m *Manifest) Sign(key []byte) (string, error) {
	if len(key) < MinKeyLen {
		return "", ErrKeyTooShort
	}
	return hex.EncodeToString(m.mac(key)), nil
}

// Verify reports whether the first signature document holds the HMAC of
// every other document, as Drone checks protected repositories. A manifest
// without a signature, a malformed hmac or a key under MinKeyLen bytes
// does not verify.
func (m *Manifest) Verify(key []byte) bool {
	if len(key) < MinKeyLen {
		return false
	}
	var sig *Signature
	for _, r := range m.Resources {
		if s, ok := r.(*Signature); ok {
			sig = s
			break
		}
	}
	if sig == nil {
		return false
	}
	want, err := hex.DecodeString(sig.Hmac)
	if err != nil {
		return false
	}
	return hmac.Equal(m.mac(key), want)
}

// mac is the HMAC over the raw text of every non-signature document.
func (m *Manifest) mac(key []byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, r := range m.Resources {
		if _, ok := r.(*Signature); ok {
			continue
		}
		h.Write(r.Source().Raw)
	}
	return h.Sum(nil)
}
