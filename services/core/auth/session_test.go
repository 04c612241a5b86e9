package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	s := NewSessions("cookie-secret-0123456789", time.Hour, true)
	s.now = func() time.Time { return now }
	c, err := s.Cookie(42)
	if err != nil {
		t.Fatal(err)
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie flags: %+v", c)
	}
	with := func(value string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: CookieName, Value: value})
		return r
	}
	other := NewSessions("another-secret-0123456789", time.Hour, true)
	other.now = s.now
	later := NewSessions("cookie-secret-0123456789", time.Hour, true)
	later.now = func() time.Time { return now.Add(time.Hour) }
	tests := []struct {
		name   string
		s      *Sessions
		value  string
		wantID int64
		wantOK bool
	}{
		{"valid", s, c.Value, 42, true},
		{"another replica with the same secret", NewSessions("cookie-secret-0123456789", time.Hour, true), c.Value, 42, true},
		{"other secret", other, c.Value, 0, false},
		{"expired", later, c.Value, 0, false},
		{"user id changed", s, strings.Replace(c.Value, "42:", "1:", 1), 0, false},
		{"no signature", s, strings.Split(c.Value, ".")[0], 0, false},
		{"garbage", s, "x.y", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, ok := tt.s.UserID(with(tt.value))
			if id != tt.wantID || ok != tt.wantOK {
				t.Errorf("got %d %v, want %d %v", id, ok, tt.wantID, tt.wantOK)
			}
		})
	}
	if _, err := NewSessions("", time.Hour, false).Cookie(1); err == nil {
		t.Error("a cookie was signed without a secret")
	}
}
