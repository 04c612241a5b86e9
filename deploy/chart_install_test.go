package deploy

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// release is what one documented values file installs, and what the test
// then expects of it.
type release struct {
	values     string
	namespace  string
	components []string // Deployments of Hangar itself (selector component)
	replicas   int
	runner     bool     // drone-runner-kube and its RBAC
	builds     string   // the build namespace (runner)
	vaultAuth  bool     // Hangar's ServiceAccount may create TokenReviews
	notes      string   // in what helm install prints
	upgrade    bool     // also roll out a changed pod template
	set        []string // helm --set on top of the values file
	docker     bool     // the drone-runner-docker DaemonSet
}

var releases = []release{
	{values: "extensions.yaml", namespace: "hangar-ext", replicas: 2,
		components: []string{"config", "convert", "validate", "secret", "registry", "webhook"},
		notes:      "DRONE_YAML_ENDPOINT=http://hangar-config:3000/config"},
	{values: "server-ha.yaml", namespace: "hangar-ha", replicas: 3, components: []string{"core"},
		runner: true, builds: "hangar-builds", upgrade: true,
		notes: "drone-runner-kube runs builds in namespace hangar-builds"},
	{values: "server-vault.yaml", namespace: "hangar-vault", replicas: 2, components: []string{"core"},
		runner: true, builds: "hangar-vault-builds", vaultAuth: true,
		notes: "2 replicas of hangar:3000"},
	// server-ha.yaml with the optional Docker runner, on every node.
	{values: "server-ha.yaml", namespace: "hangar-docker", replicas: 3, components: []string{"core"},
		runner: true, builds: "hangar-docker-builds", docker: true,
		set:   []string{"runners.docker.enabled=true", "runners.kube.buildNamespace=hangar-docker-builds"},
		notes: "drone-runner-kube runs builds in namespace hangar-docker-builds"},
}

// TestChartInstallsOnControlPlane installs the chart with each documented
// values file on the real control plane, waits for every Deployment to
// roll out on kwok's nodes, and checks the PodDisruptionBudget, the
// Service's endpoints and the runner's rights (SubjectAccessReview).
func TestChartInstallsOnControlPlane(t *testing.T) {
	cp := cluster(t)
	for _, r := range releases {
		t.Run(r.namespace+"/"+r.values, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			notes := r.install(t, cp)
			t.Logf("helm install --wait of %s in %s took %s", r.values, r.namespace, time.Since(start).Round(100*time.Millisecond))
			if !strings.Contains(notes, r.notes) {
				t.Errorf("helm install printed no %q in its notes:\n%s", r.notes, notes)
			}
			r.checkRollout(t, cp.api)
			r.checkDisruptionBudgets(t, cp.api)
			r.checkEndpoints(t, cp.api)
			r.checkRights(t, cp.api)
			r.checkNetworkPolicies(t, cp.api)
			if r.upgrade {
				r.checkRollingUpgrade(t, cp)
			}
			if r.vaultAuth {
				r.checkVaultKubernetesAuth(t, cp)
			}
			if r.docker {
				r.checkDockerRunners(t, cp.api)
			}
		})
	}
}

