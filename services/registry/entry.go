package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/scope"
	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/vaultkv"
	"github.com/hangar-ci/hangar/shared/yamlerr"
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
	file *tree.Parsed[[]entry]
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

// newFileSource reads name from repo, or from the host when it is an
// absolute path. It is Strict: a broken file is an error, never the
// credentials of an older version.
func newFileSource(repo tree.Tree, name string, logger *slog.Logger) *fileSource {
	if filepath.IsAbs(name) {
		repo = tree.Host{}
	}
	parse := func(raw []byte) ([]entry, error) { return parseEntries(name, raw) }
	return &fileSource{file: tree.NewParsed(repo, name, parse, tree.ParsedOptions[[]entry]{
		Name:      "registry file",
		Logger:    logger,
		IfMissing: func() ([]entry, error) { return nil, nil },
		Strict:    true,
		Describe:  func(es []entry) []slog.Attr { return []slog.Attr{slog.Int("entries", len(es))} },
	})}
}

func (f *fileSource) Entries(ctx context.Context) ([]entry, error) {
	es, err := f.file.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: registry file %v", vaultkv.ErrUnavailable, err)
	}
	return es, nil
}

// parseEntries decodes the file named name; its YAML errors name lines
// only, since yaml.v3 quotes the offending scalar (maybe a password).
func parseEntries(name string, raw []byte) ([]entry, error) {
	var doc struct {
		Registries []fileEntry `yaml:"registries"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlerr.Redact(err)
	}
	es := make([]entry, 0, len(doc.Registries))
	for i, e := range doc.Registries {
		if e.Address == "" {
			return nil, fmt.Errorf("entry %d has no address", i+1)
		}
		es = append(es, entry{
			Address: e.Address, Username: e.Username, Password: e.Password, Email: e.Email,
			Rule: scope.Rule{Origin: fmt.Sprintf("%s entry %d", name, i+1), Repos: e.Repos, Branches: e.Branches, Events: e.Events, Forks: e.Forks},
		})
	}
	return es, nil
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
