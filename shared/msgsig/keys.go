package msgsig

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Keys gives the Woodpecker server's public key.
type Keys interface {
	// Key returns the key to verify with, or why there is none.
	Key(ctx context.Context) (ed25519.PublicKey, error)
	// Refresh fetches the key again after a verification failed, when the
	// source can and has not just done so; changed reports a new key.
	Refresh(ctx context.Context) (key ed25519.PublicKey, changed bool)
}

// Static is a key given once, as PEM in the settings.
type Static ed25519.PublicKey

// Key returns the key.
func (s Static) Key(context.Context) (ed25519.PublicKey, error) { return ed25519.PublicKey(s), nil }

// Refresh never changes a static key.
func (s Static) Refresh(context.Context) (ed25519.PublicKey, bool) {
	return ed25519.PublicKey(s), false
}

// ParsePublicKey reads an Ed25519 public key in the form Woodpecker's
// GET /api/signature/public-key answers: a PEM "PUBLIC KEY" block (PKIX).
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM PUBLIC KEY block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PEM PUBLIC KEY: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is %T, not Ed25519", k)
	}
	return pub, nil
}

// ParsePrivateKey reads an Ed25519 private key as Woodpecker keeps it (the
// hex of the 64-byte key, its server config "signature-private-key") or as
// a PEM "PRIVATE KEY" block (PKCS #8).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	s := strings.TrimSpace(string(data))
	if b, err := hex.DecodeString(s); err == nil {
		if len(b) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("hex private key has %d bytes, want %d", len(b), ed25519.PrivateKeySize)
		}
		return ed25519.PrivateKey(b), nil
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("neither hex nor a PEM PRIVATE KEY block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PEM PRIVATE KEY: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key is %T, not Ed25519", k)
	}
	return priv, nil
}

// MarshalPublicKey returns key as Woodpecker serves it: PEM PUBLIC KEY.
func MarshalPublicKey(key ed25519.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(key) // cannot fail for Ed25519
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// MinRefetch is the shortest time between two fetches of the key: a flood
// of badly signed requests must not become a flood of requests to
// Woodpecker.
const MinRefetch = 10 * time.Second

// Fetched is a key read from a Woodpecker server's key endpoint
// (https://ci.example.com/api/signature/public-key): at start (Run), when
// none is held yet, and after a verification fails, at most once per
// MinRefetch.
type Fetched struct {
	url    string
	client *http.Client
	logger *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	key     ed25519.PublicKey
	last    time.Time // of the last fetch, successful or not
	lastErr error
}

// NewFetched returns a key source reading url with client (nil: a client
// with a 10-second timeout).
func NewFetched(url string, client *http.Client, logger *slog.Logger) *Fetched {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Fetched{url: url, client: client, logger: logger, now: time.Now, lastErr: errors.New("not fetched yet")}
}

// Key returns the held key, fetching it first when there is none and the
// last attempt is not too recent.
func (f *Fetched) Key(ctx context.Context) (ed25519.PublicKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.key == nil && f.now().Sub(f.last) >= MinRefetch {
		f.fetchLocked(ctx)
	}
	if f.key == nil {
		return nil, f.lastErr
	}
	return f.key, nil
}

// Refresh fetches again unless the last fetch is under MinRefetch old.
func (f *Fetched) Refresh(ctx context.Context) (ed25519.PublicKey, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.key
	if f.now().Sub(f.last) < MinRefetch {
		return old, false
	}
	f.fetchLocked(ctx)
	return f.key, f.key != nil && !f.key.Equal(old)
}

// Ready reports whether a key is held.
func (f *Fetched) Ready(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.key == nil {
		return fmt.Errorf("Woodpecker public key from %s: %v", f.url, f.lastErr)
	}
	return nil
}

// Run fetches the key at start and retries every MinRefetch until it has
// one; later fetches happen on verification failures.
func (f *Fetched) Run(ctx context.Context) error {
	for {
		f.mu.Lock()
		if f.key == nil {
			f.fetchLocked(ctx)
		}
		done := f.key != nil
		f.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(MinRefetch):
		}
	}
}

// fetchLocked reads the key; a failure keeps the key held before.
func (f *Fetched) fetchLocked(ctx context.Context) {
	f.last = f.now()
	key, err := f.get(ctx)
	if err != nil {
		f.lastErr = err
		f.logger.Warn("Woodpecker public key not fetched", slog.String("url", f.url), slog.String("error", err.Error()))
		return
	}
	if !key.Equal(f.key) {
		f.logger.Info("Woodpecker public key fetched", slog.String("url", f.url))
	}
	f.key, f.lastErr = key, nil
}

func (f *Fetched) get(ctx context.Context) (ed25519.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return nil, err
	}
	res, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", f.url, res.Status)
	}
	return ParsePublicKey(body)
}
