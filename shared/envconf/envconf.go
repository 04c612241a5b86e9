// Package envconf reads typed settings through an injected lookup function,
// collecting every problem so a service can report them all at once, each
// with the variable's name.
package envconf

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Lookup returns a variable's value and whether it is set; os.LookupEnv is
// one. Tests pass a map's lookup instead of touching the environment.
type Lookup func(string) (string, bool)

// Env is the real environment.
var Env Lookup = os.LookupEnv

// Map returns a Lookup over m.
func Map(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Reader reads settings and remembers what was wrong with them.
type Reader struct {
	lookup Lookup
	errs   []error
}

// New returns a Reader over lookup.
func New(lookup Lookup) *Reader { return &Reader{lookup: lookup} }

// Lookup returns the raw value of the first set name, or "".
func (r *Reader) Lookup(names ...string) (string, string, bool) {
	for _, n := range names {
		if v, ok := r.lookup(n); ok && strings.TrimSpace(v) != "" {
			return n, strings.TrimSpace(v), true
		}
	}
	return "", "", false
}

// String returns the first set of names, or def.
func (r *Reader) String(def string, names ...string) string {
	if _, v, ok := r.Lookup(names...); ok {
		return v
	}
	return def
}

// Bool parses the first set of names as a boolean.
func (r *Reader) Bool(def bool, names ...string) bool {
	n, v, ok := r.Lookup(names...)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.Fail(n, "%q is not a boolean", v)
		return def
	}
	return b
}

// Int parses the first set of names as an integer.
func (r *Reader) Int(def int, names ...string) int {
	n, v, ok := r.Lookup(names...)
	if !ok {
		return def
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		r.Fail(n, "%q is not an integer", v)
		return def
	}
	return i
}

// Duration parses a Go duration ("90s", "5m").
func (r *Reader) Duration(def time.Duration, names ...string) time.Duration {
	n, v, ok := r.Lookup(names...)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.Fail(n, "%q is not a duration such as 90s or 5m", v)
		return def
	}
	return d
}

// Bytes parses a size: a plain number of bytes or one with a unit (KB, MB,
// GB as powers of 1000; KiB, MiB, GiB as powers of 1024).
func (r *Reader) Bytes(def int64, names ...string) int64 {
	n, v, ok := r.Lookup(names...)
	if !ok {
		return def
	}
	b, err := ParseBytes(v)
	if err != nil {
		r.Fail(n, "%v", err)
		return def
	}
	return b
}

// List splits a comma-separated value, dropping empty entries.
func (r *Reader) List(def []string, names ...string) []string {
	_, v, ok := r.Lookup(names...)
	if !ok {
		return def
	}
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Fail records a problem with the variable name.
func (r *Reader) Fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// Check records a problem when cond is false.
func (r *Reader) Check(cond bool, name, format string, args ...any) {
	if !cond {
		r.Fail(name, format, args...)
	}
}

// Err returns every recorded problem joined, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// ParseBytes parses a size such as "1048576", "1MB" or "512KiB".
func ParseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size such as 1048576, 1MB or 512KiB", s)
	}
	return n * mult, nil
}
