package msgsig

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"time"
)

// ContentDigest returns the Content-Digest header value for body, as
// httpsign writes it: sha-256 only.
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// Sign sets Content-Digest, Signature-Input and Signature on r as a
// Woodpecker server does (httpsign's NewSignConfig defaults: created, then
// alg; label woodpecker-ci-extensions; @request-target and content-digest).
// body must be the exact bytes r will send.
func Sign(r *http.Request, body []byte, key ed25519.PrivateKey, now time.Time) error {
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("msgsig: not an Ed25519 private key")
	}
	r.Header.Set("Content-Digest", ContentDigest(body))
	items := make([]listItem, len(Covered))
	for i, c := range Covered {
		items[i] = listItem{value: c}
	}
	params := serializeInnerList(items, []param{{"created", now.Unix()}, {"alg", Algorithm}})
	base := `"@request-target": ` + requestTarget(r) + "\n" +
		`"content-digest": ` + r.Header.Get("Content-Digest") + "\n" +
		`"@signature-params": ` + params
	sig := ed25519.Sign(key, []byte(base))
	r.Header.Set("Signature-Input", Label+"="+params)
	r.Header.Set("Signature", Label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return nil
}
