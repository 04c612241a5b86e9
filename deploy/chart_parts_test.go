package deploy

import (
	"testing"
)

func index(objs []object) map[string]object {
	m := map[string]object{}
	for _, o := range objs {
		m[o.kind()+"/"+o.name()] = o
	}
	return m
}

// TestChartOptionalParts renders the parts the installed values files leave
// out or only imply, and checks each: the Docker runner, the ServiceMonitor,
// `hangar all` in extensions mode, Vault's Kubernetes auth, the Ingress.
func TestChartOptionalParts(t *testing.T) {
	t.Parallel()
	t.Run("docker runner and ServiceMonitor", func(t *testing.T) {
		t.Parallel()
		objs := index(render(t, "server-ha.yaml", "--set", "runners.docker.enabled=true,serviceMonitor.enabled=true"))
		ds := objs["DaemonSet/hangar-runner-docker"]
		if ds == nil {
			t.Fatalf("no DaemonSet hangar-runner-docker in %v", keys(objs))
		}
		checkPodSpec(t, ds)
		if got := str(ds, "spec", "template", "spec", "volumes", 0, "hostPath", "path"); got != "/var/run/docker.sock" {
			t.Errorf("docker runner's first volume %q, want the node's docker.sock", got)
		}
		if got := envOf(at(ds, "spec", "template", "spec", "containers", 0))["DRONE_RPC_HOST"]; got != "hangar:3000" {
			t.Errorf("docker runner DRONE_RPC_HOST %q", got)
		}
		sm := objs["ServiceMonitor/hangar"]
		if got := str(sm, "spec", "endpoints", 0, "path"); got != "/metrics" {
			t.Errorf("ServiceMonitor path %q, want /metrics (have %v)", got, keys(objs))
		}
	})
	t.Run("extensions in one hangar all", func(t *testing.T) {
		t.Parallel()
		objs := index(render(t, "extensions.yaml", "--set", "layout=all"))
		d := objs["Deployment/hangar"]
		if d == nil {
			t.Fatalf("no Deployment hangar in %v", keys(objs))
		}
		pod := at(d, "spec", "template", "spec")
		if got := str(pod, "containers", 0, "args", 0); got != "all" {
			t.Errorf("runs %q, want all", got)
		}
		if got := str(pod, "containers", 1, "name"); got != "git-sync" {
			t.Errorf("second container %q, want the git-sync sidecar", got)
		}
		if got := envOf(at(pod, "containers", 0))["HANGAR_REPO_DIR"]; got != "/repo/current" {
			t.Errorf("HANGAR_REPO_DIR %q, want git-sync's link /repo/current", got)
		}
		if objs["Deployment/hangar-runner-kube"] != nil || objs["Deployment/hangar-config"] != nil {
			t.Errorf("unexpected Deployments: %v", keys(objs))
		}
	})
	t.Run("vault kubernetes auth", func(t *testing.T) {
		t.Parallel()
		objs := index(render(t, "server-vault.yaml"))
		pod := at(objs["Deployment/hangar"], "spec", "template", "spec")
		if got, _ := at(pod, "automountServiceAccountToken").(bool); !got {
			t.Error("the ServiceAccount token is not mounted: Vault's Kubernetes auth needs it")
		}
		env := envOf(at(pod, "containers", 0))
		for k, want := range map[string]string{
			"VAULT_ADDR": "https://vault.vault.svc:8200", "VAULT_AUTH_TYPE": "kubernetes",
			"VAULT_KUBERNETES_ROLE": "hangar", "VAULT_AUTH_MOUNT_POINT": "kubernetes",
		} {
			if env[k] != want {
				t.Errorf("%s: got %q, want %q", k, env[k], want)
			}
		}
		crb := objs["ClusterRoleBinding/hangar-hangar-vault-auth-delegator"]
		if got := str(crb, "roleRef", "name"); got != "system:auth-delegator" {
			t.Errorf("auth-delegator binding role %q (objects %v)", got, keys(objs))
		}
		other := index(render(t, "server-ha.yaml"))
		if got, _ := at(other["Deployment/hangar"], "spec", "template", "spec", "automountServiceAccountToken").(bool); got {
			t.Error("without Vault's Kubernetes auth the token must not be mounted")
		}
	})
	t.Run("ingress does not buffer", func(t *testing.T) {
		t.Parallel()
		ing := index(render(t, "server-ha.yaml"))["Ingress/hangar"]
		if got := str(ing, "metadata", "annotations", "nginx.ingress.kubernetes.io/proxy-buffering"); got != "off" {
			t.Errorf("proxy-buffering annotation %q, want off", got)
		}
		if got := str(ing, "spec", "tls", 0, "secretName"); got != "drone-example-com-tls" {
			t.Errorf("TLS secret %q", got)
		}
		if got := str(ing, "spec", "rules", 0, "http", "paths", 0, "backend", "service", "name"); got != "hangar" {
			t.Errorf("Ingress backend %q, want Service hangar", got)
		}
	})
}
