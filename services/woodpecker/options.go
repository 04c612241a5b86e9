package woodpecker

import (
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/msgsig"
)

// DefaultSecretsPath is the file in the config repository that names the
// secrets a Woodpecker build may ask for.
const DefaultSecretsPath = "_hangar/woodpecker-secrets.yaml"

// Options configure the Woodpecker endpoints.
type Options struct {
	// PublicKey is the Woodpecker server's Ed25519 public key
	// (HANGAR_WOODPECKER_PUBLIC_KEY): PEM text, the path of a PEM file, or
	// the URL of its key endpoint (https://ci.example.com/api/signature/public-key),
	// fetched at start and again when a signature fails to verify. Empty
	// turns the endpoints off.
	PublicKey string
	// Past and Future bound a signature's "created" against the clock
	// (HANGAR_WOODPECKER_SIGNATURE_PAST, default 10s;
	// HANGAR_WOODPECKER_SIGNATURE_FUTURE, default 2s).
	Past, Future time.Duration
	// MaxBody bounds a request body (HANGAR_MAX_BODY_SIZE).
	MaxBody int64
	// Hangar is the base URL of Hangar's own Drone endpoints
	// (HANGAR_WOODPECKER_HANGAR_URL): /config, /convert, /secret and
	// /registry under it. `hangar all` defaults it to itself.
	Hangar string
	// Secrets sign the calls to each of those endpoints, read from the
	// names those services read (DRONE_YAML_SECRET, DRONE_CONVERT_PLUGIN_SECRET,
	// DRONE_SECRET_PLUGIN_TOKEN, DRONE_REGISTRY_PLUGIN_TOKEN, else DRONE_SECRET).
	Secrets map[string]string
	// MarkSecret keys the mark on Hangar's own answers that lets a
	// restarted pipeline's configuration be recognised
	// (HANGAR_WOODPECKER_MARK_SECRET, default the config secret).
	MarkSecret string
	// SecretsPath names the secrets Woodpecker builds may get
	// (HANGAR_WOODPECKER_SECRETS, in the config repository).
	SecretsPath string
}

// The Drone endpoints the Woodpecker endpoints call.
const (
	kindConfig   = "config"
	kindConvert  = "convert"
	kindSecret   = "secret"
	kindRegistry = "registry"
)

// OptionsFromEnv reads Options through lookup; self is `hangar all`'s own
// URL (empty when the service runs alone). Every invalid setting is
// reported at once.
func OptionsFromEnv(lookup envconf.Lookup, self string) (Options, error) {
	r := envconf.New(lookup)
	o := Options{
		PublicKey: strings.TrimSpace(r.String("", "HANGAR_WOODPECKER_PUBLIC_KEY")),
		Past:      r.Duration(msgsig.DefaultPast, "HANGAR_WOODPECKER_SIGNATURE_PAST"),
		Future:    r.Duration(msgsig.DefaultFuture, "HANGAR_WOODPECKER_SIGNATURE_FUTURE"),
		MaxBody:   r.Bytes(httpsig.DefaultMaxBody, "HANGAR_MAX_BODY_SIZE"),
		Hangar:    strings.TrimRight(r.String(self, "HANGAR_WOODPECKER_HANGAR_URL"), "/"),
		Secrets: map[string]string{
			kindConfig:   r.String("", "DRONE_YAML_SECRET", "DRONE_SECRET"),
			kindConvert:  r.String("", "DRONE_CONVERT_PLUGIN_SECRET", "DRONE_SECRET"),
			kindSecret:   r.String("", "DRONE_SECRET_PLUGIN_TOKEN", "DRONE_SECRET"),
			kindRegistry: r.String("", "DRONE_REGISTRY_PLUGIN_TOKEN", "DRONE_SECRET"),
		},
		SecretsPath: r.String(DefaultSecretsPath, "HANGAR_WOODPECKER_SECRETS"),
	}
	o.MarkSecret = r.String(o.Secrets[kindConfig], "HANGAR_WOODPECKER_MARK_SECRET")
	r.Check(o.Past > 0, "HANGAR_WOODPECKER_SIGNATURE_PAST", "must be positive")
	r.Check(o.Future >= 0, "HANGAR_WOODPECKER_SIGNATURE_FUTURE", "must not be negative")
	r.Check(o.MaxBody > 0, "HANGAR_MAX_BODY_SIZE", "must be positive")
	if o.PublicKey != "" {
		r.Check(o.Hangar != "", "HANGAR_WOODPECKER_HANGAR_URL", "must be set when the service runs alone: the base URL of Hangar's Drone endpoints")
		r.Check(o.Secrets[kindConfig] != "", "DRONE_SECRET", "must be set (or DRONE_YAML_SECRET): the Woodpecker endpoints call Hangar's config service with it")
		r.Check(len(o.MarkSecret) >= 16, "HANGAR_WOODPECKER_MARK_SECRET", "must be at least 16 bytes (it defaults to the config secret)")
	}
	return o, r.Err()
}
