package standalone

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/magnetar/magnetar/broker"
	"github.com/magnetar/magnetar/metrics"
)

// metricsHandler serves /metrics: the broker's topics in Pulsar's format, then the Go
// runtime and process collectors.
func metricsHandler(b *broker.Broker) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := metrics.Options{TopicLevel: b.Config().ExposeTopicLevelMetricsInPrometheus}
	return metrics.Handler(b.MetricsSnapshot, opts, reg)
}
