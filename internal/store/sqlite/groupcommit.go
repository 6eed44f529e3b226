package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// maxGroup bounds how many attempt records one commit carries.
const maxGroup = 128

// errStoreClosed answers records that arrive after Close.
var errStoreClosed = errors.New("sqlite: store closed")

// recordReq is one DeliveryRecordAttempt waiting for a group commit.
type recordReq struct {
	ctx  context.Context
	p    store.DeliveryAttemptParams
	d    *store.Delivery
	err  error
	done chan struct{}
}

// groupCommitter writes the attempt records of concurrent deliveries in
// shared transactions: one commit, one sync, for all the records that
// queued while the previous commit held the writer. Each record sits in a
// savepoint of its own, so one that fails is rolled back alone. A caller
// returns only once its record is committed: durability is unchanged.
type groupCommitter struct {
	store *Store
	reqs  chan *recordReq
	stop  chan struct{}
	start sync.Once
	halt  sync.Once
	wg    sync.WaitGroup
	// commits counts transactions, for tests.
	commits int
}

func newGroupCommitter(s *Store) *groupCommitter {
	return &groupCommitter{store: s, reqs: make(chan *recordReq), stop: make(chan struct{})}
}

// record queues p for the next group commit and waits for its result.
func (g *groupCommitter) record(ctx context.Context, p store.DeliveryAttemptParams) (*store.Delivery, error) {
	g.start.Do(func() {
		g.wg.Add(1)
		go g.loop()
	})
	r := &recordReq{ctx: ctx, p: p, done: make(chan struct{})}
	select {
	case g.reqs <- r:
	case <-g.stop:
		return nil, errStoreClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	<-r.done
	return r.d, r.err
}

// close stops the loop; records already queued are finished first.
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
// takes every record that queued meanwhile, and commits them together.
func (g *groupCommitter) commitGroup(first *recordReq) {
	group := []*recordReq{first}
	err := g.store.InSQLTx(first.ctx, func(tx *sql.Tx) error {
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
			var err error
			if r.d, r.err, err = recordInSavepoint(r.ctx, tx, i, r.p); err != nil {
				return err // the transaction is in doubt: roll it all back
			}
		}
		return nil
	})
	g.commits++
	for _, r := range group {
		if err != nil {
			r.d, r.err = nil, err
		}
		close(r.done)
	}
}

// recordInSavepoint records p inside savepoint number i of tx, rolling
// back to it if the record fails (err). A savepoint that cannot be taken,
// rolled back or released leaves the transaction in doubt (fatal).
func recordInSavepoint(ctx context.Context, tx *sql.Tx, i int, p store.DeliveryAttemptParams) (d *store.Delivery, err, fatal error) {
	name := fmt.Sprintf("record_%d", i)
	bg := context.WithoutCancel(ctx)
	if _, err := tx.ExecContext(bg, "SAVEPOINT "+name); err != nil {
		return nil, nil, fmt.Errorf("sqlite: savepoint: %w", err)
	}
	d, err = recordAttempt(ctx, tx, p)
	if err != nil {
		if _, rerr := tx.ExecContext(bg, "ROLLBACK TO "+name); rerr != nil {
			return nil, nil, fmt.Errorf("sqlite: rollback to savepoint: %w", rerr)
		}
	}
	if _, rerr := tx.ExecContext(bg, "RELEASE "+name); rerr != nil {
		return nil, nil, fmt.Errorf("sqlite: release savepoint: %w", rerr)
	}
	return d, err, nil
}
