package pipeline

import (
	"errors"
	"testing"
)

// FuzzParse checks that no input panics Parse or the code that runs on
// its result, and that every error is an *Error.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"kind: pipeline\nname: a\nsteps:\n- name: b\n  image: c\n  when: {branch: {include: x}}\n",
		"---\nkind: secret\nget: {path: p}\n---\nkind: signature\nhmac: 00\n...\n",
		"kind: pipeline\na: &a [1, *a]\n",
		"kind: pipeline\nx: &x {a: 1}\ny:\n  <<: *x\nports: [80, {host: 1}]\nvolumes: [{name: v, host: {path: /}}]\n",
		"kind: cron\nspec: {branch: main}\n---\n",
		"kind: pipeline\ndepends_on: [a]\ntrigger: {status: [failure], event: {exclude: [push]}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %T %v, want *Error", err, err)
			}
			return
		}
		_ = Lint(m, false)
		_, _ = m.Plan(Values{Branch: "main", Event: "push"})
		_ = m.Verify([]byte("0123456789abcdef0123456789abcdef"))
	})
}
