CREATE TABLE core_users (
  id {{autoid}},
  login TEXT NOT NULL,
  login_key TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  avatar TEXT NOT NULL,
  scm TEXT NOT NULL,
  admin BOOLEAN NOT NULL,
  machine BOOLEAN NOT NULL,
  active BOOLEAN NOT NULL,
  token_hash TEXT NOT NULL,
  token_sealed TEXT NOT NULL,
  scm_token_sealed TEXT NOT NULL,
  scm_refresh_sealed TEXT NOT NULL,
  scm_expiry BIGINT NOT NULL,
  synced BIGINT NOT NULL,
  last_login BIGINT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);
CREATE UNIQUE INDEX core_users_token ON core_users (token_hash);
CREATE TABLE core_perms (
  user_id BIGINT NOT NULL REFERENCES core_users (id) ON DELETE CASCADE,
  repo_id BIGINT NOT NULL REFERENCES core_repos (id) ON DELETE CASCADE,
  can_pull BOOLEAN NOT NULL,
  can_push BOOLEAN NOT NULL,
  can_admin BOOLEAN NOT NULL,
  synced BIGINT NOT NULL,
  PRIMARY KEY (user_id, repo_id)
);
CREATE TABLE core_secrets (
  id {{autoid}},
  repo_id BIGINT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  data_sealed TEXT NOT NULL,
  pull_request BOOLEAN NOT NULL,
  pull_request_push BOOLEAN NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  UNIQUE (repo_id, namespace, name)
);
CREATE TABLE core_crons (
  id {{autoid}},
  repo_id BIGINT NOT NULL REFERENCES core_repos (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  expr TEXT NOT NULL,
  next_run BIGINT NOT NULL,
  prev_run BIGINT NOT NULL,
  event TEXT NOT NULL,
  branch TEXT NOT NULL,
  target TEXT NOT NULL,
  disabled BOOLEAN NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  version BIGINT NOT NULL,
  UNIQUE (repo_id, name)
);
CREATE INDEX core_crons_next ON core_crons (next_run);
CREATE TABLE core_repo_owners (
  repo_id BIGINT PRIMARY KEY REFERENCES core_repos (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES core_users (id) ON DELETE CASCADE
);
CREATE TABLE core_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
)
