// Package deploy holds no code: its tests prove the deployment files beside
// them. The Helm chart (helm/hangar) is linted, rendered and installed on a
// real Kubernetes control plane (etcd, kube-apiserver, controller-manager,
// scheduler and kwok's fake nodes, built by scripts/tools); the compose files
// load with compose-go; the systemd unit passes systemd-analyze; the nginx
// site passes `nginx -t` and streams without buffering.
package deploy
