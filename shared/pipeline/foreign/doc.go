// Package foreign converts pipeline files written for other CI formats
// into Drone 1.x YAML that shared/pipeline parses and lints: Drone 0.8
// files (top-level `pipeline:` of named steps) and GitLab CI files
// (.gitlab-ci.yml). It is the trigger's step 8 (drone-protocol.md §4.2),
// used by the core, the convert service and `hangar convert`/`hangar lint`.
//
// Detection is Drone's: a file named .gitlab-ci.yml is GitLab CI, else a
// file with a line that is exactly `pipeline:` is Drone 0.8. Conversion is
// a pure function of the file. What the target cannot express is refused
// with one *Error that names every such key and its line; what Drone 0.8
// itself ignored is converted the same way and reported as a Warning.
package foreign
