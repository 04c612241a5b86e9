package auth

import "github.com/hangar-ci/hangar/services/core/model"

// Access is what a caller may do in a repository, each level including the
// ones below it.
type Access int

// Access levels: Drone's read (pull), write (push) and admin.
const (
	None Access = iota
	Read
	Write
	Admin
)

// String names the level as error messages show it.
func (a Access) String() string {
	return [...]string{"none", "pull", "push", "admin"}[a]
}

// Level is the access of user (nil: anonymous) with perm (nil: none
// synced) to repo: system admins administer every repository; public
// repositories are readable by anyone and internal ones by any logged-in
// user; otherwise the SCM's permission decides.
func Level(u *model.User, repo *model.Repo, perm *model.Perm) Access {
	if u != nil && u.Admin {
		return Admin
	}
	a := None
	switch {
	case !repo.Private && repo.Visibility != "internal":
		a = Read
	case u != nil && repo.Visibility == "internal":
		a = Read
	}
	if u == nil || perm == nil {
		return a
	}
	switch {
	case perm.Admin:
		return Admin
	case perm.Push:
		return Write
	case perm.Pull:
		return max(a, Read)
	}
	return a
}
