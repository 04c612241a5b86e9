package webhook

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	events     *prometheus.CounterVec
	deliveries *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, st store) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_webhook_events_total",
			Help: "Webhook events received, by event, action and result (stored, duplicate, synthesised).",
		}, []string{"event", "action", "result"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_webhook_delivery_attempts_total",
			Help: "Delivery attempts by sink and the state they left the delivery in (delivered, pending = will retry, dead).",
		}, []string{"sink", "state"}),
	}
	for _, c := range []prometheus.Collector{m.events, m.deliveries, backlog{st}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// backlog reports the deliveries not yet made, read from the store at
// scrape time so every replica reports the shared truth.
type backlog struct{ st store }

var backlogDesc = prometheus.NewDesc("hangar_webhook_deliveries",
	"Deliveries not yet made, by state: pending (will be attempted) and dead (need a redelivery).", []string{"state"}, nil)

func (b backlog) Describe(ch chan<- *prometheus.Desc) { ch <- backlogDesc }

func (b backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := b.st.Backlog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(backlogDesc, err)
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(n), state)
	}
}
