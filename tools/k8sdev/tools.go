//go:build tools

// Package k8sdev pins the Kubernetes control plane, etcd and Helm that
// the deploy tests run (built into bin/ by scripts/tools). Never `go mod tidy`
// here; the versions are exact tags the module proxy serves.
package k8sdev

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "helm.sh/helm/v3/cmd/helm"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
