package vaultkv

import (
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
)

// Auth methods, named as drone-vault's VAULT_AUTH_TYPE values.
const (
	AuthToken      = "token"
	AuthAppRole    = "approle"
	AuthKubernetes = "kubernetes"
)

// DefaultKubernetesTokenPath is where Kubernetes mounts a pod's
// service-account token.
const DefaultKubernetesTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// Options configure the Vault client. The variable names are drone-vault's
// (and the Vault CLI's for TLS), so an existing deployment switches by
// changing its image.
type Options struct {
	Addr string // VAULT_ADDR
	// AuthType is token (default), approle or kubernetes (VAULT_AUTH_TYPE).
	AuthType string
	// AuthMount is the auth method's mount point (VAULT_AUTH_MOUNT_POINT);
	// empty means the method's name.
	AuthMount string
	Token     string // VAULT_TOKEN, for token auth
	RoleID    string // VAULT_APPROLE_ID
	SecretID  string // VAULT_APPROLE_SECRET
	KubeRole  string // VAULT_KUBERNETES_ROLE
	// KubeTokenPath is the service-account JWT, read again at each login
	// because projected tokens rotate (VAULT_KUBERNETES_TOKEN_PATH).
	KubeTokenPath string
	// TokenTTL is the increment asked for at each renewal; a renewal that
	// returns less has reached the token's max TTL, and the client logs in
	// again (VAULT_TOKEN_TTL; 0 means the TTL of the login).
	TokenTTL time.Duration
	// Renewal is the longest wait between renewals (VAULT_TOKEN_RENEWAL);
	// the client renews earlier when two thirds of the TTL have passed.
	Renewal time.Duration
	// TLS, as the Vault CLI names them.
	CACert, CAPath, ClientCert, ClientKey, TLSServerName string
	SkipVerify                                           bool
	// Timeout bounds one Vault request (VAULT_CLIENT_TIMEOUT).
	Timeout time.Duration
	// MaxRetries is how often a failed request is retried (VAULT_MAX_RETRIES).
	MaxRetries int
	// MountCacheTTL is how long a path's KV version, learnt from the
	// mounts API, is reused.
	MountCacheTTL time.Duration
}

// OptionsFromEnv reads Options through r; problems are recorded in r.
// With no VAULT_ADDR it returns zero Options (Vault not configured) and
// records nothing.
func OptionsFromEnv(r *envconf.Reader) Options {
	o := Options{Addr: r.String("", "VAULT_ADDR")}
	if o.Addr == "" {
		return Options{}
	}
	o.AuthType = r.String(AuthToken, "VAULT_AUTH_TYPE")
	o.AuthMount = r.String("", "VAULT_AUTH_MOUNT_POINT")
	o.Token = r.String("", "VAULT_TOKEN")
	o.RoleID = r.String("", "VAULT_APPROLE_ID")
	o.SecretID = r.String("", "VAULT_APPROLE_SECRET")
	o.KubeRole = r.String("", "VAULT_KUBERNETES_ROLE")
	o.KubeTokenPath = r.String(DefaultKubernetesTokenPath, "VAULT_KUBERNETES_TOKEN_PATH")
	o.TokenTTL = r.Duration(0, "VAULT_TOKEN_TTL")
	o.Renewal = r.Duration(0, "VAULT_TOKEN_RENEWAL")
	o.CACert = r.String("", "VAULT_CACERT")
	o.CAPath = r.String("", "VAULT_CAPATH")
	o.ClientCert = r.String("", "VAULT_CLIENT_CERT")
	o.ClientKey = r.String("", "VAULT_CLIENT_KEY")
	o.TLSServerName = r.String("", "VAULT_TLS_SERVER_NAME")
	o.SkipVerify = r.Bool(false, "VAULT_SKIP_VERIFY")
	o.Timeout = r.Duration(10*time.Second, "VAULT_CLIENT_TIMEOUT")
	o.MaxRetries = r.Int(2, "VAULT_MAX_RETRIES")
	o.MountCacheTTL = r.Duration(time.Minute, "HANGAR_VAULT_MOUNT_CACHE_TTL")
	for _, p := range o.problems() {
		r.Fail(p.name, "%s", p.msg)
	}
	return o
}

type problem struct{ name, msg string }

// problems lists every inconsistency, each under its variable's name.
func (o Options) problems() []problem {
	var ps []problem
	add := func(cond bool, name, msg string) {
		if !cond {
			ps = append(ps, problem{name, msg})
		}
	}
	switch o.AuthType {
	case AuthToken, "":
		add(o.Token != "", "VAULT_TOKEN", "must be set for token auth (or set VAULT_AUTH_TYPE to approle or kubernetes)")
	case AuthAppRole:
		add(o.RoleID != "", "VAULT_APPROLE_ID", "must be set for approle auth")
		add(o.SecretID != "", "VAULT_APPROLE_SECRET", "must be set for approle auth")
	case AuthKubernetes:
		add(o.KubeRole != "", "VAULT_KUBERNETES_ROLE", "must be set for kubernetes auth")
		add(o.KubeTokenPath != "", "VAULT_KUBERNETES_TOKEN_PATH", "must name the service-account token file")
	default:
		ps = append(ps, problem{"VAULT_AUTH_TYPE", "must be token, approle or kubernetes, not " + o.AuthType})
	}
	add(o.TokenTTL >= 0, "VAULT_TOKEN_TTL", "must not be negative")
	add(o.Renewal >= 0, "VAULT_TOKEN_RENEWAL", "must not be negative")
	add(o.Timeout > 0, "VAULT_CLIENT_TIMEOUT", "must be positive")
	add(o.MaxRetries >= 0, "VAULT_MAX_RETRIES", "must not be negative")
	add((o.ClientCert == "") == (o.ClientKey == ""), "VAULT_CLIENT_CERT", "and VAULT_CLIENT_KEY must be set together")
	return ps
}
