package wire

import "strings"

// ScriptKind returns what a pipeline file holds, judged by its name as
// Drone does: "starlark" (.star, .starlark, .script), "jsonnet" or "yaml".
func ScriptKind(name string) string {
	switch {
	case strings.HasSuffix(name, ".star"), strings.HasSuffix(name, ".starlark"), strings.HasSuffix(name, ".script"):
		return "starlark"
	case strings.HasSuffix(name, ".jsonnet"):
		return "jsonnet"
	}
	return "yaml"
}

// markerPrefix starts the first line Hangar's config service puts before a
// Starlark or Jsonnet file it serves from the config repository.
//
// Drone picks a converter by the repository's config_path (".drone.yml"
// for most repositories) and drops the config response's kind, so without a
// mark a script served centrally would reach the converter looking like
// YAML. The line is a comment in Starlark, Jsonnet and YAML alike; the
// converter removes it, so line numbers in errors match the file.
const markerPrefix = "# hangar: "

// MarkScript returns data prefixed with the marker line when kind is a
// script kind, and unchanged for YAML.
func MarkScript(kind, name string, data []byte) string {
	if kind != "starlark" && kind != "jsonnet" {
		return string(data)
	}
	return markerPrefix + "kind=" + kind + " path=" + name + "\n" + string(data)
}

// ParseScriptMark reports the kind and file name of a marked script and
// returns the script without its marker line. ok is false for unmarked data.
func ParseScriptMark(data string) (kind, name, script string, ok bool) {
	rest, found := strings.CutPrefix(data, markerPrefix)
	if !found {
		return "", "", data, false
	}
	line, script, _ := strings.Cut(rest, "\n")
	for f := range strings.FieldsSeq(line) {
		switch k, v, _ := strings.Cut(f, "="); k {
		case "kind":
			kind = v
		case "path":
			name = v
		}
	}
	if kind != "starlark" && kind != "jsonnet" {
		return "", "", data, false
	}
	return kind, name, script, true
}
