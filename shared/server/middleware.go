package server

import (
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hangar-ci/hangar/shared/reqlog"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hangar_http_requests_total",
			Help: "HTTP requests served, by service, status code and outcome.",
		}, []string{"service", "code", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hangar_http_request_duration_seconds",
			Help:    "Time to serve a request, by service.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"service"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// RequestIDHeader carries the request id, taken from the caller when it
// sends one (a proxy's) and echoed back.
const RequestIDHeader = "X-Request-Id"

func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); id != "" && len(id) <= 64 {
		return id
	}
	var b [8]byte
	v := rand.Uint64()
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return hex.EncodeToString(b[:])
}

// instrument wraps a service handler: request id, request-scoped logger,
// panic recovery, one access log line and the request metrics.
func instrument(service string, next http.Handler, logger *slog.Logger, m *metrics) http.Handler {
	base := logger.With(slog.String("service", service))
	latency := m.latency.WithLabelValues(service)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set(RequestIDHeader, id)
		// The request id is an annotation, so a logger carrying it is only
		// built when a handler actually logs.
		ctx := reqlog.New(r.Context(), base)
		reqlog.Annotate(ctx, slog.String("request_id", id))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				reqlog.From(ctx).Error("panic serving request", slog.Any("panic", p))
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			outcome := "ok"
			level := slog.LevelInfo
			switch {
			case status >= 500:
				outcome, level = "server_error", slog.LevelError
			case status >= 400:
				outcome, level = "client_error", slog.LevelWarn
			}
			latency.Observe(elapsed.Seconds())
			m.requests.WithLabelValues(service, strconv.Itoa(status), outcome).Inc()
			attrs := reqlog.AppendAttrs(ctx, make([]slog.Attr, 0, 16))
			attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000))
			base.LogAttrs(ctx, level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}
