package bench

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
)

// DBStats is how the server's database connections were used during the
// load: evidence of whether the database, rather than the CPU, holds the
// pipeline back. Its pool figures are the writer's on SQLite (MaxConns 1,
// one writer) and the one pool's on PostgreSQL.
type DBStats struct {
	PoolStats
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

// PoolStats is how one pool of connections was used during the load.
type PoolStats struct {
	// MaxConns is the pool's connection limit.
	MaxConns int `json:"maxConns"`
	// ConnBusy is the mean fraction of the connections in use, sampled
	// every 5 ms.
	ConnBusy float64 `json:"connBusy"`
	// WaitCount is how many times a query waited for a connection, and
	// AvgWaiters the mean number of goroutines waiting (total wait time /
	// load time).
	WaitCount  int64   `json:"waitCount"`
	AvgWaiters float64 `json:"avgWaiters"`
}

// dbMonitor samples the server's connection use.
type dbMonitor struct {
	db   *sql.DB
	pool *pgxpool.Pool
	// conns is the writer (SQLite) or the pool (PostgreSQL); reads is
	// SQLite's read pool, nil on PostgreSQL.
	conns, reads *poolSampler
	stop, done   chan struct{}
}

// newDBMonitor returns a monitor for the backend, nil if it has no way in.
func newDBMonitor(backend any) *dbMonitor {
	m := &dbMonitor{}
	switch b := backend.(type) {
	case interface{ DB() *sql.DB }:
		m.db = b.DB()
		m.conns = &poolSampler{stat: sqlPoolStat(m.db.Stats)}
		if r, ok := backend.(interface{ ReadPoolStats() sql.DBStats }); ok {
			m.reads = &poolSampler{stat: sqlPoolStat(r.ReadPoolStats)}
		}
	case interface{ Pool() *pgxpool.Pool }:
		m.pool = b.Pool()
		m.conns = &poolSampler{stat: func() poolStat {
			s := m.pool.Stat()
			return poolStat{int(s.AcquiredConns()), int(s.MaxConns()), s.EmptyAcquireCount(), s.EmptyAcquireWaitTime()}
		}}
	default:
		return nil
	}
	return m
}

func (m *dbMonitor) start() {
	if m == nil {
		return
	}
	m.conns.begin()
	m.reads.begin()
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
				m.conns.sample()
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
	<-m.done // the samplers are this goroutine's again
	return &DBStats{PoolStats: *m.conns.finish(wall), Reads: m.reads.finish(wall)}
}

// poolStat is one reading of a pool: connections in use, the limit, and
// the waits for a connection so far.
type poolStat struct {
	inUse, maxConns int
	waits           int64
	waited          time.Duration
}

// sqlPoolStat reads a database/sql pool through stats.
func sqlPoolStat(stats func() sql.DBStats) func() poolStat {
	return func() poolStat {
		s := stats()
		return poolStat{s.InUse, s.MaxOpenConnections, s.WaitCount, s.WaitDuration}
	}
}

// poolSampler accumulates one pool's readings; a nil one does nothing.
// Only the monitor's goroutine samples, between begin and finish.
type poolSampler struct {
	stat    func() poolStat
	first   poolStat
	samples int
	inUse   int64
}

func (p *poolSampler) begin() {
	if p != nil {
		p.first = p.stat()
	}
}

func (p *poolSampler) sample() {
	if p != nil {
		p.samples++
		p.inUse += int64(p.stat().inUse)
	}
}

// finish returns the pool's figures from begin to now, over wall.
func (p *poolSampler) finish(wall time.Duration) *PoolStats {
	if p == nil {
		return nil
	}
	end := p.stat()
	s := &PoolStats{MaxConns: end.maxConns, WaitCount: end.waits - p.first.waits}
	if wall > 0 {
		s.AvgWaiters = (end.waited - p.first.waited).Seconds() / wall.Seconds()
	}
	if p.samples > 0 && s.MaxConns > 0 {
		s.ConnBusy = float64(p.inUse) / float64(p.samples*s.MaxConns)
	}
	return s
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
