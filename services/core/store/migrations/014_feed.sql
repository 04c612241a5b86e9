-- The global event stream (GET /api/stream) reads the builds and stages
-- changed in the last seconds on every replica.
CREATE INDEX core_builds_updated ON core_builds (updated);
CREATE INDEX core_stages_updated ON core_stages (updated);
