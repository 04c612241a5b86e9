ALTER TABLE core_stages ADD COLUMN offered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE core_stages ADD COLUMN beat BIGINT NOT NULL DEFAULT 0;
CREATE INDEX core_stages_build ON core_stages (build_id);
CREATE TABLE core_build_configs (
  build_id BIGINT PRIMARY KEY REFERENCES core_builds (id),
  data TEXT NOT NULL
);
CREATE TABLE core_steps (
  id {{autoid}},
  stage_id BIGINT NOT NULL REFERENCES core_stages (id),
  build_id BIGINT NOT NULL,
  number INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL,
  errignore BOOLEAN NOT NULL,
  exit_code INTEGER NOT NULL,
  started BIGINT NOT NULL,
  stopped BIGINT NOT NULL,
  version BIGINT NOT NULL,
  log_size BIGINT NOT NULL DEFAULT 0,
  UNIQUE (stage_id, number)
);
CREATE INDEX core_steps_build ON core_steps (build_id);
CREATE TABLE core_log_lines (
  step_id BIGINT NOT NULL,
  pos INTEGER NOT NULL,
  out TEXT NOT NULL,
  ts BIGINT NOT NULL,
  PRIMARY KEY (step_id, pos)
);
CREATE TABLE core_logs (
  step_id BIGINT PRIMARY KEY,
  data TEXT NOT NULL
);
CREATE TABLE core_runners (
  filter_key TEXT PRIMARY KEY,
  filter TEXT NOT NULL,
  seen BIGINT NOT NULL
)
