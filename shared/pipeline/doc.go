// Package pipeline is Hangar's model of Drone's pipeline YAML (drone-yaml
// v1.2.3): parsing of multi-document manifests into typed resources,
// trigger and when conditions with Drone's matching rules, the DAG of
// pipelines, Drone's linter rules and the signature of protected
// repositories. The validate service and the core server both use it, so
// it holds no policy of its own: it answers what Drone would answer.
//
// The usual flow, as Drone's trigger runs it (drone-protocol.md §4.2):
//
//	m, err := pipeline.Parse(data)     // error build on failure
//	err = pipeline.LintManifest(m)     // error build on failure
//	ok := m.Verify([]byte(secret))     // protected repositories only
//	plan, err := m.Plan(values)        // matching pipelines + dependencies
//
// Where Drone is unsafe Parse is stricter: it bounds the size of a
// manifest, the expansion of aliases and the depth of nesting, and refuses
// invalid UTF-8, each with an error that wraps ErrLimit.
package pipeline
