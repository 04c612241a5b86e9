module kwokdev

go 1.24.0

// kwok v0.7.0 is built against its own Kubernetes libraries (v0.33): it
// does not compile against v0.34 (tools/k8sdev), so it has this module.
require sigs.k8s.io/kwok v0.7.0
