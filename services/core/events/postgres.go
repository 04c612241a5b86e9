package events

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// channelPrefix starts the PostgreSQL notification channel every replica
// listens on; the schema's name ends it, so deployments (and tests)
// sharing a database in separate schemas do not wake each other. A
// notification's payload is a topic ("queue", "build:7", "step:9"): ids
// only, the data stays in the tables.
const channelPrefix = "hangar_events_"

// Postgres is the Bus of replicas sharing one PostgreSQL database: a
// publish is a NOTIFY, and one connection per process LISTENs and wakes
// the local subscribers of each topic it hears. When that connection is
// lost it is opened again and every local subscriber is woken, so a
// notification sent meanwhile only delays a waiter, which re-reads the
// database, and never loses it.
type Postgres struct {
	local   *Local
	db      *sql.DB
	log     *slog.Logger
	up      atomic.Bool
	pid     atomic.Uint32 // the listening backend's
	channel string
	// Retry is the pause before opening a lost listener again.
	Retry time.Duration
}

// NewPostgres returns a bus over db (opened with the pgx driver) and
// starts its listener, which runs until ctx ends.
func NewPostgres(ctx context.Context, db *sql.DB, log *slog.Logger) (*Postgres, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("listener channel: %w", err)
	}
	p := &Postgres{local: NewLocal(), db: db, log: log, Retry: time.Second, channel: channelName(schema)}
	go p.listen(ctx)
	return p, nil
}

// Publish wakes the topic's subscribers in this process at once and, by
// NOTIFY, those of every replica (this one's listener hears it too; the
// wake-ups merge). A failed NOTIFY is logged, not returned: the change it
// announces is already stored, the other replicas' safety-net reads find
// it, and an error would make a runner send again what was kept.
func (p *Postgres) Publish(ctx context.Context, topic string) error {
	p.local.Publish(ctx, topic)
	if _, err := p.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", p.channel, topic); err != nil {
		p.log.Warn("NOTIFY failed; other replicas will find the change by reading", slog.String("topic", topic), slog.String("error", err.Error()))
	}
	return nil
}

// Subscribe registers a waiter on topic in this process.
func (p *Postgres) Subscribe(topic string) (<-chan struct{}, func()) {
	return p.local.Subscribe(topic)
}

// Ready fails while the listener connection is down: this replica would
// miss the other replicas' wake-ups.
func (p *Postgres) Ready(context.Context) error {
	if !p.up.Load() {
		return errors.New("the PostgreSQL listener is not connected")
	}
	return nil
}

// Interrupt closes the listener's connection from the server side, as a
// network failure or a PostgreSQL restart would (tests use it).
func (p *Postgres) Interrupt(ctx context.Context) error {
	pid := p.pid.Load()
	if pid == 0 {
		return errors.New("the listener is not connected")
	}
	_, err := p.db.ExecContext(ctx, "SELECT pg_terminate_backend($1)", int64(pid))
	return err
}

// listen keeps one connection listening until ctx ends.
func (p *Postgres) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := p.session(ctx)
		p.up.Store(false)
		if ctx.Err() != nil {
			return
		}
		if err != nil && err.Error() == "sql: database is closed" {
			return
		}
		p.log.Warn("PostgreSQL listener lost; reconnecting", slog.String("error", fmt.Sprint(err)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(p.Retry):
		}
	}
}

// session LISTENs on one pooled connection, then wakes every local
// waiter (the re-scan) and relays notifications until the connection
// fails. The connection is never returned to the pool: it still listens.
func (p *Postgres) session(ctx context.Context) error {
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listener needs the pgx driver, got %T", dc)
		}
		pc := c.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{p.channel}.Sanitize()); err != nil {
			return fmt.Errorf("%w: %v", driver.ErrBadConn, err)
		}
		p.pid.Store(pc.PgConn().PID())
		p.up.Store(true)
		p.local.Wake()
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return fmt.Errorf("%w: %v", driver.ErrBadConn, err)
			}
			p.local.Publish(ctx, n.Payload)
		}
	})
}

// channelName is the channel of schema. PostgreSQL's identifiers, and so
// channel names, hold at most 63 bytes: a longer schema name is replaced
// by its hash.
func channelName(schema string) string {
	name := channelPrefix + schema
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(schema))
	return channelPrefix + hex.EncodeToString(sum[:16])
}
