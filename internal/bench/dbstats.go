package bench

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
)

// DBStats is how the server's database connections were used during the
// load: evidence of whether the database, rather than the CPU, holds the
// pipeline back.
type DBStats struct {
	// MaxConns is the connection limit: 1 for SQLite (one writer), the
	// pool size for PostgreSQL.
	MaxConns int `json:"maxConns"`
	// ConnBusy is the mean fraction of the connections in use, sampled
	// every 5 ms.
	ConnBusy float64 `json:"connBusy"`
	// WaitCount is how many times a query waited for a connection, and
	// AvgWaiters the mean number of goroutines waiting (total wait time /
	// load time).
	WaitCount  int64   `json:"waitCount"`
	AvgWaiters float64 `json:"avgWaiters"`
	// DeliveryJobs are the queue's delivery jobs, and Snoozes the times
	// they were snoozed (River's metadata): a delivery refused by its
	// subscription's in-flight limit, or a retry, is one snooze, and costs
	// a database write.
	DeliveryJobs int64 `json:"deliveryJobs"`
	Snoozes      int64 `json:"snoozes"`
	// Reads is the same for SQLite's read pool, which serves the reads
	// made outside transactions (nil on PostgreSQL, whose one pool serves
	// both).
	Reads *PoolStats `json:"reads,omitempty"`
}

// PoolStats is how one pool of connections was used during the load; its
// fields mean what DBStats's of the same names do.
type PoolStats struct {
	MaxConns   int     `json:"maxConns"`
	ConnBusy   float64 `json:"connBusy"`
	WaitCount  int64   `json:"waitCount"`
	AvgWaiters float64 `json:"avgWaiters"`
}

// dbMonitor samples the server's connection use.
type dbMonitor struct {
	db   *sql.DB
	pool *pgxpool.Pool
	// reads is SQLite's read pool, sampled beside the writer.
	reads *readSampler

	startCount int64
	startWait  time.Duration
	mu         sync.Mutex
	samples    int
	inUse      int64
	stop       chan struct{}
	done       chan struct{}
}

// newDBMonitor returns a monitor for the backend, nil if it has no way in.
func newDBMonitor(backend any) *dbMonitor {
	m := &dbMonitor{}
	switch b := backend.(type) {
	case interface{ DB() *sql.DB }:
		m.db = b.DB()
		if r, ok := backend.(interface{ ReadPoolStats() sql.DBStats }); ok {
			m.reads = &readSampler{stats: r.ReadPoolStats}
		}
	case interface{ Pool() *pgxpool.Pool }:
		m.pool = b.Pool()
	default:
		return nil
	}
	return m
}

func (m *dbMonitor) stat() (inUse, maxConns int, waits int64, waited time.Duration) {
	if m.db != nil {
		s := m.db.Stats()
		return s.InUse, s.MaxOpenConnections, s.WaitCount, s.WaitDuration
	}
	s := m.pool.Stat()
	return int(s.AcquiredConns()), int(s.MaxConns()), s.EmptyAcquireCount(), s.EmptyAcquireWaitTime()
}

func (m *dbMonitor) start() {
	if m == nil {
		return
	}
	_, _, m.startCount, m.startWait = m.stat()
	m.reads.start()
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				n, _, _, _ := m.stat()
				m.mu.Lock()
				m.samples++
				m.inUse += int64(n)
				m.mu.Unlock()
				m.reads.sample()
			}
		}
	}()
}

// finish stops sampling and returns the figures over wall.
func (m *dbMonitor) finish(wall time.Duration) *DBStats {
	if m == nil {
		return nil
	}
	close(m.stop)
	<-m.done
	_, maxConns, count, waited := m.stat()
	s := &DBStats{MaxConns: maxConns, WaitCount: count - m.startCount}
	if wall > 0 {
		s.AvgWaiters = (waited - m.startWait).Seconds() / wall.Seconds()
	}
	m.mu.Lock()
	if m.samples > 0 && maxConns > 0 {
		s.ConnBusy = float64(m.inUse) / float64(m.samples*maxConns)
	}
	m.mu.Unlock()
	s.Reads = m.reads.finish(wall)
	return s
}

// readSampler samples a database/sql pool's use; the monitor's goroutine
// calls sample, so it needs no lock of its own.
type readSampler struct {
	stats   func() sql.DBStats
	start0  sql.DBStats
	samples int
	inUse   int64
}

func (r *readSampler) start() {
	if r != nil {
		r.start0 = r.stats()
	}
}

func (r *readSampler) sample() {
	if r != nil {
		r.samples++
		r.inUse += int64(r.stats().InUse)
	}
}

func (r *readSampler) finish(wall time.Duration) *PoolStats {
	if r == nil {
		return nil
	}
	end := r.stats()
	p := &PoolStats{MaxConns: end.MaxOpenConnections, WaitCount: end.WaitCount - r.start0.WaitCount}
	if wall > 0 {
		p.AvgWaiters = (end.WaitDuration - r.start0.WaitDuration).Seconds() / wall.Seconds()
	}
	if r.samples > 0 && p.MaxConns > 0 {
		p.ConnBusy = float64(r.inUse) / float64(r.samples*p.MaxConns)
	}
	return p
}

// snoozes counts the delivery jobs and their snoozes.
func (m *dbMonitor) snoozes(ctx context.Context, s *DBStats) {
	if m == nil || s == nil {
		return
	}
	kind := jobs.Deliver{}.Kind()
	if m.db != nil {
		_ = m.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(json_extract(metadata, '$.snoozes')), 0)
			FROM river_job WHERE kind = ?`, kind).Scan(&s.DeliveryJobs, &s.Snoozes)
		return
	}
	_ = m.pool.QueryRow(ctx, `SELECT count(*), COALESCE(SUM((metadata->>'snoozes')::bigint), 0)::bigint
		FROM river_job WHERE kind = $1`, kind).Scan(&s.DeliveryJobs, &s.Snoozes)
}
