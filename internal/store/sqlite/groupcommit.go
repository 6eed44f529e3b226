package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// maxGroup bounds how many transactions one commit carries.
const maxGroup = 128

// gatherWait is how long a group made only of transactions that may wait
// (a direct send's record: the receiver has its delivery, and nobody is
// answered from the record) waits for more before it begins, when the
// writer is busy (it committed within busyWindow). Each commit syncs the
// log and writes every page it changed, so records that would have been
// committed one by one at a few hundred a second share both. A
// transaction that may not wait (a publish, whose caller is waiting for
// its 202) ends the wait at once and joins the group. After a quiet spell
// a record commits at once: there is nothing to wait for.
const (
	gatherWait = 5 * time.Millisecond
	busyWindow = 100 * time.Millisecond
)

// errStoreClosed answers transactions that arrive after Close.
var errStoreClosed = errors.New("sqlite: store closed")

// txReq is one transaction waiting for a group commit.
type txReq struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	err error
	// gather says the transaction may wait up to gatherWait for others
	// to share its commit.
	gather bool
	// panicked holds what fn panicked with, re-raised in the caller.
	panicked any
	done     chan struct{}
}

// groupCommitter runs the store's transactions in shared database
// transactions: one commit, one sync, for all the transactions that queued
// while the previous commit held the writer. SQLite has one writer, so they
// ran one after another anyway; now they also share the commit. Each runs in
// a savepoint of its own: one that fails is rolled back alone, as if it had
// been a transaction of its own. A caller returns only once its work is
// committed, so durability is unchanged, and a later one sees the earlier
// ones' writes, as it would have one commit later.
type groupCommitter struct {
	store *Store
	reqs  chan *txReq
	stop  chan struct{}
	start sync.Once
	halt  sync.Once
	wg    sync.WaitGroup
	// gatherWait is the constant gatherWait; tests change it.
	gatherWait time.Duration
	// lastCommit is when the last group was committed (the loop's own).
	lastCommit time.Time
	// commits counts database transactions, for tests.
	commits int
}

func newGroupCommitter(s *Store) *groupCommitter {
	return &groupCommitter{store: s, reqs: make(chan *txReq), stop: make(chan struct{}), gatherWait: gatherWait}
}

// run runs fn in the next group commit and returns its error once the
// group is committed. fn must not start another transaction of the store.
func (g *groupCommitter) run(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return g.submit(&txReq{ctx: ctx, fn: fn, done: make(chan struct{})})
}

// runGathered is run for a transaction that may wait up to gatherWait for
// others to share its commit.
func (g *groupCommitter) runGathered(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return g.submit(&txReq{ctx: ctx, fn: fn, gather: true, done: make(chan struct{})})
}

// submit queues r for the next group commit and returns its error once
// the group is committed.
func (g *groupCommitter) submit(r *txReq) error {
	g.start.Do(func() {
		g.wg.Add(1)
		go g.loop()
	})
	ctx := r.ctx
	select {
	case g.reqs <- r:
	case <-g.stop:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	<-r.done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// close stops the loop once the group in progress is committed.
func (g *groupCommitter) close() {
	g.halt.Do(func() { close(g.stop) })
	g.wg.Wait()
}

func (g *groupCommitter) loop() {
	defer g.wg.Done()
	for {
		select {
		case r := <-g.reqs:
			g.commitGroup(r)
		case <-g.stop:
			return
		}
	}
}

// commitGroup begins a transaction for first (waiting for the writer),
// takes every transaction that queued meanwhile, and commits them together.
// The database transaction is no caller's: one caller's context ending
// must not roll back the others' work. Each fn runs with its own context.
func (g *groupCommitter) commitGroup(first *txReq) {
	group := []*txReq{first}
	if first.gather && time.Since(g.lastCommit) < busyWindow {
		group = g.gather(group)
	}
	err := g.store.InSQLTx(context.WithoutCancel(first.ctx), func(tx *sql.Tx) error {
	drain:
		for len(group) < maxGroup {
			select {
			case r := <-g.reqs:
				group = append(group, r)
			default:
				break drain
			}
		}
		for i, r := range group {
			if err := runInSavepoint(tx, i, r); err != nil {
				return err // the transaction is in doubt: roll it all back
			}
		}
		return nil
	})
	g.commits++
	g.lastCommit = time.Now()
	for _, r := range group {
		if err != nil && r.err == nil && r.panicked == nil {
			r.err = err
		}
		close(r.done)
	}
}

// gather adds to group, made of transactions that may wait, those that
// arrive within gatherWait, until one arrives that may not wait, the group
// is full, or the committer stops.
func (g *groupCommitter) gather(group []*txReq) []*txReq {
	timer := time.NewTimer(g.gatherWait)
	defer timer.Stop()
	for len(group) < maxGroup {
		select {
		case r := <-g.reqs:
			group = append(group, r)
			if !r.gather {
				return group
			}
		case <-timer.C:
			return group
		case <-g.stop:
			return group
		}
	}
	return group
}

// runInSavepoint runs r.fn inside savepoint number i of tx, rolling back to
// it if fn fails or panics (r.err, r.panicked). A savepoint that cannot be
// taken, rolled back or released leaves the transaction in doubt: that is
// the error returned.
func runInSavepoint(tx *sql.Tx, i int, r *txReq) error {
	name := fmt.Sprintf("grouped_%d", i)
	bg := context.WithoutCancel(r.ctx)
	if _, err := tx.ExecContext(bg, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("sqlite: savepoint: %w", err)
	}
	r.err, r.panicked = callFn(tx, r)
	if r.err != nil || r.panicked != nil {
		if _, err := tx.ExecContext(bg, "ROLLBACK TO "+name); err != nil {
			return fmt.Errorf("sqlite: rollback to savepoint: %w", err)
		}
	}
	if _, err := tx.ExecContext(bg, "RELEASE "+name); err != nil {
		return fmt.Errorf("sqlite: release savepoint: %w", err)
	}
	return nil
}

// callFn calls r.fn, catching a panic so that it reaches r's caller rather
// than ending the committer.
func callFn(tx *sql.Tx, r *txReq) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return r.fn(tx), nil
}
