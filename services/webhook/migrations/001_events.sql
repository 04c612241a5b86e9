CREATE TABLE webhook_events (
  id {{autoid}},
  idem_key TEXT NOT NULL UNIQUE,
  event TEXT NOT NULL,
  action TEXT NOT NULL,
  repo TEXT NOT NULL,
  build_id BIGINT NOT NULL,
  build_status TEXT NOT NULL,
  grp TEXT NOT NULL,
  synthetic INTEGER NOT NULL,
  body TEXT NOT NULL,
  received BIGINT NOT NULL
);
CREATE TABLE webhook_deliveries (
  id {{autoid}},
  event_id BIGINT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  sink TEXT NOT NULL,
  grp TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0,
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  updated BIGINT NOT NULL,
  UNIQUE (event_id, sink)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (sink, state, next_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (sink, state, grp, id);
CREATE INDEX webhook_deliveries_state ON webhook_deliveries (state, id);
