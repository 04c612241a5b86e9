package httpsig

import (
	"net/http"
	"strings"
)

type params struct {
	keyID, algorithm, signature string
	headers                     []string
}

// parseSignature reads the Signature header, or an Authorization header of
// the "Signature" scheme, strictly: comma-separated key="value" pairs with
// the four known keys, each at most once.
func parseSignature(h http.Header) (params, error) {
	raw := h.Get("Signature")
	if raw == "" {
		if a, ok := strings.CutPrefix(h.Get("Authorization"), "Signature "); ok {
			raw = a
		}
	}
	if raw == "" {
		return params{}, reject(http.StatusUnauthorized, "request is not signed: no Signature header")
	}
	var p params
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(raw, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return params{}, reject(http.StatusBadRequest, "malformed Signature header near %q", trim(pair))
		}
		v = v[1 : len(v)-1]
		if seen[k] {
			return params{}, reject(http.StatusBadRequest, "Signature parameter %q repeated", k)
		}
		seen[k] = true
		switch k {
		case "keyId":
			p.keyID = v
		case "algorithm":
			p.algorithm = v
		case "signature":
			p.signature = v
		case "headers":
			p.headers = strings.Fields(strings.ToLower(v))
		default:
			return params{}, reject(http.StatusBadRequest, "unknown Signature parameter %q", trim(k))
		}
	}
	if p.signature == "" || p.algorithm == "" {
		return params{}, reject(http.StatusBadRequest, "Signature header lacks algorithm or signature")
	}
	if len(p.headers) == 0 {
		// draft-cavage: an absent list means "date" alone, which Hangar
		// then refuses for lacking digest.
		p.headers = []string{"date"}
	}
	return p, nil
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
