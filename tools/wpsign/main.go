// Command wpsign sends one request signed as Woodpecker v3.0–v3.13 signs its
// extension calls: github.com/yaronf/httpsign v0.3.2, Ed25519,
// NewSignConfig() defaults, label woodpecker-ci-extensions, covering
// @request-target and content-digest (Content-Digest added by httpsign's
// client). Hangar's tests run it to show that version's requests verify;
// the main module signs with v0.5.2 (Woodpecker v3.14+) itself, since one
// module cannot hold two versions of httpsign.
//
//	wpsign -key FILE URL < body.json
//
// FILE holds the hex of the 64-byte private key, as Woodpecker stores it.
// It prints the status code on the first line, then the answer's body.
package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/yaronf/httpsign"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wpsign:", err)
		os.Exit(1)
	}
}

func run() error {
	keyFile := flag.String("key", "", "file with the hex Ed25519 private key")
	flag.Parse()
	if flag.NArg() != 1 || *keyFile == "" {
		return fmt.Errorf("usage: wpsign -key FILE URL < body")
	}
	raw, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("key file: not a hex Ed25519 private key")
	}
	signer, err := httpsign.NewEd25519Signer(ed25519.PrivateKey(key), httpsign.NewSignConfig(),
		httpsign.Headers("@request-target", "content-digest"))
	if err != nil {
		return err
	}
	client := httpsign.NewDefaultClient(httpsign.NewClientConfig().SetSignatureName("woodpecker-ci-extensions").SetSigner(signer))
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, flag.Arg(0), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	fmt.Printf("%d\n%s", res.StatusCode, out)
	return nil
}
