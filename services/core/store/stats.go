package store

import "context"

// Stats are the counts of Drone's GET /api/system/stats.
type Stats struct {
	Users                                int64
	ActiveRepos                          int64
	Builds, PendingBuilds, RunningBuilds int64
	PendingStages, RunningStages         int64
}

// Stats counts users, active repositories, builds and stages by state.
func (s *Store) Stats(ctx context.Context) (*Stats, error) {
	st := &Stats{}
	err := s.db.QueryRowContext(ctx, `SELECT
(SELECT COUNT(*) FROM core_users),
(SELECT COUNT(*) FROM core_repos WHERE active),
(SELECT COUNT(*) FROM core_builds),
(SELECT COUNT(*) FROM core_builds WHERE status = 'pending'),
(SELECT COUNT(*) FROM core_builds WHERE status = 'running'),
(SELECT COUNT(*) FROM core_stages WHERE status = 'pending'),
(SELECT COUNT(*) FROM core_stages WHERE status = 'running')`).Scan(
		&st.Users, &st.ActiveRepos, &st.Builds, &st.PendingBuilds, &st.RunningBuilds, &st.PendingStages, &st.RunningStages)
	return st, err
}
