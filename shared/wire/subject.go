package wire

import "strings"

// RepoRef is the part of Drone's repository object (drone-go's drone.Repo)
// that Hangar's extensions decide on. Decoding a request into these small
// types instead of drone-go's full ones reads the same JSON at a fraction
// of the cost; Drone asks the config and secret extensions again for every
// stage, so that cost is paid often.
type RepoRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Slug      string `json:"slug"`
}

// SlugOrNames returns the repository's namespace/name, from the slug or
// the separate fields, whichever the sender filled.
func (r RepoRef) SlugOrNames() string {
	if r.Slug != "" {
		return r.Slug
	}
	if r.Namespace != "" || r.Name != "" {
		return r.Namespace + "/" + r.Name
	}
	return ""
}

// Names returns the namespace and name, split from the slug when a sender
// leaves the separate fields empty.
func (r RepoRef) Names() (string, string) {
	if r.Namespace != "" || r.Name != "" {
		return r.Namespace, r.Name
	}
	if i := strings.LastIndexByte(r.Slug, '/'); i >= 0 {
		return r.Slug[:i], r.Slug[i+1:]
	}
	return "", r.Slug
}

// BuildRef is the part of Drone's build object (drone-go's drone.Build) that
// Hangar's extensions decide on.
type BuildRef struct {
	Event  string `json:"event"`
	Target string `json:"target"`
	Source string `json:"source"`
	Fork   string `json:"source_repo"`
	Ref    string `json:"ref"`
}

// Subject is the {"repo", "build"} pair every extension request carries.
type Subject struct {
	Repo  RepoRef  `json:"repo"`
	Build BuildRef `json:"build"`
}
