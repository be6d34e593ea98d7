package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	pa "github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/admin/config"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"

	"github.com/magnetar/magnetar/metadata/embedded"
	"github.com/magnetar/magnetar/resources"
	"github.com/magnetar/magnetar/resources/topicname"
)

// env is an admin API over a real embedded metadata store (bootstrapped as a
// standalone) and a testBroker, served by httptest and driven by the official Go admin
// client.
type env struct {
	t      *testing.T
	res    *resources.Resources
	broker *testBroker
	srv    *httptest.Server
	admin  pa.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	store, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatalf("embedded.Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	res := resources.New(store, resources.BrokerDefaults())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := res.Bootstrap(ctx, "standalone", resources.ClusterData{ServiceURL: "http://localhost:8080",
		BrokerServiceURL: "pulsar://localhost:6650"}); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	b := newTestBroker()
	srv := httptest.NewServer(New(res, b))
	t.Cleanup(srv.Close)
	client, err := pa.New(&config.Config{WebServiceURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, res: res, broker: b, srv: srv, admin: client}
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	e.t.Cleanup(cancel)
	return ctx
}

// response is a raw HTTP answer.
type response struct {
	code   int
	body   string
	header http.Header
}

// reason is the {"reason": ...} of an error answer ("" if the body is not one).
func (r response) reason() string {
	var v struct {
		Reason string `json:"reason"`
	}
	if json.Unmarshal([]byte(r.body), &v) != nil {
		return ""
	}
	return v.Reason
}

// do sends a raw request (no redirects followed).
func (e *env) do(method, path, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: string(b), header: resp.Header}
}

// storedPolicies returns the raw namespace record (to prove refused calls change nothing).
func (e *env) storedPolicies(ns string) string {
	e.t.Helper()
	b, _, err := e.res.Store().Get(e.ctx(), "/admin/policies/"+ns)
	if err != nil {
		e.t.Fatalf("read /admin/policies/%s: %v", ns, err)
	}
	return string(b)
}

// restErr asserts err is a pulsaradmin REST error with code and reason.
func restErr(t *testing.T, what string, err error, code int, reason string) {
	t.Helper()
	re, isRest := err.(rest.Error)
	if !isRest {
		t.Fatalf("%s: error %v (%T), want REST %d %q", what, err, err, code, reason)
	}
	if re.Code != code || (reason != "" && re.Reason != reason) {
		t.Fatalf("%s: got %d %q, want %d %q", what, re.Code, re.Reason, code, reason)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// testBroker is the Broker seam implemented in memory: topics with subscriptions, a
// queue of stored messages per topic, and a log of the calls the admin API made.
type testBroker struct {
	mu       sync.Mutex
	topics   map[string]*testTopic
	calls    []string
	redirect string // non-empty: every topic operation answers "owned elsewhere"
	healthy  error
	config   map[string]string // dynamic configuration overrides
}

type testTopic struct {
	subs     map[string]int64 // subscription -> number of messages skipped
	busy     bool             // clients connected
	stats    *TopicStats
	messages []*Message
}

func newTestBroker() *testBroker { return &testBroker{topics: map[string]*testTopic{}} }

func (b *testBroker) record(format string, args ...any) {
	b.calls = append(b.calls, fmt.Sprintf(format, args...))
}

// Calls returns and clears the call log.
func (b *testBroker) Calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calls
	b.calls = nil
	return c
}

// addTopic creates a topic directly (as producers would).
func (b *testBroker) addTopic(name string, subs ...string) *testTopic {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := &testTopic{subs: map[string]int64{}}
	for _, s := range subs {
		t.subs[s] = 0
	}
	b.topics[name] = t
	return t
}

func (b *testBroker) topic(t topicname.Name) (*testTopic, error) {
	if b.redirect != "" {
		return nil, &RedirectError{WebServiceURL: b.redirect}
	}
	tt, found := b.topics[t.String()]
	if !found {
		return nil, ErrTopicNotFound
	}
	return tt, nil
}

func (b *testBroker) Topics(_ context.Context, ns topicname.Namespace, d topicname.Domain) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	prefix := string(d) + "://" + ns.String() + "/"
	out := []string{}
	for name := range b.topics {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (b *testBroker) TopicExists(_ context.Context, t topicname.Name) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, found := b.topics[t.String()]
	return found, nil
}

func (b *testBroker) CreateTopic(_ context.Context, t topicname.Name) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record("CreateTopic %s", t)
	if _, found := b.topics[t.String()]; found {
		return ErrTopicExists
	}
	b.topics[t.String()] = &testTopic{subs: map[string]int64{}}
	return nil
}

