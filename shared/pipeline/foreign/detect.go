package foreign

import (
	"path"
	"regexp"
)

// Format names a pipeline file format.
type Format string

// The formats Convert understands; the empty Format is Drone 1.x YAML (or
// anything else), left alone.
const (
	Drone08  Format = "drone-0.8"
	GitLabCI Format = "gitlab-ci"
)

// Title is the format's name for messages.
func (f Format) Title() string {
	switch f {
	case Drone08:
		return "Drone 0.8"
	case GitLabCI:
		return "GitLab CI"
	}
	return "Drone"
}

// legacyLine is Drone's test for a 0.8 file: any line that is exactly
// "pipeline:", trailing blanks allowed.
var legacyLine = regexp.MustCompile(`(?m)^pipeline:(\s+)?$`)

// Detect says what format a pipeline file is in, as Drone's trigger
// decides it: by the file's base name for GitLab CI, by its content for
// Drone 0.8. name is the repository's config path (or a file's name).
func Detect(name string, data []byte) Format {
	if path.Base(name) == ".gitlab-ci.yml" {
		return GitLabCI
	}
	if legacyLine.Match(data) {
		return Drone08
	}
	return ""
}

// Limits bound a conversion. Drone has none but a silent cut of a matrix
// at 27 entries; these refuse instead, with an error wrapping
// pipeline.ErrLimit.
type Limits struct {
	// MaxBytes bounds the input file and the converted YAML.
	MaxBytes int
	// MaxMatrix bounds the pipelines a Drone 0.8 matrix expands to.
	MaxMatrix int
	// MaxPipelines bounds the pipelines of one conversion (GitLab CI
	// makes one per job).
	MaxPipelines int
}

// DefaultLimits are the limits Convert applies.
var DefaultLimits = Limits{MaxBytes: 1 << 20, MaxMatrix: 64, MaxPipelines: 200}

// Result is a converted file.
type Result struct {
	// Format is the format the file was in.
	Format Format
	// YAML is the Drone 1.x file.
	YAML []byte
	// Warnings are what was converted as Drone 0.8 read it but probably
	// not as its author meant.
	Warnings []Warning
}

// Options are what a conversion may know beyond the file itself.
type Options struct {
	// Limits bound the conversion; a zero field means the default.
	Limits Limits
	// DefaultBranch is the repository's default branch, the value of
	// GitLab's $CI_DEFAULT_BRANCH; empty refuses the rules that name it.
	DefaultBranch string
}

// Convert converts a Drone 0.8 or GitLab CI file named name (the
// repository's config path) to Drone 1.x YAML. It returns nil, nil for a
// file in neither format. Every error is an *Error.
func Convert(name string, data []byte, o Options) (*Result, error) {
	f := Detect(name, data)
	if f == "" {
		return nil, nil
	}
	l := o.Limits.withDefaults()
	if len(data) > l.MaxBytes {
		return nil, limitError(f, 0, "file of %d bytes exceeds the limit of %d bytes", len(data), l.MaxBytes)
	}
	var (
		r   *Result
		err error
	)
	switch f {
	case Drone08:
		r, err = convertDrone08(data, l)
	case GitLabCI:
		r, err = convertGitLab(data, l, o.DefaultBranch)
	}
	if err != nil {
		return nil, err
	}
	if len(r.YAML) > l.MaxBytes {
		return nil, limitError(f, 0, "converted file of %d bytes exceeds the limit of %d bytes", len(r.YAML), l.MaxBytes)
	}
	return r, nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxMatrix <= 0 {
		l.MaxMatrix = DefaultLimits.MaxMatrix
	}
	if l.MaxPipelines <= 0 {
		l.MaxPipelines = DefaultLimits.MaxPipelines
	}
	return l
}
