package woodpecker

import (
	"fmt"
	"strings"
)

// workflows turns one pipeline text into Woodpecker workflow files, each
// marked: a YAML document per file, since Woodpecker reads one workflow
// per file where Drone reads one pipeline per document (a Starlark script
// returning a list renders to several documents). One document keeps the
// stem's name (stem.yaml); several are stem-1.yaml, stem-2.yaml, … in
// order, the names their depends_on can refer to (stem-1, …).
func (m marker) workflows(stem, data string) []file {
	docs := splitDocuments(data)
	if len(docs) <= 1 {
		name := stem + ".yaml"
		return []file{{Name: name, Data: m.mark(name, data)}}
	}
	out := make([]file, len(docs))
	for i, d := range docs {
		name := fmt.Sprintf("%s-%d.yaml", stem, i+1)
		out[i] = file{Name: name, Data: m.mark(name, d)}
	}
	return out
}

// splitDocuments splits YAML text at its document markers: a line "---"
// (alone, or followed by a space or comment) at the start of a line, which
// can never be content — block scalars are indented and flow scalars cannot
// hold it at column 0. Empty documents are dropped.
func splitDocuments(data string) []string {
	var docs []string
	var cur strings.Builder
	flush := func() {
		if strings.TrimSpace(stripComments(cur.String())) != "" {
			docs = append(docs, cur.String())
		}
		cur.Reset()
	}
	for line := range strings.SplitAfterSeq(data, "\n") {
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "---" || strings.HasPrefix(trimmed, "--- ") || strings.HasPrefix(trimmed, "---\t") {
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return docs
}

// stripComments drops whole-line comments, to tell an empty document.
func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(t)
		}
	}
	return b.String()
}