func (b *testBroker) DeleteTopicSchema(_ context.Context, t topicname.Name) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record("DeleteTopicSchema %s", t)
	return nil
}

func (b *testBroker) DeleteTopic(_ context.Context, t topicname.Name, force bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record("DeleteTopic %s force=%v", t, force)
	tt, err := b.topic(t)
	if err != nil {
		return err
	}
	if tt.busy && !force {
		return ErrTopicBusy
	}
	delete(b.topics, t.String())
	return nil
}

func (b *testBroker) Stats(_ context.Context, t topicname.Name) (*TopicStats, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tt, err := b.topic(t)
	if err != nil {
		return nil, err
	}
	if tt.stats != nil {
		s := *tt.stats
		return &s, nil
	}
	s := &TopicStats{Subscriptions: map[string]SubscriptionStats{}}
	for name := range tt.subs {
		s.Subscriptions[name] = SubscriptionStats{Type: "Exclusive", IsDurable: true}
	}
	return s, nil
}

func (b *testBroker) InternalStats(_ context.Context, t topicname.Name) (*InternalStats, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.topic(t); err != nil {
		return nil, err
	}
	return &InternalStats{State: "LedgerOpened", LastConfirmedEntry: "3:9", Ledgers: []LedgerInfo{{LedgerID: 3, Entries: 10}}}, nil
}

func (b *testBroker) simple(op string, t topicname.Name, args ...any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record("%s %s%s", op, t, fmt.Sprint(append([]any{""}, args...)...))
	_, err := b.topic(t)
	return err
}

func (b *testBroker) Unload(_ context.Context, t topicname.Name) error { return b.simple("Unload", t) }

func (b *testBroker) Terminate(_ context.Context, t topicname.Name) (MessageID, error) {
	return MessageID{LedgerID: 3, EntryID: 9, PartitionIndex: -1}, b.simple("Terminate", t)
}

func (b *testBroker) LastMessageID(_ context.Context, t topicname.Name) (MessageID, error) {
	return MessageID{LedgerID: 3, EntryID: 9, PartitionIndex: -1}, b.simple("LastMessageID", t)
}

func (b *testBroker) MessageIDAt(_ context.Context, t topicname.Name, ts int64) (MessageID, error) {
	return MessageID{LedgerID: 3, EntryID: ts % 10, PartitionIndex: -1}, b.simple("MessageIDAt", t, " ", ts)
}

func (b *testBroker) subscription(op string, t topicname.Name, sub string, args ...any) (*testTopic, error) {
	b.record("%s %s %s%s", op, t, sub, fmt.Sprint(append([]any{""}, args...)...))
	tt, err := b.topic(t)
	if err != nil {
		return nil, err
	}
	if _, found := tt.subs[sub]; !found {
		return nil, ErrSubscriptionNotFound
	}
	return tt, nil
}

func (b *testBroker) CreateSubscription(_ context.Context, t topicname.Name, sub string, start MessageID) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record("CreateSubscription %s %s %d:%d", t, sub, start.LedgerID, start.EntryID)
	tt, err := b.topic(t)
	if err != nil {
		return err
	}
	if _, found := tt.subs[sub]; found {
		return ErrSubscriptionExists
	}
	tt.subs[sub] = 0
	return nil
}

func (b *testBroker) DeleteSubscription(_ context.Context, t topicname.Name, sub string, force bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	tt, err := b.subscription("DeleteSubscription", t, sub, " force=", force)
	if err != nil {
		return err
	}
	delete(tt.subs, sub)
	return nil
}

