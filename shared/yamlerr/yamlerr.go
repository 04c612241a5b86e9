// Package yamlerr makes YAML errors safe to show for files that hold
// secrets: yaml.v3 quotes the offending scalar in its messages ("cannot
// unmarshal !!str `hunter2` into ..."), and in a secrets or credentials
// file that scalar is a password.
package yamlerr

import (
	"errors"
	"regexp"
	"strings"
)

// maxLines bounds how many positions one message names.
const maxLines = 5

var lineRef = regexp.MustCompile(`line \d+`)

// Redact reduces a YAML error to the line numbers it names, dropping every
// quoted value: "invalid YAML at line 3, line 7". The result does not wrap
// err, so nothing downstream can reach the original text. A nil err stays
// nil.
func Redact(err error) error {
	if err == nil {
		return nil
	}
	lines := lineRef.FindAllString(err.Error(), maxLines)
	if len(lines) == 0 {
		return errors.New("invalid YAML")
	}
	return errors.New("invalid YAML at " + strings.Join(lines, ", "))
}
