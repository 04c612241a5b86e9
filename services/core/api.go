package core

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hangar-ci/hangar/services/core/model"
	"github.com/hangar-ci/hangar/services/core/store"
	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// maxAPIBody bounds an API request body.
const maxAPIBody = 1 << 20

// storeError maps a store error to an HTTP error.
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httperr.Wrap(httperr.NotFound, err, "%s not found", what)
	case errors.Is(err, store.ErrConflict):
		return httperr.Wrap(httperr.Conflict, err, "%s changed concurrently or already exists: retry", what)
	}
	return httperr.Wrap(httperr.Unavailable, err, "database unavailable")
}

// findRepo returns the repository repoAccess resolved, or resolves it.
func (s *service) findRepo(r *http.Request) (*model.Repo, error) {
	if repo, ok := r.Context().Value(ctxRepoKey{}).(*model.Repo); ok {
		return repo, nil
	}
	return s.lookupRepo(r)
}

// lookupRepo resolves /api/repos/{owner}/{name}, on the SCM named by ?scm=
// or else on GitHub then GitLab.
func (s *service) lookupRepo(r *http.Request) (*model.Repo, error) {
	return s.lookupSlug(r, r.PathValue("owner")+"/"+r.PathValue("name"))
}

// lookupSlug resolves a repository slug as lookupRepo does.
func (s *service) lookupSlug(r *http.Request, slug string) (*model.Repo, error) {
	kinds := []string{"github", "gitlab"}
	if k := r.URL.Query().Get("scm"); k != "" {
		kinds = []string{k}
	}
	var err error
	for _, k := range kinds {
		var repo *model.Repo
		if repo, err = s.store.FindRepoSlug(r.Context(), k, slug); err == nil {
			return repo, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			break
		}
	}
	return nil, storeError(err, "repository "+slug)
}

// repoSettings is what activation and updates accept; unset fields keep
// their value (defaults on activation).
type repoSettings struct {
	Namespace   string  `json:"namespace"`
	Name        string  `json:"name"`
	SCM         string  `json:"scm"`
	Config      *string `json:"config_path"`
	Branch      *string `json:"default_branch"`
	Link        *string `json:"link"`
	HTTPURL     *string `json:"git_http_url"`
	SSHURL      *string `json:"git_ssh_url"`
	Visibility  *string `json:"visibility"`
	Private     *bool   `json:"private"`
	Active      *bool   `json:"active"`
	Trusted     *bool   `json:"trusted"`
	Protected   *bool   `json:"protected"`
	IgnoreForks *bool   `json:"ignore_forks"`
	IgnorePulls *bool   `json:"ignore_pull_requests"`
	CancelPulls *bool   `json:"auto_cancel_pull_requests"`
	CancelPush  *bool   `json:"auto_cancel_pushes"`
	Timeout     *int64  `json:"timeout"`
	Throttle    *int64  `json:"throttle"`
	// CancelRunning and Counter are in drone-go's RepoPatch; accepted and
	// not kept (Hangar has no running-build auto-cancel; the counter only
	// moves with builds).
	CancelRunning *bool  `json:"auto_cancel_running"`
	Counter       *int64 `json:"counter"`
	// Secret checks the repository's webhooks and signs protected
	// pipelines; generated on activation when empty, unless
	// HANGAR_HOOK_SECRET is set and the repository is not protected.
	Secret *string `json:"secret"`
}

func (in *repoSettings) apply(r *model.Repo) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setb := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Config, in.Config)
	set(&r.Branch, in.Branch)
	set(&r.Link, in.Link)
	set(&r.HTTPURL, in.HTTPURL)
	set(&r.SSHURL, in.SSHURL)
	set(&r.Visibility, in.Visibility)
	set(&r.Secret, in.Secret)
	setb(&r.Private, in.Private)
	setb(&r.Active, in.Active)
	setb(&r.Trusted, in.Trusted)
	setb(&r.Protected, in.Protected)
	setb(&r.IgnoreForks, in.IgnoreForks)
	setb(&r.IgnorePulls, in.IgnorePulls)
	setb(&r.CancelPulls, in.CancelPulls)
	setb(&r.CancelPush, in.CancelPush)
	if in.Timeout != nil {
		r.Timeout = *in.Timeout
	}
	if in.Throttle != nil {
		r.Throttle = *in.Throttle
	}
}

func (s *service) listRepos(w http.ResponseWriter, r *http.Request) {
	repos, err := s.store.ListRepos(r.Context())
	writeRepos(w, r, repos, err)
}