// install creates the namespace and the Secrets the values refer to, runs
// helm install --wait, and returns what helm printed (the chart's notes).
func (r release) install(t *testing.T, cp *controlPlane) string {
	t.Helper()
	api := cp.api
	if err := api.do(http.MethodPost, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": r.namespace},
	}, nil); err != nil {
		t.Fatal(err)
	}
	// The Secrets the values refer to, made as an operator would.
	for name, data := range map[string]map[string]string{
		"hangar":    {"DRONE_SECRET": randomHex(32), "DRONE_RPC_SECRET": randomHex(32), "DRONE_DATABASE_SECRET": randomHex(16), "DRONE_COOKIE_SECRET": randomHex(16)},
		"hangar-db": {"dsn": "postgres://hangar:" + randomHex(8) + "@postgres.db.svc:5432/hangar"},
	} {
		if err := api.do(http.MethodPost, "/api/v1/namespaces/"+r.namespace+"/secrets", map[string]any{
			"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name}, "stringData": data,
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"install", "hangar", chartDir, "--namespace", r.namespace,
		"-f", filepath.Join(chartDir, "examples", r.values),
		"--kubeconfig", cp.kubeconfig, "--wait", "--timeout", "4m"}
	for _, kv := range r.set {
		args = append(args, "--set", kv)
	}
	out, err := helm(t, args...)
	if err != nil {
		t.Fatalf("helm install -f %s: %v\n%s\n%s", r.values, err, out, cp.logs())
	}
	return out
}

// checkRollingUpgrade changes the pod template (helm upgrade --wait) and
// checks that the new ReplicaSet took over with every replica ready while
// the PDB and maxUnavailable 0 kept the old pods until then.
func (r release) checkRollingUpgrade(t *testing.T, cp *controlPlane) {
	t.Helper()
	out, err := helm(t, "upgrade", "hangar", chartDir, "--namespace", r.namespace,
		"-f", filepath.Join(chartDir, "examples", r.values), "--set", "podAnnotations.rollout=second",
		"--kubeconfig", cp.kubeconfig, "--wait", "--timeout", "4m")
	if err != nil {
		t.Fatalf("helm upgrade: %v\n%s", err, out)
	}
	var sets struct {
		Items []struct {
			Spec struct {
				Replicas int `json:"replicas"`
				Template struct {
					Metadata struct {
						Annotations map[string]string `json:"annotations"`
					} `json:"metadata"`
				} `json:"template"`
			} `json:"spec"`
			Status struct {
				ReadyReplicas int `json:"readyReplicas"`
			} `json:"status"`
		} `json:"items"`
	}
	err = eventually(60*time.Second, func() error {
		if err := cp.api.list("/apis/apps/v1/namespaces/"+r.namespace+"/replicasets", "app.kubernetes.io/instance=hangar,app.kubernetes.io/component=core", &sets); err != nil {
			return err
		}
		var summary []string
		ok := len(sets.Items) == 2
		for _, rs := range sets.Items {
			second := rs.Spec.Template.Metadata.Annotations["rollout"] == "second"
			summary = append(summary, fmt.Sprintf("second=%v replicas=%d ready=%d", second, rs.Spec.Replicas, rs.Status.ReadyReplicas))
			if second {
				ok = ok && rs.Spec.Replicas == r.replicas && rs.Status.ReadyReplicas == r.replicas
			} else {
				ok = ok && rs.Spec.Replicas == 0
			}
		}
		if !ok {
			return fmt.Errorf("core ReplicaSets after the upgrade: %v, want the new one with %d ready and the old one at 0", summary, r.replicas)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	r.checkRollout(t, cp.api)
	r.checkEndpoints(t, cp.api)
}

func (r release) deploymentName(component string) string {
	if component == "core" {
		return "hangar"
	}
	return "hangar-" + component
}

type deployment struct {
	Metadata struct {
		Name       string `json:"name"`
		Generation int64  `json:"generation"`
	} `json:"metadata"`
	Spec struct {
		Replicas int `json:"replicas"`
	} `json:"spec"`
	Status struct {
		ObservedGeneration int64 `json:"observedGeneration"`
		Replicas           int   `json:"replicas"`
		UpdatedReplicas    int   `json:"updatedReplicas"`
		ReadyReplicas      int   `json:"readyReplicas"`
		AvailableReplicas  int   `json:"availableReplicas"`
	} `json:"status"`
}

type pod struct {
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		NodeName string `json:"nodeName"`
	} `json:"spec"`
	Status struct {
		Phase      string      `json:"phase"`
		PodIP      string      `json:"podIP"`
		Conditions []condition `json:"conditions"`
	} `json:"status"`
}

// checkRollout: every Deployment of the release is rolled out (all replicas
// updated, ready and available) and each of its pods is Ready on a node.
func (r release) checkRollout(t *testing.T, api *kubeAPI) {
	t.Helper()
	var deps struct{ Items []deployment }
	if err := api.list("/apis/apps/v1/namespaces/"+r.namespace+"/deployments", "app.kubernetes.io/instance=hangar", &deps); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, c := range r.components {
		want[r.deploymentName(c)] = r.replicas
	}
	if r.runner {
		want["hangar-runner-kube"] = 1
	}
	got := map[string]int{}
	for _, d := range deps.Items {
		s := d.Status
		got[d.Metadata.Name] = s.ReadyReplicas
		if s.ObservedGeneration < d.Metadata.Generation || s.UpdatedReplicas != d.Spec.Replicas ||
			s.ReadyReplicas != d.Spec.Replicas || s.AvailableReplicas != d.Spec.Replicas || s.Replicas != d.Spec.Replicas {
			t.Errorf("Deployment %s not rolled out: %+v of %d", d.Metadata.Name, s, d.Spec.Replicas)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ready replicas per Deployment: got %v, want %v", got, want)
	}
	var pods struct{ Items []pod }
	if err := api.list("/api/v1/namespaces/"+r.namespace+"/pods", "app.kubernetes.io/instance=hangar", &pods); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range want {
		total += n
	}
	if r.docker {
		total += 3 // one runner per kwok node
	}
	if len(pods.Items) != total {
		t.Errorf("pods: got %d, want %d", len(pods.Items), total)
	}
	for _, p := range pods.Items {
		if !ready(p.Status.Conditions) || p.Status.Phase != "Running" || !strings.HasPrefix(p.Spec.NodeName, "kwok-node-") {
			t.Errorf("pod %s: phase %s, ready %v, node %q", p.Metadata.Name, p.Status.Phase, ready(p.Status.Conditions), p.Spec.NodeName)
		}
	}
}

// checkDisruptionBudgets: each Hangar Deployment has a PDB that the
// disruption controller counts all its pods for, allowing one away.
func (r release) checkDisruptionBudgets(t *testing.T, api *kubeAPI) {
	t.Helper()
	for _, c := range r.components {
		name := r.deploymentName(c)
		var pdb struct {
			Status struct {
				ExpectedPods       int `json:"expectedPods"`
				CurrentHealthy     int `json:"currentHealthy"`
				DisruptionsAllowed int `json:"disruptionsAllowed"`
			} `json:"status"`
		}
		err := eventually(30*time.Second, func() error {
			if err := api.get("/apis/policy/v1/namespaces/"+r.namespace+"/poddisruptionbudgets/"+name, &pdb); err != nil {
				return err
			}
			if s := pdb.Status; s.ExpectedPods != r.replicas || s.CurrentHealthy != r.replicas || s.DisruptionsAllowed != 1 {
				return fmt.Errorf("PDB %s status %+v, want %d pods healthy and 1 disruption allowed", name, s, r.replicas)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
}

// checkEndpoints: each Service's EndpointSlices list exactly the ready pods
// of its own component, and nothing else (no runner, no other service).
func (r release) checkEndpoints(t *testing.T, api *kubeAPI) {
	t.Helper()
	for _, c := range r.components {
		name := r.deploymentName(c)
		var pods struct{ Items []pod }
		if err := api.list("/api/v1/namespaces/"+r.namespace+"/pods", "app.kubernetes.io/instance=hangar,app.kubernetes.io/component="+c, &pods); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, p := range pods.Items {
			want = append(want, p.Metadata.Name)
		}
		sort.Strings(want)
		err := eventually(30*time.Second, func() error {
			var slices struct {
				Items []struct {
					Endpoints []struct {
						Conditions struct {
							Ready *bool `json:"ready"`
						} `json:"conditions"`
						TargetRef struct {
							Kind, Name string
						} `json:"targetRef"`
					} `json:"endpoints"`
				} `json:"items"`
			}
			if err := api.list("/apis/discovery.k8s.io/v1/namespaces/"+r.namespace+"/endpointslices", "kubernetes.io/service-name="+name, &slices); err != nil {
				return err
			}
			var got []string
			for _, s := range slices.Items {
				for _, e := range s.Endpoints {
					if e.Conditions.Ready != nil && *e.Conditions.Ready && e.TargetRef.Kind == "Pod" {
						got = append(got, e.TargetRef.Name)
					}
				}
			}
			sort.Strings(got)
			if len(want) != r.replicas || strings.Join(got, ",") != strings.Join(want, ",") {
				return fmt.Errorf("Service %s ready endpoints %v, want the %d %s pods %v", name, got, r.replicas, c, want)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
}

// checkRights asks the apiserver (SubjectAccessReview) what the release's
// ServiceAccounts may do.
func (r release) checkRights(t *testing.T, api *kubeAPI) {
	t.Helper()
	type right struct {
		sa, verb, group, resource, namespace string
		want                                 bool
	}
	rights := []right{
		{"hangar", "get", "", "secrets", r.namespace, false},
		{"hangar", "list", "", "pods", r.namespace, false},
		{"hangar", "create", "authentication.k8s.io", "tokenreviews", "", r.vaultAuth},
	}
	if r.runner {
		const sa = "hangar-runner-kube"
		rights = append(rights,
			right{sa, "create", "", "pods", r.builds, true},
			right{sa, "delete", "", "pods", r.builds, true},
			right{sa, "watch", "", "pods", r.builds, true},
			right{sa, "update", "", "pods", r.builds, true},
			right{sa, "get", "", "pods/log", r.builds, true},
			right{sa, "create", "", "secrets", r.builds, true},
			right{sa, "delete", "", "secrets", r.builds, true},
			// Nothing more: builds' secrets are not readable back, and
			// nothing outside the build namespace.
			right{sa, "get", "", "secrets", r.builds, false},
			right{sa, "list", "", "secrets", r.builds, false},
			right{sa, "get", "", "secrets", r.namespace, false},
			right{sa, "list", "", "secrets", r.namespace, false},
			right{sa, "create", "", "pods", r.namespace, false},
			right{sa, "create", "", "pods", "default", false},
			right{sa, "create", "", "pods/exec", r.builds, false},
			right{sa, "create", "rbac.authorization.k8s.io", "rolebindings", r.builds, false},
			right{sa, "get", "", "nodes", "", false},
		)
	}
	for _, w := range rights {
		got, err := api.canI(r.namespace, w.sa, w.verb, w.group, w.resource, w.namespace)
		if err != nil {
			t.Fatal(err)
		}
		if got != w.want {
			t.Errorf("%s may %s %s in %q: got %v, want %v", w.sa, w.verb, w.resource, w.namespace, got, w.want)
		}
	}
}

// checkNetworkPolicies: Hangar's pods admit their own namespace only (plus
// the listed ones), and build pods, when there are runners, have their
// egress policy in the build namespace.
func (r release) checkNetworkPolicies(t *testing.T, api *kubeAPI) {
	t.Helper()
	var pol map[string]any
	if err := api.get("/apis/networking.k8s.io/v1/namespaces/"+r.namespace+"/networkpolicies/hangar", &pol); err != nil {
		t.Fatal(err)
	}
	if got := toStrings(list(pol, "spec", "policyTypes")); fmt.Sprint(got) != "[Ingress]" {
		t.Errorf("Hangar's NetworkPolicy types %v, want [Ingress]", got)
	}
	// The policy's pod selector, asked of the apiserver, covers every
	// Hangar pod and nothing else (not the runner).
	var pods struct{ Items []pod }
	if err := api.list("/api/v1/namespaces/"+r.namespace+"/pods", selector(at(pol, "spec", "podSelector")), &pods); err != nil {
		t.Fatal(err)
	}
	covered := map[string]int{}
	for _, p := range pods.Items {
		covered[p.Metadata.Labels["app.kubernetes.io/component"]]++
	}
	want := map[string]int{}
	for _, c := range r.components {
		want[c] = r.replicas
	}
	if fmt.Sprint(covered) != fmt.Sprint(want) {
		t.Errorf("Hangar's NetworkPolicy covers pods %v, want %v", covered, want)
	}
	// The namespaces it admits besides its own, asked of the apiserver:
	// the ingress controller's and Prometheus's (the control plane has
	// both), never the build namespace.
	var admitted []string
	for _, from := range list(pol, "spec", "ingress", 0, "from") {
		nsSel := at(from, "namespaceSelector")
		if nsSel == nil {
			continue
		}
		var nss struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
			} `json:"items"`
		}
		if err := api.list("/api/v1/namespaces", selector(nsSel), &nss); err != nil {
			t.Fatal(err)
		}
		for _, ns := range nss.Items {
			admitted = append(admitted, ns.Metadata.Name)
		}
	}
	sort.Strings(admitted)
	if got := strings.Join(admitted, ","); got != "ingress-nginx,monitoring" {
		t.Errorf("Hangar's NetworkPolicy admits namespaces %q, want ingress-nginx,monitoring", got)
	}
}

// selector writes a LabelSelector (matchLabels, matchExpressions with In or
// NotIn) as the apiserver's labelSelector query.
func selector(sel any) string {
	var parts []string
	if m, ok := at(sel, "matchLabels").(map[string]any); ok {
		for k, v := range m {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	for _, e := range list(sel, "matchExpressions") {
		op := map[string]string{"In": "in", "NotIn": "notin"}[str(e, "operator")]
		parts = append(parts, fmt.Sprintf("%s %s (%s)", str(e, "key"), op, strings.Join(toStrings(list(e, "values")), ",")))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// checkDockerRunners: the drone-runner-docker DaemonSet has a ready pod on
// every node.
func (r release) checkDockerRunners(t *testing.T, api *kubeAPI) {
	t.Helper()
	var ds struct {
		Status struct {
			DesiredNumberScheduled int `json:"desiredNumberScheduled"`
			NumberReady            int `json:"numberReady"`
		} `json:"status"`
	}
	err := eventually(60*time.Second, func() error {
		if err := api.get("/apis/apps/v1/namespaces/"+r.namespace+"/daemonsets/hangar-runner-docker", &ds); err != nil {
			return err
		}
		if s := ds.Status; s.DesiredNumberScheduled != 3 || s.NumberReady != 3 {
			return fmt.Errorf("runner-docker DaemonSet %+v, want ready on the 3 nodes", s)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
