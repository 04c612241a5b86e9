// Package httpsig signs and verifies requests with Drone's HTTP signature
// scheme: draft-cavage HMAC-SHA256 over a list of headers, with the body
// bound through a SHA-256 Digest header.
//
// Signing produces exactly the bytes drone-go v1.7.1 produces, so any Drone
// extension accepts Hangar's requests. Verification is stricter than
// drone-go's handlers: the digest must match the body, the Date must be
// fresh, only hmac-sha256 is accepted, the signed list must cover date and
// digest, only POST is allowed and the body is bounded.
package httpsig
