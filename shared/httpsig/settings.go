package httpsig

import (
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
)

// Settings are what every signed endpoint is configured with.
type Settings struct {
	// Secret is the shared secret; Hangar refuses to start without one.
	Secret string
	// Skew is how far a request's Date may be from the clock, either way.
	Skew time.Duration
	// MaxBody bounds a request body; beyond it, 413.
	MaxBody int64
}

// ReadSettings reads the secret from the first set of secretNames (a
// service's own name first, then DRONE_SECRET) and the common
// HANGAR_SIGNATURE_SKEW and HANGAR_MAX_BODY_SIZE, recording problems in r.
func ReadSettings(r *envconf.Reader, secretNames ...string) Settings {
	s := Settings{
		Secret:  r.String("", secretNames...),
		Skew:    r.Duration(DefaultSkew, "HANGAR_SIGNATURE_SKEW"),
		MaxBody: r.Bytes(DefaultMaxBody, "HANGAR_MAX_BODY_SIZE"),
	}
	if len(secretNames) > 0 {
		r.Check(s.Secret != "", secretNames[len(secretNames)-1], "must be set (or %s): the shared secret Drone signs with", secretNames[0])
	}
	r.Check(s.Skew > 0, "HANGAR_SIGNATURE_SKEW", "must be positive")
	r.Check(s.MaxBody > 0, "HANGAR_MAX_BODY_SIZE", "must be positive")
	return s
}

// Verifier returns the Verifier these settings describe.
func (s Settings) Verifier() (*Verifier, error) {
	var opts []Option
	if s.Skew > 0 {
		opts = append(opts, WithSkew(s.Skew))
	}
	if s.MaxBody > 0 {
		opts = append(opts, WithMaxBody(s.MaxBody))
	}
	return NewVerifier(s.Secret, opts...)
}
