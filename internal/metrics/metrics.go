// Package metrics exposes ivvy-notify's Prometheus metrics on the admin
// listener's /metrics. Labels are bounded: outcome classes and results,
// never URLs, subscriptions or accounts.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ivvy-notify/ivvy-notify/internal/delivery"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

const namespace = "ivvy_notify"

// Metrics holds the server's metrics.
type Metrics struct {
	registry        *prometheus.Registry
	eventsPublished prometheus.Counter
	deliveriesMade  prometheus.Counter
	attempts        *prometheus.CounterVec
	attemptDuration *prometheus.HistogramVec
	direct          *prometheus.CounterVec
}

// StatsFunc reads the delivery queue's state at scrape time.
type StatsFunc func(ctx context.Context) (*store.DeliveryStats, error)

// New registers every metric; stats feeds the queue gauges.
func New(stats StatsFunc, log *slog.Logger) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		eventsPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_published_total", Help: "Events accepted by publish (duplicates of a txnId excluded).",
		}),
		deliveriesMade: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_created_total", Help: "Deliveries created by publishing (one per confirmed subscription).",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "delivery_attempts_total",
			Help: "Delivery attempts by outcome class (delivered, retry, fail, forbidden) and the delivery's resulting status (delivered, pending, dead).",
		}, []string{"outcome", "result"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "delivery_attempt_duration_seconds", Help: "Duration of delivery attempts, by outcome class.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30},
		}, []string{"outcome"}),
		direct: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "direct_sends_total",
			Help: "Deliveries offered to direct sends (first attempt right after the publish, without the queue), by result: sent, released (to the queue: paused, busy gate, shutdown), no_room (all direct sends taken).",
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.eventsPublished, m.deliveriesMade, m.attempts, m.attemptDuration, m.direct,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&queueCollector{stats: stats, log: log})
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Published counts one publish call's new events and deliveries.
func (m *Metrics) Published(events, deliveries int) {
	m.eventsPublished.Add(float64(events))
	m.deliveriesMade.Add(float64(deliveries))
}

// Attempt records one delivery attempt.
func (m *Metrics) Attempt(o delivery.Outcome, result store.DeliveryStatus) {
	m.attempts.WithLabelValues(o.Class.String(), string(result)).Inc()
	m.attemptDuration.WithLabelValues(o.Class.String()).Observe(o.Duration.Seconds())
}

// Direct counts n deliveries offered to direct sends with result.
func (m *Metrics) Direct(result string, n int) {
	m.direct.WithLabelValues(result).Add(float64(n))
}

// queueCollector reads the queue's gauges from the store at scrape time,
// so every node reports the same, database-wide values.
type queueCollector struct {
	stats StatsFunc
	log   *slog.Logger
}

var (
	pendingDesc = prometheus.NewDesc(namespace+"_deliveries_pending", "Deliveries waiting to be delivered (queue depth).", nil, nil)
	deadDesc    = prometheus.NewDesc(namespace+"_dead_letters", "Deliveries in the dead-letter store.", nil, nil)
	oldestDesc  = prometheus.NewDesc(namespace+"_oldest_pending_delivery_age_seconds", "Age of the oldest pending delivery; 0 when none.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- deadDesc
	ch <- oldestDesc
}

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.stats(ctx)
	if err != nil {
		c.log.Warn("metrics: delivery stats", "err", err)
		return
	}
	age := 0.0
	if st.OldestPending != nil {
		age = time.Since(*st.OldestPending).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(st.Dead))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}
