package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/scope"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/vaultkv"
)

// entry is one set of registry credentials and where it may go.
type entry struct {
	Address, Username, Password, Email string
	Rule                               scope.Rule
}

// source lists entries.
type source interface {
	Entries(ctx context.Context) ([]entry, error)
}

// sources concatenates sources in order; the first error aborts, because a
// silently shorter list would fail image pulls far from the cause.
type sources []source

func (ss sources) Entries(ctx context.Context) ([]entry, error) {
	var out []entry
	for _, s := range ss {
		es, err := s.Entries(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// fileSource reads entries from YAML, parsed again whenever it changes:
//
//	registries:
//	  - address: registry.example.com
//	    username: fake-user
//	    password: not-a-real-password
//	    repos: [octo/*]
//	    branches: [main]
//	    events: [push, tag]
type fileSource struct {
	read func(context.Context) ([]byte, error)
	name string

	mu     sync.Mutex
	raw    []byte
	parsed []entry
}

type fileEntry struct {
	Address  string   `yaml:"address"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	Email    string   `yaml:"email"`
	Repos    []string `yaml:"repos"`
	Branches []string `yaml:"branches"`
	Events   []string `yaml:"events"`
	Forks    *bool    `yaml:"forks"`
}

func newFileSource(repo tree.Tree, name string) *fileSource {
	fs := &fileSource{name: name}
	if filepath.IsAbs(name) {
		fs.read = func(context.Context) ([]byte, error) { return os.ReadFile(name) }
	} else {
		fs.read = func(ctx context.Context) ([]byte, error) { return repo.ReadFile(ctx, name) }
	}
	return fs
}

func (f *fileSource) Entries(ctx context.Context) ([]entry, error) {
	raw, err := f.read(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: registry file %s: %v", vaultkv.ErrUnavailable, f.name, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.parsed != nil && bytes.Equal(raw, f.raw) {
		return f.parsed, nil
	}
	var doc struct {
		Registries []fileEntry `yaml:"registries"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: registry file %s: %s", vaultkv.ErrUnavailable, f.name, yamlWhere(err))
	}
	es := make([]entry, 0, len(doc.Registries))
	for i, e := range doc.Registries {
		if e.Address == "" {
			return nil, fmt.Errorf("%w: registry file %s: entry %d has no address", vaultkv.ErrUnavailable, f.name, i+1)
		}
		es = append(es, entry{
			Address: e.Address, Username: e.Username, Password: e.Password, Email: e.Email,
			Rule: scope.Rule{Origin: fmt.Sprintf("%s entry %d", f.name, i+1), Repos: e.Repos, Branches: e.Branches, Events: e.Events, Forks: e.Forks},
		})
	}
	f.raw, f.parsed = raw, es
	return es, nil
}

var yamlLine = regexp.MustCompile(`line \d+`)

// yamlWhere reduces a YAML error to the lines it names: yaml.v3 quotes the
// offending scalar, which here may be a password.
func yamlWhere(err error) string {
	lines := yamlLine.FindAllString(err.Error(), 5)
	if len(lines) == 0 {
		return "invalid YAML"
	}
	return "invalid YAML at " + strings.Join(lines, ", ")
}

// reader is the part of the Vault client a vaultSource needs.
type reader interface {
	Read(ctx context.Context, path string) (*vaultkv.Secret, error)
}

// vaultSource reads one entry per Vault path.
type vaultSource struct {
	vault  reader
	paths  []string
	logger *slog.Logger
}

func (v vaultSource) Entries(ctx context.Context) ([]entry, error) {
	out := make([]entry, 0, len(v.paths))
	for _, p := range v.paths {
		sec, err := v.vault.Read(ctx, p)
		if errors.Is(err, vaultkv.ErrNotFound) {
			// A configured path that is gone is the operator's to fix; the
			// other entries still serve.
			v.logger.Warn("registry: Vault path has no secret", slog.String("path", p))
			continue
		}
		if err != nil {
			return nil, err
		}
		str := func(k string) string { s, _ := sec.Data[k].(string); return s }
		if str("address") == "" {
			v.logger.Warn("registry: Vault secret has no address key", slog.String("path", sec.Path))
			continue
		}
		out = append(out, entry{
			Address: str("address"), Username: str("username"), Password: str("password"), Email: str("email"),
			Rule: scope.FromKeys("vault "+sec.Path, sec.Data),
		})
	}
	return out, nil
}
