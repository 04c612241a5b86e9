package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CookieName is the browser session cookie's name.
const CookieName = "_session_"

// Sessions signs and checks session cookies with the cookie secret
// (DRONE_COOKIE_SECRET). A cookie carries the user id and its expiry,
// signed with HMAC-SHA256, so every replica with the same secret accepts
// it without a shared session table.
type Sessions struct {
	secret  []byte
	timeout time.Duration
	secure  bool
	now     func() time.Time
}

// NewSessions returns the session signer; an empty secret disables
// sessions (API tokens still work).
func NewSessions(secret string, timeout time.Duration, secure bool) *Sessions {
	return &Sessions{secret: []byte(secret), timeout: timeout, secure: secure, now: time.Now}
}

func (s *Sessions) sign(payload string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Cookie returns the session cookie for user id.
func (s *Sessions) Cookie(userID int64) (*http.Cookie, error) {
	if len(s.secret) == 0 {
		return nil, fmt.Errorf("sessions are disabled: set DRONE_COOKIE_SECRET")
	}
	exp := s.now().Add(s.timeout)
	payload := strconv.FormatInt(userID, 10) + ":" + strconv.FormatInt(exp.Unix(), 10)
	return &http.Cookie{
		Name: CookieName, Value: payload + "." + s.sign(payload), Path: "/", Expires: exp,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	}, nil
}

// UserID returns the user id of a valid, unexpired session cookie.
func (s *Sessions) UserID(r *http.Request) (int64, bool) {
	if len(s.secret) == 0 {
		return 0, false
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return 0, false
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return 0, false
	}
	id, exp, ok := strings.Cut(payload, ":")
	uid, err1 := strconv.ParseInt(id, 10, 64)
	until, err2 := strconv.ParseInt(exp, 10, 64)
	if !ok || err1 != nil || err2 != nil || s.now().Unix() >= until {
		return 0, false
	}
	return uid, true
}
