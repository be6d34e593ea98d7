package schemae2e

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/sirupsen/logrus"

	"github.com/magnetar/magnetar/standalone"
	"github.com/magnetar/magnetar/standalone/standalonetest"
)

// server is a standalone running in the test process, with an official client and an
// official admin client connected to it.
type server struct {
	t      *testing.T
	srv    *standalone.Server
	client pulsar.Client
	admin  pulsaradmin.Client
}

// startServer runs standalone.Run on free ports with its data in t.TempDir(), until the
// test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	s, stop := launch(t, t.TempDir())
	t.Cleanup(stop)
	return s
}

// launch runs standalone.Run on free ports with its data in dir and connects the clients;
// stop closes the client and shuts the standalone down cleanly (it may be called twice).
func launch(t *testing.T, dir string) (s *server, stop func()) {
	t.Helper()
	srv, stopServer := standalonetest.Launch(t, dir)
	s = &server{t: t, srv: srv}
	client, err := pulsar.NewClient(pulsar.ClientOptions{
		URL:               s.srv.BrokerURL,
		OperationTimeout:  15 * time.Second,
		ConnectionTimeout: 5 * time.Second,
		Logger:            clientLogger(),
	})
	if err != nil {
		stopServer()
		t.Fatalf("client: %v", err)
	}
	s.client = client
	if s.admin, err = pulsaradmin.NewClient(&pulsaradmin.Config{WebServiceURL: s.srv.WebURL}); err != nil {
		client.Close()
		stopServer()
		t.Fatalf("admin client: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			client.Close()
			stopServer()
		})
	}
	return s, stop
}

// newClient returns an official client of url, closed when the test ends (before the
// server stops: cleanups run last-registered first).
func newClient(t *testing.T, url string) pulsar.Client {
	t.Helper()
	c, err := pulsar.NewClient(pulsar.ClientOptions{
		URL:               url,
		OperationTimeout:  15 * time.Second,
		ConnectionTimeout: 5 * time.Second,
		Logger:            clientLogger(),
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// clientLogger keeps the client quiet unless MAGNETAR_TEST_DEBUG is set.
func clientLogger() plog.Logger {
	l := logrus.New()
	l.SetLevel(logrus.FatalLevel) // refusals are expected here; the tests report them
	if os.Getenv("MAGNETAR_TEST_DEBUG") != "" {
		l.SetLevel(logrus.DebugLevel)
	}
	return plog.NewLoggerWithLogrus(l)
}

var seq atomic.Int64

// unique returns a name no other test of this process uses.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
}

// newNamespace creates public/<unique name> through the admin API and returns its name.
func (s *server) newNamespace(prefix string) string {
	s.t.Helper()
	ns := "public/" + unique(prefix)
	if err := s.admin.Namespaces().CreateNamespace(ns); err != nil {
		s.t.Fatalf("create namespace %s: %v", ns, err)
	}
	return ns
}

func (s *server) setNamespaceStrategy(ns string, strategy utils.SchemaCompatibilityStrategy) {
	s.t.Helper()
	name, err := utils.GetNamespaceName(ns)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.admin.Namespaces().SetSchemaCompatibilityStrategy(*name, strategy); err != nil {
		s.t.Fatalf("set %s's schema compatibility strategy to %s: %v", ns, strategy, err)
	}
	got, err := s.admin.Namespaces().GetSchemaCompatibilityStrategy(*name)
	if err != nil || got != strategy {
		s.t.Fatalf("%s's schema compatibility strategy reads back %q, %v; want %s", ns, got, err, strategy)
	}
}

// producer creates a producer with schema (nil: none) and closes it at test end.
func (s *server) producer(topic string, schema pulsar.Schema) (pulsar.Producer, error) {
	p, err := s.client.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: schema})
	if err == nil {
		s.t.Cleanup(p.Close)
	}
	return p, err
}

// mustProducer is producer that fails the test on error.
func (s *server) mustProducer(topic string, schema pulsar.Schema) pulsar.Producer {
	s.t.Helper()
	p, err := s.producer(topic, schema)
	if err != nil {
		s.t.Fatalf("producer on %s with %s: %v", topic, schemaName(schema), err)
	}
	return p
}

