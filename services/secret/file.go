package secret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/hangar-ci/hangar/shared/tree"
	"github.com/hangar-ci/hangar/shared/vaultkv"
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
	read func(context.Context) ([]byte, error)
	name string

	mu     sync.Mutex
	raw    []byte
	parsed map[string]map[string]any
}

func newFileStore(repo tree.Tree, name string) *fileStore {
	fs := &fileStore{name: name}
	if filepath.IsAbs(name) {
		fs.read = func(context.Context) ([]byte, error) { return os.ReadFile(name) }
	} else {
		fs.read = func(ctx context.Context) ([]byte, error) { return repo.ReadFile(ctx, name) }
	}
	return fs
}

// Read returns the secret at path; paths are literal (no KV v2 forms).
func (f *fileStore) Read(ctx context.Context, path string) (*vaultkv.Secret, error) {
	p := strings.Trim(path, "/")
	if p == "" || strings.Contains(p, "..") {
		return nil, fmt.Errorf("%w: %q", vaultkv.ErrInvalidPath, path)
	}
	all, err := f.load(ctx)
	if err != nil {
		return nil, err
	}
	data, ok := all[p]
	if !ok {
		return nil, fmt.Errorf("%w: %s not in %s", vaultkv.ErrNotFound, p, f.name)
	}
	return &vaultkv.Secret{Path: p, Data: data}, nil
}

func (f *fileStore) load(ctx context.Context) (map[string]map[string]any, error) {
	raw, err := f.read(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // no file: every secret is missing
	}
	if err != nil {
		return nil, fmt.Errorf("%w: secret file %s: %v", vaultkv.ErrUnavailable, f.name, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.parsed != nil && bytes.Equal(raw, f.raw) {
		return f.parsed, nil
	}
	var m map[string]map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: secret file %s: %s", vaultkv.ErrUnavailable, f.name, yamlWhere(err))
	}
	if m == nil {
		m = map[string]map[string]any{}
	}
	f.raw, f.parsed = raw, m
	return m, nil
}

var yamlLine = regexp.MustCompile(`line \d+`)

// yamlWhere reduces a YAML error to the lines it names: yaml.v3 quotes the
// offending scalar in type errors, and in this file that is a secret.
func yamlWhere(err error) string {
	lines := yamlLine.FindAllString(err.Error(), 5)
	if len(lines) == 0 {
		return "invalid YAML"
	}
	return "invalid YAML at " + strings.Join(lines, ", ") + " (a path must map to key: value pairs)"
}
