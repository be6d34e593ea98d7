// Package pythone2e runs programs of the official Pulsar Python client (pulsar-client,
// which wraps the C++ client; run.sh, *.py; the version is pinned in requirements.txt)
// against a standalone started in the test process. It needs python3 with venv: run.sh
// pip-installs the client into a venv the first time.
package pythone2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/magnetar/magnetar/standalone"
	"github.com/magnetar/magnetar/standalone/standalonetest"
)

// TestPythonClient runs each program against one standalone; every program works on its
// own topics, prints its results line by line and "OK" last, and exits non-zero when a
// check of its own fails.
func TestPythonClient(t *testing.T) {
	srv := startStandalone(t)
	// The first run may install the client: do it before the timed programs.
	runPy(t, 5*time.Minute, "version")

	t.Run("ProduceConsume", func(t *testing.T) {
		out := runPy(t, time.Minute, "produce_consume", srv.BrokerURL,
			"persistent://public/default/py-produce-consume", "200")
		expect(t, out, "sent 400", "received 400", "acked backlog empty", "re-read 400", "OK")
	})
	t.Run("ReaderSeek", func(t *testing.T) {
		out := runPy(t, time.Minute, "reader_seek", srv.BrokerURL,
			"persistent://public/default/py-reader-seek", "50")
		expect(t, out, "sent 50", "reader read 50", "reader after id read 24", "inclusive reader read 25",
			"seek earliest redelivered 50", "seek id redelivered 24", "inclusive seek id redelivered 25", "OK")
	})
	t.Run("Schema", func(t *testing.T) {
		out := runPy(t, time.Minute, "schema", srv.BrokerURL, "persistent://public/default/py-schema", "20")
		expect(t, out, "string round trip 20", "json round trip 20", "incompatible refused", "OK")
		// The schema the Python producer registered is the one the admin API shows.
		var info struct {
			Type    string `json:"type"`
			Version int64  `json:"version"`
			Data    string `json:"data"`
		}
		getJSON(t, srv.WebURL+"/admin/v2/schemas/public/default/py-schema-json/schema", &info)
		if info.Type != "JSON" || info.Version != 0 || !strings.Contains(info.Data, `"name": "Reading"`) ||
			!strings.Contains(info.Data, `"sensor"`) {
			t.Errorf("schema of py-schema-json: %+v, want JSON version 0 of the Reading record", info)
		}
	})
	t.Run("NackDeadLetter", func(t *testing.T) {
		out := runPy(t, time.Minute, "nack_dlq", srv.BrokerURL, "persistent://public/default/py-nack")
		expect(t, out, "nack redelivered", "dlq received", "dlq not redelivered", "OK")
		// The client acknowledged what it dead-lettered: nothing is left on the source.
		var stats struct {
			Subscriptions map[string]struct {
				MsgBacklog int64 `json:"msgBacklog"`
			} `json:"subscriptions"`
		}
		getJSON(t, srv.WebURL+"/admin/v2/persistent/public/default/py-nack-dlq-source/stats", &stats)
		if sub, ok := stats.Subscriptions["py-dlq"]; !ok || sub.MsgBacklog != 0 {
			t.Errorf("subscription py-dlq after dead-lettering: %+v (present %v), want a backlog of 0", sub, ok)
		}
	})
	t.Run("Partitioned", func(t *testing.T) {
		createPartitioned(t, srv.WebURL, "py-partitioned", 3)
		out := runPy(t, time.Minute, "partitioned", srv.BrokerURL,
			"persistent://public/default/py-partitioned", "3", "60")
		expect(t, out, "partitions 3", "received 120", "spread 20/20/20", "partition reader read all", "OK")
		// Pulsar puts the partition index in CommandMessage.message_id (and in
		// GetLastMessageIdResponse); the C++ client takes a received id's partition from
		// there, and its MessageId equality includes it.
		if !strings.Contains(out, "message ids carry their partition\n") {
			t.Errorf("received message ids on a partitioned topic lack their partition index: the broker " +
				"leaves CommandMessage.message_id.partition unset (broker/dispatch.go, dispatchEntryLocked)")
		}
	})
	t.Run("Compression", func(t *testing.T) {
		out := runPy(t, time.Minute, "compression", srv.BrokerURL, "persistent://public/default/py-compression", "20")
		var want []string
		for _, codec := range []string{"LZ4", "ZLib", "ZSTD", "SNAPPY"} {
			want = append(want, codec+" batched 20", codec+" single 20")
		}
		expect(t, out, append(want, "OK")...)
	})
	t.Run("Chunking", func(t *testing.T) {
		out := runPy(t, time.Minute, "chunking", srv.BrokerURL, "persistent://public/default/py-chunking")
		expect(t, out, "chunked sent", "chunked received 12582912 bytes", "oversized refused MessageTooBig",
			"producer usable after refusal", "OK")
	})
	t.Run("KeySharedFailover", func(t *testing.T) {
		out := runPy(t, time.Minute, "subscriptions", srv.BrokerURL, "persistent://public/default/py-subscriptions", "200")
		expect(t, out, "key_shared delivered 200 once", "key_shared per-key order kept", "failover active got 200",
			"failover moved 200", "OK")
	})
	t.Run("DelayedDelivery", func(t *testing.T) {
		out := runPy(t, time.Minute, "delayed", srv.BrokerURL, "persistent://public/default/py-delayed")
		expect(t, out, "undelayed first", "deliver_after held", "deliver_after delivered", "deliver_at held",
			"deliver_at delivered", "OK")
	})
	t.Run("Batch", func(t *testing.T) {
		out := runPy(t, time.Minute, "batch", srv.BrokerURL, "persistent://public/default/py-batch")
		// With batch index acks the broker's ack_set filters the acked indexes out of the
		// redelivered entry: the nacked message and the one still pending come back.
		expect(t, out, "metadata round trip 10", "batch index ack: redelivered b-3,b-6",
			"entry ack: redelivered b-0,b-1,b-2,b-3,b-4,b-5,b-6,b-7,b-8,b-9", "acked after redelivery", "OK")
	})
	t.Run("SeekTimeAvailability", func(t *testing.T) {
		out := runPy(t, time.Minute, "seek_time", srv.BrokerURL, "persistent://public/default/py-seek-time", "20")
		expect(t, out, "empty topic unavailable", "available after send", "unavailable after reading all",
			"latest readers agree", "last message id matches", "seek time redelivered 21",
			"seek time zero redelivered 41", "batched availability right", "OK")
	})
	t.Run("Deduplication", func(t *testing.T) {
		// A namespace of its own: deduplication stays off for the other subtests' topics.
		// Pulsar's admin API enables it with a POST of true (pulsar-admin namespaces
		// set-deduplication --enable).
		adminDo(t, http.MethodPut, srv.WebURL+"/admin/v2/namespaces/public/py-dedup", "{}")
		adminDo(t, http.MethodPost, srv.WebURL+"/admin/v2/namespaces/public/py-dedup/deduplication", "true")
		out := runPy(t, time.Minute, "dedup", srv.BrokerURL, srv.WebURL, "persistent://public/py-dedup/py-dedup")
		expect(t, out, "last sequence id 4", "recreated last sequence id 4", "reconnected last sequence id 5",
			"auto sequence continues at 6", "resend not stored", "stored once 7", "OK")
	})
	t.Run("UnsubscribeMissingNamespace", func(t *testing.T) {
		out := runPy(t, time.Minute, "lifecycle", srv.BrokerURL, "persistent://public/default/py-lifecycle",
			"persistent://public/py-no-such-namespace/t", "persistent://py-no-such-tenant/ns/t")
		want := []string{"unsubscribed", "resubscribed from latest", "shared unsubscribe refused ConsumerBusy"}
		for _, where := range []string{"namespace", "tenant"} {
			for _, what := range []string{"producer", "consumer", "reader"} {
				want = append(want, what+" on missing "+where+" refused")
			}
		}
		expect(t, out, append(want, "OK")...)
		var stats struct {
			Subscriptions map[string]json.RawMessage `json:"subscriptions"`
		}
		getJSON(t, srv.WebURL+"/admin/v2/persistent/public/default/py-lifecycle/stats", &stats)
		if _, ok := stats.Subscriptions["py-unsub-shared"]; ok {
			t.Errorf("subscription py-unsub-shared still listed after its last consumer unsubscribed")
		}
	})
}

