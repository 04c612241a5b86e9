CREATE TABLE core_build_paths (
  build_id BIGINT PRIMARY KEY REFERENCES core_builds (id),
  changed_files INTEGER NOT NULL,
  incomplete BOOLEAN NOT NULL,
  note TEXT NOT NULL,
  decisions TEXT NOT NULL
)
