package webhook

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	events     *prometheus.CounterVec
	deliveries *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_webhook_events_total",
			Help: "Webhook events received, by event, action and result (stored, duplicate).",
		}, []string{"event", "action", "result"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_webhook_delivery_attempts_total",
			Help: "Delivery attempts by sink and the state they left the delivery in (delivered, pending = will retry, dead).",
		}, []string{"sink", "state"}),
	}
	for _, c := range []prometheus.Collector{m.events, m.deliveries} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
