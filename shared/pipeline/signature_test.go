package pipeline

import (
	"strings"
	"testing"
)

const testKey = "0123456789abcdef0123456789abcdef"

func TestSignature(t *testing.T) {
	t.Parallel()
	body := "kind: pipeline\nname: a\nsteps:\n- name: b\n  image: c\n"
	m, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := m.Sign([]byte(testKey))
	if err != nil {
		t.Fatal(err)
	}
	signed := "---\n" + body + "---\nkind: signature\nhmac: " + sig + "\n\n...\n"
	tests := []struct {
		name string
		in   string
		key  string
		want bool
	}{
		{"valid", signed, testKey, true},
		{"crlf and separators do not count", "---\r\n" + body + "---\r\nkind: signature\r\nhmac: " + sig + "\r\n", testKey, true},
		{"wrong key", signed, testKey + "x", false},
		{"short key", signed, testKey[:31], false},
		{"document changed", strings.Replace(signed, "name: a", "name: z", 1), testKey, false},
		{"missing signature", body, testKey, false},
		{"hmac not hex", body + "---\nkind: signature\nhmac: zz\n", testKey, false},
		{"extra document", body + "---\nkind: secret\nname: s\ndata: x\n---\nkind: signature\nhmac: " + sig + "\n", testKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Verify([]byte(tt.key)); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := m.Sign([]byte("short")); err != ErrKeyTooShort {
		t.Errorf("Sign with a short key: got %v, want ErrKeyTooShort", err)
	}
}

// TestSignatureVector pins the HMAC to an independently computed value:
// printf 'kind: pipeline\nname: a\n' | openssl dgst -sha256 -hmac <testKey>.
func TestSignatureVector(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte("kind: pipeline\nname: a\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := m.Sign([]byte(testKey))
	if want := opensslVector; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

const opensslVector = "3c4c9f973cb19cbfe1bbdd0e191a452959aef0c0dde5b17314339adcc3809d15"