func (s *service) showRepo(w http.ResponseWriter, r *http.Request) {
	repo, err := s.findRepo(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	wr := toWireRepo(repo)
	if owner, err := s.db.RepoOwner(r.Context(), repo.ID); err == nil {
		wr.UserID = owner.ID
	}
	wire.WriteJSON(w, http.StatusOK, repoWithPerms{wr, s.callerPerms(r, repo)})
}

// activated is the answer to an activation: the repository and, once, the
// webhook secret to configure on GitHub or GitLab.
type activated struct {
	*wire.Repository
	Secret string `json:"secret"`
}

func (s *service) activateRepo(w http.ResponseWriter, r *http.Request) {
	var in repoSettings
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	var problems []string
	if in.Namespace == "" || in.Name == "" || strings.Contains(in.Name, "/") {
		problems = append(problems, "namespace and name are required (name without /)")
	}
	if in.SCM != "github" && in.SCM != "gitlab" {
		problems = append(problems, "scm must be github or gitlab")
	}
	if len(problems) > 0 {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "%s", strings.Join(problems, "; ")))
		return
	}
	now := s.trigger.now().Unix()
	repo := &model.Repo{
		Namespace: in.Namespace, Name: in.Name, Slug: in.Namespace + "/" + in.Name, SCM: in.SCM,
		Config: ".drone.yml", Branch: "main", Visibility: "private", Private: true, Active: true,
		Timeout: 60, Created: now, Updated: now,
	}
	in.apply(repo)
	// Without a secret of its own a repository's hooks are checked with
	// HANGAR_HOOK_SECRET; a protected one signs its pipelines with its
	// secret, so it always gets its own.
	if repo.Secret == "" && (s.opts.HookSecret == "" || repo.Protected) {
		repo.Secret = randomSecret()
	}
	if err := s.store.CreateRepo(r.Context(), repo); err != nil {
		httperr.Write(w, r, storeError(err, "repository "+repo.Slug))
		return
	}
	s.repoEvent(r, repo, wire.ActionEnabled)
	wire.WriteJSON(w, http.StatusCreated, activated{toWireRepo(repo), repo.Secret})
}

func (s *service) updateRepo(w http.ResponseWriter, r *http.Request) {
	repo, err := s.findRepo(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	var in repoSettings
	if err := decodeAPI(w, r, &in); err != nil {
		httperr.Write(w, r, err)
		return
	}
	if in.Namespace != "" || in.Name != "" || in.SCM != "" {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "namespace, name and scm cannot change: activate the other repository"))
		return
	}
	wasActive := repo.Active
	in.apply(repo)
	if repo.Secret == "" && (s.opts.HookSecret == "" || repo.Protected) {
		httperr.Write(w, r, httperr.New(httperr.Invalid, "the repository needs a secret of its own: it is protected (its pipelines are signed with it) or HANGAR_HOOK_SECRET is unset"))
		return
	}
	repo.Updated = s.trigger.now().Unix()
	if err := s.store.UpdateRepo(r.Context(), repo); err != nil {
		httperr.Write(w, r, storeError(err, "repository "+repo.Slug))
		return
	}
	switch {
	case wasActive && !repo.Active:
		s.repoEvent(r, repo, wire.ActionDisabled)
	case !wasActive && repo.Active:
		s.repoEvent(r, repo, wire.ActionEnabled)
	}
	wire.WriteJSON(w, http.StatusOK, toWireRepo(repo))
}

// decodeAPI strictly decodes a bounded JSON body.
func decodeAPI(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	return wire.DecodeBytes(body, v, true)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		return nil, httperr.Wrap(httperr.TooLarge, err, "body unreadable or over %d bytes", maxAPIBody)
	}
	return b, nil
}

func randomSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// repoEvent sends repo:enabled or repo:disabled (§3.3); failures are logged.
func (s *service) repoEvent(r *http.Request, repo *model.Repo, action string) {
	if err := s.trigger.webhook.Send(r.Context(), &wire.WebhookPayload{Event: wire.EventRepo, Action: action, Repo: toWireRepo(repo)}); err != nil {
		reqlog.From(r.Context()).Warn("webhook repo:"+action+" failed", slog.String("error", err.Error()))
	}
}

// deactivateRepo is Drone's DELETE /api/repos/{owner}/{name}: the
// repository stays with its builds, its hooks build nothing.
func (s *service) deactivateRepo(w http.ResponseWriter, r *http.Request) {
	repo, err := s.findRepo(r)
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	if repo.Active {
		if err := s.removeHook(r, repo); err != nil {
			httperr.Write(w, r, err)
			return
		}
	}
	if err := s.setActive(r, repo, false); err != nil {
		httperr.Write(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, toWireRepo(repo))
}

// setActive enables or disables repo, sending repo:enabled or
// repo:disabled when it changes.
func (s *service) setActive(r *http.Request, repo *model.Repo, active bool) error {
	if repo.Active == active {
		return nil
	}
	repo.Active, repo.Updated = active, s.trigger.now().Unix()
	if err := s.store.UpdateRepo(r.Context(), repo); err != nil {
		return storeError(err, "repository "+repo.Slug)
	}
	s.repoEvent(r, repo, map[bool]string{true: wire.ActionEnabled, false: wire.ActionDisabled}[active])
	return nil
}
