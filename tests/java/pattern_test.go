// Package javae2e runs programs of the Pulsar Java client (run.sh, PatternConsumer.java;
// the client's version is in pom.xml) against a standalone started in the test process.
// It needs a JDK 17+ and Maven: run.sh fetches the client through Maven the first time.
package javae2e

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/sirupsen/logrus"

	"github.com/magnetar/magnetar/standalone"
	"github.com/magnetar/magnetar/standalone/standalonetest"
)

// TestJavaPatternConsumer: the Java client's pattern consumer finds a topic created after
// it subscribed through the broker's topic-list watch (PIP-179).
func TestJavaPatternConsumer(t *testing.T) {
	srv := startStandalone(t)
	const prefix = "persistent://public/default/jwatch-"
	produce(t, srv.BrokerURL, prefix+"old", "old")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := standalonetest.Command(ctx, "./run.sh", "PatternConsumer", srv.BrokerURL, prefix)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("run.sh: %v", err)
	}
	// Once the consumer has the old topic's message, create the new topic (with the Go
	// client: the Java client's own producer is not what is tested here).
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if line == "ready" {
			produce(t, srv.BrokerURL, prefix+"new", "new")
		}
	}
	err = cmd.Wait()
	t.Logf("Java pattern consumer ran %v:\n%s", time.Since(start).Round(time.Millisecond), out.String())
	if err != nil {
		t.Fatalf("PatternConsumer: %v\nstderr:\n%s", err, standalonetest.Tail(errOut.String(), 4000))
	}
	for _, want := range []string{"received old from " + prefix + "old", "received new from " + prefix + "new", "OK"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// startStandalone runs standalone in this process on free ports until the test ends.
func startStandalone(t *testing.T) *standalone.Server {
	t.Helper()
	return standalonetest.Start(t, t.TempDir())
}

// produce publishes one message with the Go client (creating the topic).
func produce(t *testing.T, url, topic, payload string) {
	t.Helper()
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel)
	c, err := pulsar.NewClient(pulsar.ClientOptions{URL: url, OperationTimeout: 15 * time.Second,
		Logger: plog.NewLoggerWithLogrus(l)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		t.Fatalf("producer on %s: %v", topic, err)
	}
	defer p.Close()
	if _, err := p.Send(context.Background(), &pulsar.ProducerMessage{Payload: []byte(payload)}); err != nil {
		t.Fatalf("send to %s: %v", topic, err)
	}
}

// TestJavaProduceConsume: the Java client's own producers (batched and not, bytes and a
// STRING schema) and consumers work against the broker.
func TestJavaProduceConsume(t *testing.T) {
	srv := startStandalone(t)
	const topic = "persistent://public/default/java-produce-consume"
	out := standalonetest.RunScript(t, 2*time.Minute, "./run.sh", "ProduceConsume", srv.BrokerURL, topic, "200")
	for _, want := range []string{"sent 400", "received 400", "typed hello", "re-read 400", "OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