// consumer subscribes with schema (nil: none) from the earliest message and closes the
// consumer at test end.
func (s *server) consumer(topic, sub string, schema pulsar.Schema) (pulsar.Consumer, error) {
	c, err := s.client.Subscribe(pulsar.ConsumerOptions{
		Topic: topic, SubscriptionName: sub, Schema: schema,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	if err == nil {
		s.t.Cleanup(c.Close)
	}
	return c, err
}

func (s *server) mustConsumer(topic, sub string, schema pulsar.Schema) pulsar.Consumer {
	s.t.Helper()
	c, err := s.consumer(topic, sub, schema)
	if err != nil {
		s.t.Fatalf("consumer on %s with %s: %v", topic, schemaName(schema), err)
	}
	return c
}

func schemaName(s pulsar.Schema) string {
	if s == nil {
		return "no schema"
	}
	info := s.GetSchemaInfo()
	return fmt.Sprintf("schema %s %.60s", typeName(info.Type), info.Schema)
}

// typeName names the client's schema types as Pulsar's REST API does.
func typeName(t pulsar.SchemaType) string {
	names := map[pulsar.SchemaType]string{
		pulsar.NONE: "NONE", pulsar.STRING: "STRING", pulsar.JSON: "JSON", pulsar.PROTOBUF: "PROTOBUF",
		pulsar.AVRO: "AVRO", pulsar.BOOLEAN: "BOOLEAN", pulsar.INT8: "INT8", pulsar.INT16: "INT16",
		pulsar.INT32: "INT32", pulsar.INT64: "INT64", pulsar.FLOAT: "FLOAT", pulsar.DOUBLE: "DOUBLE",
		typeDate: "DATE", typeTime: "TIME", typeTimestamp: "TIMESTAMP", pulsar.KeyValue: "KEY_VALUE",
		typeInstant: "INSTANT", typeLocalDate: "LOCAL_DATE", typeLocalTime: "LOCAL_TIME",
		typeLocalDateTime: "LOCAL_DATE_TIME", pulsar.ProtoNative: "PROTOBUF_NATIVE",
		typeAutoConsume: "AUTO_CONSUME", pulsar.AutoConsume: "AUTO_CONSUME(-3)", pulsar.AutoPublish: "AUTO_PUBLISH(-4)",
	}
	if n, ok := names[t]; ok {
		return n
	}
	return fmt.Sprintf("SchemaType(%d)", t)
}

// wantIncompatible checks that err is the client's report of ServerError IncompatibleSchema.
func wantIncompatible(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s accepted; want IncompatibleSchema", what)
		return
	}
	if !strings.Contains(err.Error(), "IncompatibleSchema") {
		t.Errorf("%s: %v; want IncompatibleSchema", what, err)
	}
}

// restSchema is GetSchemaResponse of the admin API.
type restSchema struct {
	Version    int64             `json:"version"`
	Type       string            `json:"type"`
	Timestamp  int64             `json:"timestamp"`
	Data       string            `json:"data"`
	Properties map[string]string `json:"properties"`
}

// restPath is the /admin/v2/schemas path of a topic ("persistent://t/ns/x" or "t/ns/x").
func restPath(topic string) string {
	name, err := utils.GetTopicName(topic)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("/admin/v2/schemas/%s/%s/%s", name.GetTenant(), name.GetNamespace(),
		url.PathEscape(name.GetLocalName()))
}

// getJSON GETs a path of the web service and decodes a 200 answer into out; it returns
// the status and the body.
func (s *server) getJSON(path string, out any) (int, string) {
	s.t.Helper()
	resp, err := http.Get(s.srv.WebURL + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			s.t.Fatalf("GET %s: decode %s: %v", path, body, err)
		}
	}
	return resp.StatusCode, string(body)
}

// latestSchema reads the topic's latest schema over REST; ok is false on 404.
func (s *server) latestSchema(topic string) (restSchema, bool) {
	s.t.Helper()
	var got restSchema
	status, body := s.getJSON(restPath(topic)+"/schema", &got)
	switch status {
	case http.StatusOK:
		return got, true
	case http.StatusNotFound:
		return got, false
	}
	s.t.Fatalf("GET schema of %s: %d %s", topic, status, body)
	return got, false
}

// allSchemas reads every version of the topic's schema over REST.
func (s *server) allSchemas(topic string) []restSchema {
	s.t.Helper()
	var got struct {
		Responses []restSchema `json:"getSchemaResponses"`
	}
	status, body := s.getJSON(restPath(topic)+"/schemas", &got)
	if status != http.StatusOK {
		s.t.Fatalf("GET schemas of %s: %d %s", topic, status, body)
	}
	return got.Responses
}

// versionBytes is a schema version as messages carry it (8 bytes big-endian).
func versionBytes(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// receive reads one message or fails the test.
func receive(t *testing.T, c pulsar.Consumer) pulsar.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := c.Receive(ctx)
	if err != nil {
		t.Fatalf("receive from %s: %v", c.Subscription(), err)
	}
	if err := c.Ack(m); err != nil {
		t.Fatalf("ack: %v", err)
	}
	return m
}

// send publishes one message or fails the test.
func send(t *testing.T, p pulsar.Producer, msg *pulsar.ProducerMessage) pulsar.MessageID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := p.Send(ctx, msg)
	if err != nil {
		t.Fatalf("send on %s: %v", p.Topic(), err)
	}
	return id
}

// testCtx is a context for one operation, cancelled when the test ends.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}
