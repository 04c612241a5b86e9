package model

// Cron is a repository's scheduled build (Drone's core.Cron). Next is the
// Unix time it is due; Version guards the row so that, with several
// replicas, one firing moves it on.
type Cron struct {
	ID       int64
	RepoID   int64
	Name     string
	Expr     string
	Next     int64
	Prev     int64
	Event    string
	Branch   string
	Target   string
	Disabled bool
	Created  int64
	Updated  int64
	Version  int64
}
