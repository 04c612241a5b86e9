package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// kubeAPI speaks to kube-apiserver's REST API with the admin token: JSON in,
// JSON out, nothing but net/http.
type kubeAPI struct {
	base   string
	token  string
	client *http.Client
}

// do sends a request and decodes a 2xx answer into out (when not nil).
func (k *kubeAPI) do(method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, k.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return &apiError{status: res.StatusCode, method: method, path: path, body: string(b)}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

type apiError struct {
	status       int
	method, path string
	body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, e.body)
}

func (k *kubeAPI) get(path string, out any) error { return k.do(http.MethodGet, path, nil, out) }

// list fetches a collection, optionally filtered by a label selector.
func (k *kubeAPI) list(path, selector string, out any) error {
	if selector != "" {
		path += "?labelSelector=" + url.QueryEscape(selector)
	}
	return k.get(path, out)
}

// createNode registers a fake node that kwok manages (it marks it Ready and
// runs the pods scheduled to it). Nodes keep the status given at creation,
// which is where the scheduler reads their capacity.
func (k *kubeAPI) createNode(name string) error {
	capacity := map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110"}
	return k.do(http.MethodPost, "/api/v1/nodes", map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{
			"name":        name,
			"annotations": map[string]string{"kwok.x-k8s.io/node": "fake"},
			"labels": map[string]string{
				"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
				"kubernetes.io/arch": "amd64", "type": "kwok",
			},
		},
		"status": map[string]any{"capacity": capacity, "allocatable": capacity},
	}, nil)
}

type condition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
}

func ready(conds []condition) bool {
	for _, c := range conds {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

func (k *kubeAPI) waitNodesReady(n int, within time.Duration) error {
	var nodes struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
			Status   struct {
				Conditions []condition `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	deadline := time.Now().Add(within)
	for {
		err := k.get("/api/v1/nodes", &nodes)
		count := 0
		for _, n := range nodes.Items {
			if ready(n.Status.Conditions) {
				count++
			}
		}
		if err == nil && count >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d kwok nodes Ready after %s (%v)", count, n, within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// eventually polls check until it returns nil or within has passed, then
// returns its last error.
func eventually(within time.Duration, check func() error) error {
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// canI asks the apiserver's SubjectAccessReview whether a service account
// may do verb on resource in namespace.
func (k *kubeAPI) canI(saNamespace, sa, verb, group, resource, namespace string) (bool, error) {
	var review struct {
		Status struct {
			Allowed bool   `json:"allowed"`
			Reason  string `json:"reason"`
		} `json:"status"`
	}
	err := k.do(http.MethodPost, "/apis/authorization.k8s.io/v1/subjectaccessreviews", map[string]any{
		"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
		"spec": map[string]any{
			"user":   "system:serviceaccount:" + saNamespace + ":" + sa,
			"groups": []string{"system:serviceaccounts", "system:serviceaccounts:" + saNamespace, "system:authenticated"},
			"resourceAttributes": map[string]string{
				"namespace": namespace, "verb": verb, "group": group, "resource": resource,
			},
		},
	}, &review)
	return review.Status.Allowed, err
}
