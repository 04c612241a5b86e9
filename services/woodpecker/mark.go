package woodpecker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// markPrefix starts the first line of every file Hangar answers Woodpecker
// with: a YAML comment carrying an HMAC of the file's name and content.
//
// Woodpecker stores the files a config extension answered and, when a
// pipeline is restarted, sends them back as "configuration". A file whose
// mark verifies is Hangar's own earlier output: it is passed through, never
// rendered or looked up again, so a restart runs what the first run ran.
// The HMAC (keyed by HANGAR_WOODPECKER_MARK_SECRET) keeps a repository from
// writing the mark into its own files to skip the central configuration.
const markPrefix = "# hangar-woodpecker: mac="

// marker marks and recognises Hangar's output.
type marker struct{ key []byte }

func (m marker) sum(name, data string) []byte {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte("hangar woodpecker config\x00"))
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(data))
	return h.Sum(nil)
}

// mark returns data with the mark line for name before it.
func (m marker) mark(name, data string) string {
	return markPrefix + base64.RawURLEncoding.EncodeToString(m.sum(name, data)) + "\n" + data
}

// valid reports whether f is marked and the mark verifies.
func (m marker) valid(f file) bool {
	rest, ok := strings.CutPrefix(f.Data, markPrefix)
	if !ok {
		return false
	}
	line, data, ok := strings.Cut(rest, "\n")
	got, err := base64.RawURLEncoding.DecodeString(line)
	return ok && err == nil && hmac.Equal(got, m.sum(f.Name, data))
}

// allValid reports whether fs is non-empty and all Hangar's own output.
func (m marker) allValid(fs []file) bool {
	for _, f := range fs {
		if !m.valid(f) {
			return false
		}
	}
	return len(fs) > 0
}
