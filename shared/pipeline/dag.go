package pipeline

// DAG is the graph of pipelines the Drone server builds to order stages:
// one vertex per pipeline keyed by its raw name, edges to its depends_on.
type DAG struct {
	vertices map[string]*Vertex
	order    []*Vertex
}

// Vertex is one pipeline in a DAG. A skipped vertex (a pipeline whose
// trigger did not match) is transparent: its dependents inherit its own
// dependencies.
type Vertex struct {
	Name      string
	DependsOn []string
	Skip      bool
}

// NewDAG returns an empty graph.
func NewDAG() *DAG { return &DAG{vertices: make(map[string]*Vertex)} }

// Add adds a vertex, replacing one of the same name as Drone does.
func (d *DAG) Add(name string, dependsOn ...string) *Vertex {
	v := &Vertex{Name: name, DependsOn: dependsOn}
	if _, dup := d.vertices[name]; !dup {
		d.order = append(d.order, v)
	} else {
		for i, o := range d.order {
			if o.Name == name {
				d.order[i] = v
			}
		}
	}
	d.vertices[name] = v
	return v
}

// Get returns the vertex of that name.
func (d *DAG) Get(name string) (*Vertex, bool) {
	v, ok := d.vertices[name]
	return v, ok
}

// Cycle returns the names along a dependency cycle, first name repeated
// at the end ("a", "b", "a"), or nil when the graph has none. Edges to
// unknown names are ignored.
func (d *DAG) Cycle() []string {
	const (
		unvisited = iota
		onPath
		finished
	)
	state := make(map[string]int, len(d.vertices))
	var path []string
	var visit func(v *Vertex) []string
	visit = func(v *Vertex) []string {
		state[v.Name] = onPath
		path = append(path, v.Name)
		for _, dep := range v.DependsOn {
			w, ok := d.vertices[dep]
			if !ok {
				continue
			}
			switch state[dep] {
			case onPath:
				for i, n := range path {
					if n == dep {
						return append(append([]string(nil), path[i:]...), dep)
					}
				}
			case unvisited:
				if c := visit(w); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[v.Name] = finished
		return nil
	}
	for _, v := range d.order {
		if state[v.Name] == unvisited {
			if c := visit(v); c != nil {
				return c
			}
		}
	}
	return nil
}

// Dependencies returns the effective dependencies of the named vertex, as
// Drone computes a stage's depends_on: a skipped dependency is replaced by
// its own effective dependencies, recursively; unknown names are dropped;
// duplicates are kept. An unknown vertex has none.
func (d *DAG) Dependencies(name string) []string {
	v, ok := d.vertices[name]
	if !ok {
		return nil
	}
	return d.deps(v, map[string]bool{name: true})
}

// deps carries the names on the current path so that a cycle (which
// Drone rejects before asking) cannot recurse forever.
func (d *DAG) deps(v *Vertex, path map[string]bool) []string {
	var out []string
	for _, dep := range v.DependsOn {
		w, ok := d.vertices[dep]
		if !ok || path[dep] {
			continue
		}
		if !w.Skip {
			out = append(out, dep)
			continue
		}
		path[dep] = true
		out = append(out, d.deps(w, path)...)
		delete(path, dep)
	}
	return out
}