// runPy runs run.sh <prog> <args...> and returns its standard output; a non-zero exit
// fails the test with the tail of its standard error (the C++ client's log).
func runPy(t *testing.T, limit time.Duration, prog string, args ...string) string {
	t.Helper()
	return standalonetest.RunScript(t, limit, "./run.sh", append([]string{prog}, args...)...)
}

// expect checks that out has each of the lines want.
func expect(t *testing.T, out string, want ...string) {
	t.Helper()
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("output lacks the line %q", w)
		}
	}
}

// createPartitioned makes a partitioned topic through the admin REST API, as a user's
// pulsar-admin topics create-partitioned-topic does.
func createPartitioned(t *testing.T, webURL, topic string, partitions int) {
	t.Helper()
	url := fmt.Sprintf("%s/admin/v2/persistent/public/default/%s/partitions", strings.TrimSuffix(webURL, "/"), topic)
	adminDo(t, http.MethodPut, url, fmt.Sprint(partitions))
}

// adminDo sends a JSON body to the admin API and fails the test unless it succeeds.
func adminDo(t *testing.T, method, url, body string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s %s", method, url, resp.Status, answer)
	}
}

// getJSON decodes the answer of a GET on the admin API into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// startStandalone runs standalone in this process on free ports until the test ends.
func startStandalone(t *testing.T) *standalone.Server {
	t.Helper()
	return standalonetest.Start(t, t.TempDir())
}
