package scmhook

import (
	"errors"
	"net/http"
	"testing"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"ref":"refs/heads/main"}`)
	gh := func(sig string) http.Header {
		h := http.Header{}
		h.Set("X-GitHub-Event", "push")
		if sig != "" {
			h.Set("X-Hub-Signature-256", sig)
		}
		return h
	}
	gl := func(tok string) http.Header {
		h := http.Header{}
		h.Set("X-Gitlab-Event", "Push Hook")
		if tok != "" {
			h.Set("X-Gitlab-Token", tok)
		}
		return h
	}
	tests := []struct {
		name   string
		h      http.Header
		secret string
		want   error
	}{
		{"github valid", gh(SignGitHub(body, "s3cret")), "s3cret", nil},
		{"github wrong secret", gh(SignGitHub(body, "other")), "s3cret", ErrBadSignature},
		{"github unsigned", gh(""), "s3cret", ErrUnsigned},
		{"github sha1 only", gh("sha1=abcdef"), "s3cret", ErrUnsigned},
		{"github not hex", gh("sha256=zz"), "s3cret", ErrBadSignature},
		{"github empty secret never passes", gh(SignGitHub(body, "")), "", ErrBadSignature},
		{"gitlab valid", gl("tok"), "tok", nil},
		{"gitlab wrong", gl("nope"), "tok", ErrBadSignature},
		{"gitlab missing", gl(""), "tok", ErrUnsigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Detect(tt.h)
			if err != nil {
				t.Fatal(err)
			}
			if got := Verify(p, tt.h, body, tt.secret); !errors.Is(got, tt.want) {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := Detect(http.Header{}); !errors.Is(err, ErrUnknownProvider) {
		t.Errorf("Detect(no event header) = %v, want ErrUnknownProvider", err)
	}
}
