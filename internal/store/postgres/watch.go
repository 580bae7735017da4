package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/auditkeep/auditkeep/internal/store"
)

// keyChannel is the LISTEN/NOTIFY channel revocations and new tenants are
// announced on. The payload is the revoked key's id, or "*" when anything
// may have changed.
const keyChannel = "auditkeep_keys"

// listenerName is the listening connection's application_name.
const listenerName = "auditkeep key listener"

// Reconnect back-off of the listener. Short, because while it is down
// every node's key cache is off and each request reads its key from the
// database.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
	// listenPing is how long the listener waits for a notification before
	// it checks that its connection is still alive: a connection cut
	// without a word (a dropped network path) is found within this time.
	listenPing = 5 * time.Second
)

var _ store.Watcher = (*Store)(nil)

// notifyKeys announces a change in the transaction that makes it: the
// notification is delivered on commit, and never for a rollback.
func notifyKeys(ctx context.Context, tx pgx.Tx, payload string) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, keyChannel, payload)
	return err
}

// WatchKeys implements store.Watcher: this process's changes are told at
// once by the writing methods; every process's (this one's again, which
// is harmless) arrive through LISTEN on a connection of its own,
// re-established whenever it is lost.
func (s *Store) WatchKeys(ctx context.Context, fn func(store.Change), health func(bool)) {
	remove := s.watchers.Add(fn)
	defer remove()
	wait := listenRetryMin
	for ctx.Err() == nil {
		start := time.Now()
		err := s.listen(ctx, fn, health)
		if ctx.Err() != nil {
			return
		}
		health(false)
		if time.Since(start) > listenRetryMax {
			wait = listenRetryMin
		}
		_ = err // the outage itself is what health(false) reports
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (s *Store) listen(ctx context.Context, fn func(store.Change), health func(bool)) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	// Named, so an operator (and the two-process test) can tell it in
	// pg_stat_activity.
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+keyChannel); err != nil {
		return err
	}
	// Changes made while nobody listened are unknown: the caller's cache
	// starts over from here.
	health(true)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if err := conn.Ping(ctx); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if id, err := uuid.Parse(n.Payload); err == nil {
			fn(store.Change{Key: id})
		} else {
			fn(store.Change{All: true})
		}
	}
}
