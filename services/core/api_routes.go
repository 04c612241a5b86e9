package core

import (
	"net/http"

	"github.com/hangar-ci/hangar/services/core/model"
)

// routeMux is where routes are registered (an http.ServeMux; tests record
// the patterns).
type routeMux interface {
	Handle(pattern string, h http.Handler)
	HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request))
}

// apiRoutes is Drone v1.10.1's REST API (handler/api/api.go) as far as
// Hangar serves it, each route with the access Drone asks of its caller.
// Logs and streams are served by the logs package.
func (s *service) apiRoutes(api routeMux) {
	repo := func(pattern string, need Access, h http.HandlerFunc) {
		api.Handle(pattern, s.repoAccess(need, h))
	}
	// Users and the caller.
	api.Handle("GET /api/user", s.loggedIn(s.showSelf))
	api.Handle("POST /api/user/token", s.loggedIn(s.rotateToken))
	api.Handle("PATCH /api/user", s.loggedIn(s.updateSelf))
	api.Handle("GET /api/user/builds", s.loggedIn(s.recentBuilds))
	api.Handle("GET /api/user/builds/recent", s.loggedIn(s.recentBuilds))
	api.Handle("GET /api/user/repos", s.loggedIn(s.listUserRepos))
	api.Handle("POST /api/user/repos", s.loggedIn(s.listUserRepos))
	api.Handle("GET /api/users", s.sysAdmin(s.listUsers))
	api.Handle("POST /api/users", s.sysAdmin(s.createUser))
	api.Handle("GET /api/users/{user}", s.sysAdmin(s.showUser))
	api.Handle("PATCH /api/users/{user}", s.sysAdmin(s.updateUser))
	api.Handle("DELETE /api/users/{user}", s.sysAdmin(s.deleteUser))
	api.Handle("GET /api/users/{user}/repos", s.sysAdmin(s.userRepos))

	// The queue.
	api.Handle("GET /api/queue", s.sysAdmin(s.listQueue))
	api.Handle("POST /api/queue", s.sysAdmin(s.resumeQueue))
	api.Handle("DELETE /api/queue", s.sysAdmin(s.pauseQueue))

	api.Handle("GET /api/builds/incomplete", s.sysAdmin(s.listIncomplete))
	api.Handle("GET /api/system/stats", s.sysAdmin(s.systemStats))

	// Repositories.
	api.Handle("GET /api/repos", s.sysAdmin(s.listRepos))
	api.Handle("POST /api/repos", s.sysAdmin(s.activateRepo))
	repo("GET /api/repos/{owner}/{name}", Read, s.showRepo)
	repo("PATCH /api/repos/{owner}/{name}", AdminAccess, s.updateRepo)
	api.Handle("POST /api/repos/{owner}/{name}", s.enableAccess(s.enableRepo))
	repo("DELETE /api/repos/{owner}/{name}", AdminAccess, s.deactivateRepo)
	repo("POST /api/repos/{owner}/{name}/repair", AdminAccess, s.repairRepo)
	repo("POST /api/repos/{owner}/{name}/chown", AdminAccess, s.chownRepo)

	// Builds.
	repo("GET /api/repos/{owner}/{name}/builds", Read, s.listBuilds)
	repo("POST /api/repos/{owner}/{name}/builds", Write, s.createBuild)
	repo("GET /api/repos/{owner}/{name}/builds/latest", Read, s.latestBuild)
	repo("GET /api/repos/{owner}/{name}/builds/branches", Read, s.latestPer(model.EventPush))
	repo("GET /api/repos/{owner}/{name}/builds/pulls", Read, s.latestPer(model.EventPullRequest))
	repo("GET /api/repos/{owner}/{name}/builds/deployments", Read, s.latestPer(model.EventPromote))
	repo("GET /api/repos/{owner}/{name}/builds/{number}", Read, s.showBuild)
	repo("DELETE /api/repos/{owner}/{name}/builds/{number}", Write, s.cancelBuild)
	repo("POST /api/repos/{owner}/{name}/builds/{number}", Write, s.retryBuild)
	repo("POST /api/repos/{owner}/{name}/builds/{number}/promote", Write, s.promoteBuild(model.EventPromote))
	repo("POST /api/repos/{owner}/{name}/builds/{number}/rollback", Write, s.promoteBuild(model.EventRollback))
	repo("POST /api/repos/{owner}/{name}/builds/{number}/approve/{stage}", AdminAccess, s.approveStage)
	repo("POST /api/repos/{owner}/{name}/builds/{number}/decline/{stage}", AdminAccess, s.declineStage)
	repo("DELETE /api/repos/{owner}/{name}/builds/{number}/logs/{stage}/{step}", AdminAccess, s.purgeLog)
	// Hangar's stage report, an admin tool beside the runner protocol
	// (which is how runners finish stages): system admins only.
	api.Handle("PUT /api/repos/{owner}/{name}/builds/{number}/stages/{stage}", s.sysAdmin(s.reportStage))

	// Secrets.
	repo("GET /api/repos/{owner}/{name}/secrets", Write, s.listSecrets)
	repo("POST /api/repos/{owner}/{name}/secrets", Write, s.createSecret)
	repo("GET /api/repos/{owner}/{name}/secrets/{secret}", Write, s.showSecret)
	repo("PATCH /api/repos/{owner}/{name}/secrets/{secret}", Write, s.updateSecret)
	repo("DELETE /api/repos/{owner}/{name}/secrets/{secret}", Write, s.deleteSecret)
	api.Handle("GET /api/secrets", s.sysAdmin(s.listAllOrgSecrets))
	api.Handle("GET /api/secrets/{namespace}", s.orgAccess(s.listSecrets))
	api.Handle("POST /api/secrets/{namespace}", s.orgAccess(s.createSecret))
	api.Handle("GET /api/secrets/{namespace}/{secret}", s.orgAccess(s.showSecret))
	api.Handle("POST /api/secrets/{namespace}/{secret}", s.orgAccess(s.updateSecret))
	api.Handle("PATCH /api/secrets/{namespace}/{secret}", s.orgAccess(s.updateSecret))
	api.Handle("DELETE /api/secrets/{namespace}/{secret}", s.orgAccess(s.deleteSecret))

	repo("POST /api/repos/{owner}/{name}/sign", Write, s.signRepo)
	repo("POST /api/repos/{owner}/{name}/encrypt", Write, s.encryptSecret)
	repo("POST /api/repos/{owner}/{name}/encrypt/secret", Write, s.encryptSecret)

	// Cron jobs.
	repo("GET /api/repos/{owner}/{name}/cron", Write, s.listCrons)
	repo("POST /api/repos/{owner}/{name}/cron", Write, s.createCron)
	repo("GET /api/repos/{owner}/{name}/cron/{cron}", Write, s.showCron)
	repo("POST /api/repos/{owner}/{name}/cron/{cron}", Write, s.execCron)
	repo("PATCH /api/repos/{owner}/{name}/cron/{cron}", Write, s.updateCron)
	repo("DELETE /api/repos/{owner}/{name}/cron/{cron}", Write, s.deleteCron)

	// Collaborators: the users whose SCM permission is synced.
	repo("GET /api/repos/{owner}/{name}/collaborators", Read, s.listCollaborators)
	repo("GET /api/repos/{owner}/{name}/collaborators/{member}", Read, s.showCollaborator)
	repo("DELETE /api/repos/{owner}/{name}/collaborators/{member}", AdminAccess, s.deleteCollaborator)

	// Badges: the SVG for anyone, as Drone; cc.xml needs read access.
	api.HandleFunc("GET /api/badges/{owner}/{name}/status.svg", s.badge)
	repo("GET /api/badges/{owner}/{name}/cc.xml", Read, s.ccMenu)
}
