package httpsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Header lists as the Drone server sends them.
var (
	// ExtensionHeaders is the list drone-go's extension clients sign.
	ExtensionHeaders = []string{"accept", "accept-encoding", "content-type", "date", "digest"}
	// WebhookHeaders is the list the Drone server's outbound webhook signs.
	WebhookHeaders = []string{"date", "digest"}
)

// Algorithm is the only signature algorithm Hangar signs or accepts.
const Algorithm = "hmac-sha256"

// keyID is the constant key id every Drone client sends.
const keyID = "hmac-key"

// Digest returns the Digest header value for body: "SHA-256=" followed by
// the padded standard base64 of its SHA-256 sum.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// Sign sets Digest and Date (when absent) on r and then a Signature over the
// given headers, each of which must be present. body must be the exact bytes
// r will send. The signature matches drone-go's byte for byte.
func Sign(r *http.Request, body []byte, secret string, headers []string, now time.Time) error {
	if secret == "" {
		return errors.New("httpsig: empty secret")
	}
	r.Header.Set("Digest", Digest(body))
	if r.Header.Get("Date") == "" {
		r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	}
	s, err := signingString(r.Header, headers)
	if err != nil {
		return err
	}
	r.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="%s",signature="%s",headers="%s"`,
		keyID, Algorithm, mac(secret, s), strings.Join(headers, " ")))
	return nil
}

// signingString joins "name: value" lines for each listed header with LF.
func signingString(h http.Header, headers []string) (string, error) {
	var b strings.Builder
	for i, name := range headers {
		v := h.Get(name)
		if v == "" {
			return "", fmt.Errorf("httpsig: missing required header %q", name)
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(v)
	}
	return b.String(), nil
}

func mac(secret, s string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
