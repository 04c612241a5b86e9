package deploy

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// controlPlane is a real Kubernetes control plane on loopback: etcd,
// kube-apiserver (RBAC, a static admin token, a generated service-account
// key, its own self-signed certificate), kube-controller-manager,
// kube-scheduler and kwok, whose fake nodes run pods to Ready. Nothing needs
// Docker or a kubelet.
type controlPlane struct {
	dir        string
	server     string // https://127.0.0.1:port
	kubeconfig string
	caFile     string // the apiserver's certificate and the CA that signed it
	api        *kubeAPI
	procs      []*process
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

var sharedPlane struct {
	once  sync.Once
	plane *controlPlane
	err   error
	took  time.Duration
}

// cluster starts the package's one control plane on first use and stops it
// after the last test (TestMain). Start-up failures fail every caller.
func cluster(t *testing.T) *controlPlane {
	t.Helper()
	sharedPlane.once.Do(func() {
		start := time.Now()
		sharedPlane.plane, sharedPlane.err = startControlPlane(t)
		sharedPlane.took = time.Since(start)
		if sharedPlane.plane != nil {
			cleanups = append(cleanups, sharedPlane.plane.stop)
		}
	})
	if sharedPlane.err != nil {
		t.Fatalf("control plane: %v", sharedPlane.err)
	}
	if sharedPlane.plane == nil {
		t.Fatal("control plane: its start failed in an earlier test")
	}
	t.Logf("control plane up in %s", sharedPlane.took.Round(100*time.Millisecond))
	return sharedPlane.plane
}

func startControlPlane(t *testing.T) (*controlPlane, error) {
	bins := map[string]string{}
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "helm"} {
		bins[name] = tool(t, name)
	}
	dir, err := os.MkdirTemp("", "hangar-k8s-")
	if err != nil {
		return nil, err
	}
	cp := &controlPlane{dir: dir}
	ok := false
	defer func() {
		if !ok {
			cp.stop()
		}
	}()

	etcdPort, peerPort, apiPort := freePort(t), freePort(t), freePort(t)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	if err := cp.start(bins["etcd"], "etcd",
		"--name=hangar-test", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=hangar-test="+peerURL, "--unsafe-no-fsync", "--log-level=warn",
	); err != nil {
		return nil, err
	}
	if err := cp.waitHTTP(http.DefaultClient, etcdURL+"/health", "", 60*time.Second); err != nil {
		return nil, err
	}

	saKey, saPub, err := writeServiceAccountKey(dir)
	if err != nil {
		return nil, err
	}
	token := randomHex(24)
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+",hangar-test-admin,hangar-test-admin,system:masters\n"), 0o600); err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "pki")
	cp.server = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	if err := cp.start(bins["kube-apiserver"], "kube-apiserver",
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort), "--cert-dir="+certDir,
		"--token-auth-file="+tokens, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/16", "--allow-privileged=true",
		"--enable-priority-and-fairness=false", "--profiling=false", "--v=0",
	); err != nil {
		return nil, err
	}
	// The apiserver writes its self-signed certificate (and the CA that
	// signed it) before it serves; trust exactly that.
	caFile := filepath.Join(certDir, "apiserver.crt")
	cp.caFile = caFile
	var pool *x509.CertPool
	deadline := time.Now().Add(90 * time.Second)
	for pool == nil && time.Now().Before(deadline) {
		if pem, err := os.ReadFile(caFile); err == nil {
			pool = x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				pool = nil
			}
		}
		if pool == nil {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if pool == nil {
		return nil, fmt.Errorf("kube-apiserver wrote no certificate to %s:\n%s", certDir, cp.logs())
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	cp.api = &kubeAPI{base: cp.server, token: token, client: client}
	if err := cp.waitHTTP(client, cp.server+"/readyz", token, 90*time.Second); err != nil {
		return nil, err
	}

	cp.kubeconfig = filepath.Join(dir, "kubeconfig")
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, certificate-authority: %q}
users:
- name: admin
  user: {token: %q}
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, cp.server, caFile, token)
	if err := os.WriteFile(cp.kubeconfig, []byte(kubeconfig), 0o600); err != nil {
		return nil, err
	}
	if err := cp.start(bins["kube-controller-manager"], "kube-controller-manager",
		"--kubeconfig="+cp.kubeconfig, "--secure-port=0", "--leader-elect=false",
		"--service-account-private-key-file="+saKey, "--root-ca-file="+caFile,
		"--use-service-account-credentials=false", "--controllers=*",
		// kwok's heartbeats come less often than the default grace period:
		// never let the node lifecycle controller mark its nodes NotReady
		// (and their pods' endpoints not ready) mid-test.
		"--node-monitor-grace-period=1h",
	); err != nil {
		return nil, err
	}
	if err := cp.start(bins["kube-scheduler"], "kube-scheduler",
		"--kubeconfig="+cp.kubeconfig, "--secure-port=0", "--leader-elect=false",
	); err != nil {
		return nil, err
	}
	if err := cp.start(bins["kwok"], "kwok",
		"--kubeconfig="+cp.kubeconfig, "--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.244.0.1/16", "--node-ip=10.0.0.1",
		fmt.Sprintf("--server-address=127.0.0.1:%d", freePort(t)),
	); err != nil {
		return nil, err
	}
	// The namespaces of an ingress controller and of Prometheus, which the
	// chart's NetworkPolicy admits.
	for _, ns := range []string{"ingress-nginx", "monitoring"} {
		if err := cp.api.do(http.MethodPost, "/api/v1/namespaces", map[string]any{
			"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
		}, nil); err != nil {
			return nil, err
		}
	}
	for i := 1; i <= 3; i++ {
		if err := cp.api.createNode(fmt.Sprintf("kwok-node-%d", i)); err != nil {
			return nil, err
		}
	}
	if err := cp.api.waitNodesReady(3, 60*time.Second); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, cp.logs())
	}
	ok = true
	return cp, nil
}

func (cp *controlPlane) start(bin, name string, args ...string) error {
	logPath := filepath.Join(cp.dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = cp.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	cp.procs = append(cp.procs, p)
	return nil
}

// stop ends the components in reverse order and removes the state.
func (cp *controlPlane) stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		p := cp.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	os.RemoveAll(cp.dir)
}

// logs is the tail of every component's log, for a failure message.
func (cp *controlPlane) logs() string {
	var b bytes.Buffer
	for _, p := range cp.procs {
		out, _ := os.ReadFile(p.log)
		state := "running"
		select {
		case <-p.done:
			state = "exited: " + p.cmd.ProcessState.String()
		default:
		}
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.name, state, tail(out, 2500))
	}
	return b.String()
}

func (cp *controlPlane) waitHTTP(client *http.Client, url, token string, within time.Duration) error {
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			last = res.Status
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s (%s):\n%s", url, within, last, cp.logs())
}

func writeServiceAccountKey(dir string) (keyPath, pubPath string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	keyPath, pubPath = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return "", "", err
	}
	return keyPath, pubPath, os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
