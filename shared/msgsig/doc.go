// Package msgsig verifies and signs requests with HTTP Message Signatures
// (RFC 9421) as Woodpecker CI's server sends them to its config, secret and
// registry extensions: Ed25519 (github.com/yaronf/httpsign, signature label
// "woodpecker-ci-extensions") over "@request-target" and "content-digest",
// with a "created" timestamp and alg="ed25519".
//
// Verification is stricter than Woodpecker's own example extension, in the
// spirit of shared/httpsig for Drone: POST only; the body is bounded and
// must match Content-Digest (RFC 9530); "created" must be inside a window
// (10 s past, 2 s future by default, as httpsign's verifier); the signature
// must cover "@request-target" and "content-digest"; a signature under any
// other label, an unknown signature parameter or a component parameter is
// refused. A byte-identical resend inside the window is accepted on purpose:
// Woodpecker retries failed calls, each freshly signed, and the created
// window is the replay bound.
package msgsig
