package webhook

import (
	"path/filepath"
	"time"

	"github.com/hangar-ci/hangar/shared/envconf"
	"github.com/hangar-ci/hangar/shared/httpsig"
	"github.com/hangar-ci/hangar/shared/sqldb"
	"github.com/hangar-ci/hangar/shared/tree"
)

// DefaultSinksFile is where the sinks live in the config repository.
const DefaultSinksFile = "_hangar/sinks.yaml"

// DefaultRetention keeps delivered events for 30 days.
const DefaultRetention = 30 * 24 * time.Hour

// Options configure the webhook service.
type Options struct {
	// Signature verifies requests: the shared secret, Date skew and body limit.
	Signature httpsig.Settings
	// Driver and DSN name the event store: "sqlite3" (default, a file
	// under the data directory) or "postgres". The core server owns
	// DRONE_DATABASE_*, so these are HANGAR_WEBHOOK_DATABASE_*.
	Driver, DSN string
	// DB, when set, is used instead of opening Driver/DSN (tests).
	DB *sqldb.DB
	// SinksFile is the sinks file's path inside the config repository.
	SinksFile string
	// APIToken protects the event API (Bearer); empty disables the API.
	APIToken string
	// Poll is how often workers look for due retries and the sinks file
	// is checked for changes when nothing wakes them earlier.
	Poll time.Duration
	// Retention is how long an event whose deliveries were all made is
	// kept (and recognised as a duplicate); 0 keeps everything.
	Retention time.Duration
	// Lookup resolves a sink's secret_env; nil resolves nothing.
	Lookup envconf.Lookup
}

// OptionsFromEnv reads Options through lookup, reporting every invalid
// setting at once.
func OptionsFromEnv(lookup envconf.Lookup) (Options, error) {
	r := envconf.New(lookup)
	dataDir := r.String("data", "HANGAR_DATA_DIR")
	o := Options{
		Signature: httpsig.ReadSettings(r, "DRONE_WEBHOOK_SECRET", "DRONE_SECRET"),
		Driver:    r.String(string(sqldb.SQLite), "HANGAR_WEBHOOK_DATABASE_DRIVER"),
		DSN:       r.String("", "HANGAR_WEBHOOK_DATABASE_DATASOURCE"),
		SinksFile: r.String(DefaultSinksFile, "HANGAR_WEBHOOK_SINKS_FILE"),
		APIToken:  r.String("", "HANGAR_WEBHOOK_API_TOKEN"),
		Poll:      r.Duration(time.Second, "HANGAR_WEBHOOK_POLL"),
		Retention: r.Duration(DefaultRetention, "HANGAR_WEBHOOK_RETENTION"),
		Lookup:    lookup,
	}
	if o.DSN == "" && isSQLite(o.Driver) {
		o.DSN = "file:" + filepath.Join(dataDir, "webhook.db")
	}
	r.Check(isSQLite(o.Driver) || o.Driver == "postgres", "HANGAR_WEBHOOK_DATABASE_DRIVER", "%q is not sqlite3 or postgres", o.Driver)
	r.Check(o.DSN != "", "HANGAR_WEBHOOK_DATABASE_DATASOURCE", "must be set for %s", o.Driver)
	r.Check(tree.ValidPath(o.SinksFile) == nil, "HANGAR_WEBHOOK_SINKS_FILE", "%q is not a clean relative path", o.SinksFile)
	r.Check(o.APIToken == "" || len(o.APIToken) >= 16, "HANGAR_WEBHOOK_API_TOKEN", "must be at least 16 characters")
	r.Check(o.Poll > 0, "HANGAR_WEBHOOK_POLL", "must be positive")
	r.Check(o.Retention >= 0, "HANGAR_WEBHOOK_RETENTION", "must not be negative (0 keeps everything)")
	return o, r.Err()
}

func isSQLite(driver string) bool { return driver == "sqlite3" || driver == "sqlite" }
