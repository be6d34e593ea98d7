package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsar/log"
)

// TestPrometheusScrapesPulsarMetrics points a real Prometheus (Debian's package) at
// standalone's /metrics and queries what Pulsar's dashboards query.
func TestPrometheusScrapesPulsarMetrics(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus not installed: run ./scripts/install-test-deps.sh")
	}
	s := startStandalone(t, t.TempDir())

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: s.ServiceURL(), Logger: log.DefaultNopLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	topic := "persistent://public/default/prom-topic"
	cons, err := client.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "prom-sub"})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	prod, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	for i := range 50 {
		if _, err := prod.Send(ctx, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprint("m", i))}); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	promPort := freePort(t)
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: broker\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n", s.webPort)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	prom := exec.Command(promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort))
	promLog, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	prom.Stdout, prom.Stderr = promLog, promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = prom.Process.Kill()
		_ = prom.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("prometheus log:\n%s", b)
		}
	})

	api := fmt.Sprintf("http://127.0.0.1:%d/api/v1/query", promPort)
	want := []struct {
		query string
		min   float64
	}{
		{`up{job="broker"}`, 1},
		{`pulsar_producers_count{cluster="standalone",namespace="public/default",topic="` + topic + `"}`, 1},
		{`pulsar_consumers_count{namespace="public/default",topic="` + topic + `"}`, 1},
		{`pulsar_in_messages_total{topic="` + topic + `"}`, 50},
		{`pulsar_subscriptions_count{topic="` + topic + `"}`, 1},
		{`sum(pulsar_topics_count{namespace="public/default"})`, 1},
	}
	for _, w := range want {
		var got float64
		var lastErr error
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			got, lastErr = promQuery(ctx, api, w.query)
			if lastErr == nil && got >= w.min {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if lastErr != nil || got < w.min {
			t.Errorf("Prometheus query %s = %v (err %v); want >= %v", w.query, got, lastErr, w.min)
		}
	}
}

// promQuery runs an instant query and returns the first sample's value.
func promQuery(ctx context.Context, api, q string) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api+"?query="+url.QueryEscape(q), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	if len(body.Data.Result) == 0 {
		return 0, fmt.Errorf("no samples")
	}
	var v float64
	_, err = fmt.Sscan(body.Data.Result[0].Value[1].(string), &v)
	return v, err
}
