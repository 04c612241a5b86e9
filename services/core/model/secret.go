package model

// Secret is a repository secret (RepoID set) or an organisation secret
// (RepoID 0, Namespace set). Data is the sealed value; the plain value
// exists only on its way in and on its way to a runner.
type Secret struct {
	ID              int64
	RepoID          int64
	Namespace       string
	Name            string
	Data            string
	PullRequest     bool
	PullRequestPush bool
	Created         int64
	Updated         int64
}
