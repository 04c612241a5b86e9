package webhook

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/hangar-ci/hangar/shared/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// sqlStore keeps events and deliveries in SQLite or PostgreSQL. Times are
// Unix milliseconds of the service's clock.
type sqlStore struct {
	db *sqldb.DB
	q  queries
}

// queries are the statements, rebound once for the dialect.
type queries struct {
	insertEvent, insertDelivery, due, nextDue, claim, release, record, releaseAll string
	events, event, eventDeliveries, deadLetters, getDelivery, redeliver, prune    string
}

// headOfGroup keeps a group's deliveries in order: only the oldest pending
// one may go. On PostgreSQL it is an aggregate: one pass over the sink's
// pending rows whatever the planner's statistics say (on a fresh table the
// planner ran the correlated form below as a quadratic join filter).
const headOfGroup = `d.id IN (SELECT MIN(p.id) FROM webhook_deliveries p
	WHERE p.sink = ? AND p.state = 'pending' GROUP BY p.grp)`

// headOfGroupSQLite is the correlated form, which SQLite's planner runs as
// one index probe per candidate, stopping at the LIMIT.
const headOfGroupSQLite = `d.sink = ? AND d.state = 'pending' AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
	WHERE p.sink = d.sink AND p.state = 'pending' AND p.grp = d.grp AND p.id < d.id)`

const eventCols = `e.id, e.idem_key, e.event, e.action, e.repo, e.build_id, e.build_status, e.grp, e.synthetic, e.received`
const deliveryCols = `d.id, d.event_id, d.sink, d.state, d.attempts, d.next_at, d.last_status, d.last_error, d.updated`

// openStore migrates db and returns the store over it.
func openStore(ctx context.Context, db *sqldb.DB) (*sqlStore, error) {
	sub, err := subFS()
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, sub, "webhook_migrations"); err != nil {
		return nil, err
	}
	r := db.Rebind
	headOfGroup := headOfGroup
	if db.Dialect == sqldb.SQLite {
		headOfGroup = headOfGroupSQLite
	}
	return &sqlStore{db: db, q: queries{
		insertEvent: r(`INSERT INTO webhook_events (idem_key, event, action, repo, build_id, build_status, grp, synthetic, body, received)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING RETURNING id`),
		insertDelivery: r(`INSERT INTO webhook_deliveries (event_id, sink, grp, state, next_at, updated) VALUES (?, ?, ?, 'pending', ?, ?)`),
		// The deliveries are picked first and only they are joined to
		// their events' bodies; on SQLite the pick walks the pending
		// index in id order and stops at the limit.
		due: r(`SELECT ` + deliveryCols + `, ` + eventCols + `, e.body
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
			WHERE d.id IN (SELECT d.id FROM webhook_deliveries d
				WHERE d.next_at <= ? AND d.locked_until <= ? AND ` + headOfGroup + ` ORDER BY d.id LIMIT ?)
			ORDER BY d.id`),
		nextDue: r(`SELECT MIN(CASE WHEN d.locked_until > d.next_at THEN d.locked_until ELSE d.next_at END)
			FROM webhook_deliveries d WHERE ` + headOfGroup),
		claim:           r(`UPDATE webhook_deliveries SET locked_until = ? WHERE id = ? AND state = 'pending' AND locked_until <= ?`),
		release:         r(`UPDATE webhook_deliveries SET locked_until = 0 WHERE id = ?`),
		record:          r(`UPDATE webhook_deliveries SET state = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, locked_until = 0, updated = ? WHERE id = ?`),
		releaseAll:      `UPDATE webhook_deliveries SET locked_until = 0 WHERE locked_until <> 0`,
		events:          r(`SELECT ` + eventCols + ` FROM webhook_events e WHERE e.id < ? ORDER BY e.id DESC LIMIT ?`),
		event:           r(`SELECT ` + eventCols + `, e.body FROM webhook_events e WHERE e.id = ?`),
		eventDeliveries: r(`SELECT ` + deliveryCols + ` FROM webhook_deliveries d WHERE d.event_id = ? ORDER BY d.id`),
		deadLetters: r(`SELECT ` + deliveryCols + `, ` + eventCols + `
			FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
			WHERE d.state = 'dead' AND d.id < ? ORDER BY d.id DESC LIMIT ?`),
		// Dead and pending deliveries keep their event: they still need a
		// person or an attempt.
		prune: r(`DELETE FROM webhook_events WHERE id IN (SELECT e.id FROM webhook_events e
			WHERE e.received < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
				WHERE d.event_id = e.id AND d.state <> 'delivered') ORDER BY e.id LIMIT ?)`),
		getDelivery: r(`SELECT ` + deliveryCols + ` FROM webhook_deliveries d WHERE d.id = ?`),
		redeliver:   r(`UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = ?, locked_until = 0, last_error = '', last_status = 0, updated = ? WHERE id = ? AND state <> 'pending'`),
	}}, nil
}

func ms(t time.Time) int64     { return t.UnixMilli() }
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// before turns "no cursor" into a bound above every id.
func before(id int64) int64 {
	if id <= 0 {
		return 1 << 62
	}
	return id
}

// subFS is the migrations folder as the root Migrate expects.
func subFS() (fs.FS, error) { return fs.Sub(migrations, "migrations") }

