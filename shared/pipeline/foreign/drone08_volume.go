package foreign

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// volumeNames names the host paths 0.8 steps mount, one pipeline volume
// per path, named after it ("/var/run/docker.sock" → var-run-docker-sock).
type volumeNames struct {
	byPath map[string]string
	taken  map[string]bool
	list   []*outVolume
}

var reservedVolumes = map[string]bool{"workspace": true, "_workspace": true, "_docker_socket": true}

func (v *volumeNames) name(path string) string {
	if n, ok := v.byPath[path]; ok {
		return n
	}
	if v.byPath == nil {
		v.byPath, v.taken = map[string]string{}, map[string]bool{}
	}
	base := strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, path), "-")
	if base == "" {
		base = "root"
	}
	n := base
	for i := 2; v.taken[n] || reservedVolumes[n]; i++ {
		n = fmt.Sprintf("%s-%d", base, i)
	}
	v.byPath[path], v.taken[n] = n, true
	v.list = append(v.list, &outVolume{Name: n, Host: &outHostPath{Path: path}})
	return n
}

// mounts reads 0.8's "host:container[:mode]" volumes. Only host paths
// convert: Drone 1.x has no named Docker volumes, and its mounts have no
// read-only mode (a warning says so).
func (d *drone08) mounts(path string, n *yaml.Node) []*outMount {
	var out []*outMount
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		if !isNull(n) {
			d.problem(n, path, "must be a list of host:container paths")
		}
		return nil
	}
	for _, item := range n.Content {
		s := d.str(path, item)
		parts := strings.Split(s, ":")
		if len(parts) < 2 || len(parts) > 3 || !strings.HasPrefix(parts[0], "/") || parts[1] == "" {
			d.problem(item, path, "%q is not /host/path:/container/path (named volumes have no Drone 1.x equivalent)", s)
			continue
		}
		if len(parts) == 3 && parts[2] != "rw" {
			d.warn(item, "%s: %q: Drone 1.x mounts have no mode, %q is mounted read-write", path, s, parts[2])
		}
		out = append(out, &outMount{Name: d.volumes.name(parts[0]), Path: parts[1]})
	}
	return out
}
