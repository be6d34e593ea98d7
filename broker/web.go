package broker

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/magnetar/magnetar/admin"
	"github.com/magnetar/magnetar/metrics"
	"github.com/magnetar/magnetar/schema"
)

// WebHandler is the broker's HTTP service (webServicePort): /metrics in Pulsar's format,
// the admin REST API under /admin/ (schemas included when the broker has a registry) and
// HTTP lookups under /lookup/. extra collectors (an in-process bookie's) join /metrics.
// More routes can be added to the returned mux.
func (b *Broker) WebHandler(extra ...prometheus.Collector) *http.ServeMux {
	mux := http.NewServeMux()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(extra...)
	opts := metrics.Options{TopicLevel: b.cfg.ExposeTopicLevelMetricsInPrometheus}
	mux.Handle("GET /metrics", metrics.Handler(b.MetricsSnapshot, opts, reg))
	api := admin.New(b.res, b.AdminAPI())
	if b.schemas != nil {
		api.Handle("/admin/v2/schemas/", schema.Handler(b.schemas, b))
	}
	mux.Handle("/admin/", api)
	mux.Handle("/lookup/", api)
	return mux
}