func (s *sqlStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *sqlStore) Insert(ctx context.Context, events []Event, routes [][]string) ([]int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ids := make([]int64, len(events))
	for i, e := range events {
		err := tx.QueryRowContext(ctx, s.q.insertEvent, e.Key, e.Event, e.Action, e.Repo, e.BuildID, e.Status,
			e.Group, b2i(e.Synthetic), string(e.Body), ms(e.Received)).Scan(&ids[i])
		if errors.Is(err, sql.ErrNoRows) {
			continue // already stored: a duplicate
		}
		if err != nil {
			return nil, fmt.Errorf("storing event %s: %w", e.Key, err)
		}
		for _, sink := range routes[i] {
			if _, err := tx.ExecContext(ctx, s.q.insertDelivery, ids[i], sink, e.Group, ms(e.Received), ms(e.Received)); err != nil {
				return nil, fmt.Errorf("storing delivery of %s to %s: %w", e.Key, sink, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing events: %w", err)
	}
	return ids, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

type scanner interface{ Scan(...any) error }

func scanDelivery(row scanner, extra ...any) (Delivery, error) {
	var d Delivery
	var next, updated int64
	err := row.Scan(append([]any{&d.ID, &d.EventID, &d.Sink, &d.State, &d.Attempts, &next, &d.LastStatus, &d.LastError, &updated}, extra...)...)
	d.NextAt, d.Updated = fromMS(next), fromMS(updated)
	return d, err
}

// eventDest returns scan destinations for eventCols into e.
func eventDest(e *Event, received *int64) []any {
	return []any{&e.ID, &e.Key, &e.Event, &e.Action, &e.Repo, &e.BuildID, &e.Status, &e.Group, &e.Synthetic, received}
}

func (s *sqlStore) Due(ctx context.Context, sink string, now time.Time, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.q.due, ms(now), ms(now), sink, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		e := new(Event)
		var received int64
		var body string
		d, err := scanDelivery(rows, append(eventDest(e, &received), &body)...)
		if err != nil {
			return nil, err
		}
		e.Received, e.Body, d.Event = fromMS(received), []byte(body), e
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *sqlStore) NextDue(ctx context.Context, sink string) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, s.q.nextDue, sink).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	return fromMS(v.Int64), v.Valid, nil
}

func (s *sqlStore) Claim(ctx context.Context, id int64, now, until time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q.claim, ms(until), id, ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *sqlStore) Release(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, s.q.release, id)
	return err
}

func (s *sqlStore) ReleaseAll(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, s.q.releaseAll)
	return err
}

func (s *sqlStore) Record(ctx context.Context, id int64, o outcome) error {
	_, err := s.db.ExecContext(ctx, s.q.record, o.State, o.Attempts, ms(o.NextAt), o.Status, o.Err, ms(o.Now), id)
	return err
}

func (s *sqlStore) Events(ctx context.Context, beforeID int64, limit int) ([]EventDeliveries, error) {
	rows, err := s.db.QueryContext(ctx, s.q.events, before(beforeID), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EventDeliveries
	index := map[int64]int{}
	for rows.Next() {
		var ed EventDeliveries
		var received int64
		if err := rows.Scan(eventDest(&ed.Event, &received)...); err != nil {
			return nil, err
		}
		ed.Received = fromMS(received)
		ed.Deliveries = []Delivery{}
		index[ed.ID] = len(out)
		out = append(out, ed)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	args := make([]any, 0, len(out))
	for _, ed := range out {
		args = append(args, ed.ID)
	}
	q := s.db.Rebind(`SELECT ` + deliveryCols + ` FROM webhook_deliveries d WHERE d.event_id IN (?` +
		strings.Repeat(", ?", len(args)-1) + `) ORDER BY d.id`)
	drows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer drows.Close()
	for drows.Next() {
		d, err := scanDelivery(drows)
		if err != nil {
			return nil, err
		}
		i := index[d.EventID]
		out[i].Deliveries = append(out[i].Deliveries, d)
	}
	return out, drows.Err()
}

func (s *sqlStore) DeadLetters(ctx context.Context, beforeID int64, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.q.deadLetters, before(beforeID), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		e := new(Event)
		var received int64
		d, err := scanDelivery(rows, eventDest(e, &received)...)
		if err != nil {
			return nil, err
		}
		e.Received, d.Event = fromMS(received), e
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *sqlStore) Redeliver(ctx context.Context, id int64, now time.Time, sinkOK func(string) bool) (Delivery, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Delivery{}, err
	}
	defer tx.Rollback()
	d, err := scanDelivery(tx.QueryRowContext(ctx, s.q.getDelivery, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Delivery{}, errNotFound
	case err != nil:
		return Delivery{}, err
	case d.State == StatePending:
		return d, errPending
	case !sinkOK(d.Sink):
		return d, errNoSink
	}
	if _, err := tx.ExecContext(ctx, s.q.redeliver, ms(now), ms(now), id); err != nil {
		return Delivery{}, err
	}
	d.State, d.Attempts, d.NextAt, d.LastError, d.LastStatus, d.Updated = StatePending, 0, now, "", 0, now
	return d, tx.Commit()
}

func (s *sqlStore) Prune(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q.prune, ms(cutoff), limit)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *sqlStore) Backlog(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM webhook_deliveries WHERE state <> 'delivered' GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{StatePending: 0, StateDead: 0}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		out[state] = n
	}
	return out, rows.Err()
}

func (s *sqlStore) Event(ctx context.Context, id int64) (EventDeliveries, error) {
	var ed EventDeliveries
	var received int64
	var body string
	err := s.db.QueryRowContext(ctx, s.q.event, id).Scan(append(eventDest(&ed.Event, &received), &body)...)
	if errors.Is(err, sql.ErrNoRows) {
		return ed, errNotFound
	}
	if err != nil {
		return ed, err
	}
	ed.Received, ed.Payload = fromMS(received), json.RawMessage(body)
	rows, err := s.db.QueryContext(ctx, s.q.eventDeliveries, id)
	if err != nil {
		return ed, err
	}
	defer rows.Close()
	ed.Deliveries = []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return ed, err
		}
		ed.Deliveries = append(ed.Deliveries, d)
	}
	return ed, rows.Err()
}
