package secret

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/vaultkv"
	"github.com/hangar-ci/hangar/shared/yamlerr"
)

// fileStore is the development backend: one YAML mapping from a path to
// that secret's keys, in Vault's shape (restriction keys included), read
// from the config repository or from disk and parsed again whenever its
// bytes change, so edits apply without a restart.
//
//	secret/data/docker:
//	  username: fake-user
//	  password: not-a-real-password
//	  X-Drone-Repos: octo/*
type fileStore struct {
	name string
	file *tree.Parsed[map[string]map[string]any]
}

// newFileStore reads name from repo, or from the host when it is an
// absolute path. The store is Strict: a broken file is an error, never
// the secrets of an older version.
func newFileStore(repo tree.Tree, name string, logger *slog.Logger) *fileStore {
	if filepath.IsAbs(name) {
		repo = tree.Host{}
	}
	return &fileStore{name: name, file: tree.NewParsed(repo, name, parseSecrets, tree.ParsedOptions[map[string]map[string]any]{
		Name:   "secret file",
		Logger: logger,
		// No file: every secret is missing.
		IfMissing: func() (map[string]map[string]any, error) { return map[string]map[string]any{}, nil },
		Strict:    true,
		Describe: func(m map[string]map[string]any) []slog.Attr {
			return []slog.Attr{slog.Int("secrets", len(m))}
		},
	})}
}

// Read returns the secret at path; paths are literal (no KV v2 forms).
func (f *fileStore) Read(ctx context.Context, path string) (*vaultkv.Secret, error) {
	p := strings.Trim(path, "/")
	if p == "" || strings.Contains(p, "..") {
		return nil, fmt.Errorf("%w: %q", vaultkv.ErrInvalidPath, path)
	}
	all, err := f.file.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: secret file %v", vaultkv.ErrUnavailable, err)
	}
	data, ok := all[p]
	if !ok {
		return nil, fmt.Errorf("%w: %s not in %s", vaultkv.ErrNotFound, p, f.name)
	}
	return &vaultkv.Secret{Path: p, Data: data}, nil
}

// parseSecrets decodes the file; its errors name lines only, since yaml.v3
// quotes the offending scalar and here that is a secret.
func parseSecrets(raw []byte) (map[string]map[string]any, error) {
	var m map[string]map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w (a path must map to key: value pairs)", yamlerr.Redact(err))
	}
	if m == nil {
		m = map[string]map[string]any{}
	}
	return m, nil
}