func (b *testBroker) Skip(_ context.Context, t topicname.Name, sub string, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := b.subscription("Skip", t, sub, " ", n)
	return err
}

func (b *testBroker) ExpireMessages(_ context.Context, t topicname.Name, sub string, secs int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := b.subscription("Expire", t, sub, " ", secs)
	return err
}

func (b *testBroker) ResetCursorToTime(_ context.Context, t topicname.Name, sub string, ts int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := b.subscription("ResetToTime", t, sub, " ", ts)
	return err
}

func (b *testBroker) ResetCursorToID(_ context.Context, t topicname.Name, sub string, id MessageID, excluded bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := b.subscription("ResetToID", t, sub, fmt.Sprintf(" %d:%d excluded=%v", id.LedgerID, id.EntryID, excluded))
	return err
}

func (b *testBroker) PeekMessage(_ context.Context, t topicname.Name, sub string, n int64) (*Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tt, err := b.subscription("Peek", t, sub, " ", n)
	if err != nil {
		return nil, err
	}
	if n > int64(len(tt.messages)) {
		return nil, ErrMessageNotFound
	}
	return tt.messages[n-1], nil
}

func (b *testBroker) ExamineMessage(_ context.Context, t topicname.Name, fromLatest bool, n int64) (*Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record("Examine %s latest=%v %d", t, fromLatest, n)
	tt, err := b.topic(t)
	if err != nil {
		return nil, err
	}
	if n > int64(len(tt.messages)) {
		return nil, ErrMessageNotFound
	}
	if fromLatest {
		return tt.messages[int64(len(tt.messages))-n], nil
	}
	return tt.messages[n-1], nil
}

func (b *testBroker) MessageByID(_ context.Context, t topicname.Name, ledgerID, entryID int64) (*Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tt, err := b.topic(t)
	if err != nil {
		return nil, err
	}
	for _, m := range tt.messages {
		if m.ID.LedgerID == ledgerID && m.ID.EntryID == entryID {
			return m, nil
		}
	}
	return nil, ErrMessageNotFound
}

func (b *testBroker) Lookup(_ context.Context, t topicname.Name, listener string) (LookupData, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record("Lookup %s %q", t, listener)
	if b.redirect != "" {
		return LookupData{}, &RedirectError{WebServiceURL: b.redirect}
	}
	return LookupData{BrokerURL: "pulsar://localhost:6650", HTTPURL: "http://localhost:8080"}, nil
}

func (b *testBroker) ActiveBrokers(context.Context) ([]string, error) {
	return []string{"localhost:8080"}, nil
}

func (b *testBroker) LeaderBroker(context.Context) (BrokerInfo, error) {
	return BrokerInfo{BrokerID: "localhost:8080", ServiceURL: "http://localhost:8080"}, nil
}

func (b *testBroker) HealthCheck(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.healthy
}

// testDynamicKeys are the dynamic keys of the test broker.
var testDynamicKeys = []string{"allowAutoSubscriptionCreation", "maxTenants"}

func (b *testBroker) DynamicConfigNames() []string { return testDynamicKeys }

func (b *testBroker) DynamicConfigValues(context.Context) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.config), nil
}

func (b *testBroker) UpdateDynamicConfig(_ context.Context, name, value string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Contains(testDynamicKeys, name) {
		return preconditionFailed("Can't update non-dynamic configuration %s", name)
	}
	if b.config == nil {
		b.config = map[string]string{}
	}
	b.config[name] = value
	return nil
}

func (b *testBroker) DeleteDynamicConfig(_ context.Context, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Contains(testDynamicKeys, name) {
		return preconditionFailed("Can't delete non-dynamic configuration %s", name)
	}
	delete(b.config, name)
	return nil
}

func (b *testBroker) RuntimeConfig() map[string]string {
	out := map[string]string{"allowAutoSubscriptionCreation": "true", "maxTenants": "0", "clusterName": "standalone"}
	b.mu.Lock()
	defer b.mu.Unlock()
	maps.Copy(out, b.config)
	return out
}

func mustTopic(t *testing.T, s string) topicname.Name {
	t.Helper()
	n, err := topicname.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
