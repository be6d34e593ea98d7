package standalone

import (
	"io"
	"net/http"
	"testing"

	"github.com/magnetar/magnetar/resources"
)

// TestBundleUnload: pulsar-admin topics bundle-range names each topic's bundle, and
// unloading one bundle (namespaces unload --bundle) unloads that bundle's topics only.
func TestBundleUnload(t *testing.T) {
	e := startPolicyEnv(t)
	var bundles resources.BundlesData
	getJSON(t, e.in.srv.WebURL+"/admin/v2/namespaces/public/default/bundles", &bundles)
	if bundles.NumBundles < 2 {
		t.Fatalf("public/default has %d bundles; the test needs several", bundles.NumBundles)
	}
	byBundle := map[string][]string{}
	for range 12 {
		topic := "persistent://public/default/" + uniqueTopic("bundled")
		e.publishOnce(t, topic)
		resp, err := http.Get(e.in.srv.WebURL + "/lookup/v2/topic/persistent/public/default/" + topicLocal(topic) + "/bundle")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want, err := resources.BundleOf(&bundles, topic)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || string(body) != want {
			t.Fatalf("bundle of %s: %d %q, want %q", topic, resp.StatusCode, body, want)
		}
		byBundle[want] = append(byBundle[want], topic)
	}
	if len(byBundle) < 2 {
		t.Fatalf("12 topics all hashed into one bundle: %v", byBundle)
	}
	var target string
	for b := range byBundle {
		target = b
		break
	}
	req, _ := http.NewRequest(http.MethodPut, e.in.srv.WebURL+"/admin/v2/namespaces/public/default/"+target+"/unload", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("unload bundle %s: status %d", target, resp.StatusCode)
	}
	loaded := map[string]bool{}
	for _, m := range e.in.srv.Broker.MetricsSnapshot().Topics {
		loaded[m.Name] = true
	}
	for b, topics := range byBundle {
		for _, topic := range topics {
			if want := b != target; loaded[topic] != want {
				t.Errorf("%s in bundle %s: loaded %v after unloading bundle %s, want %v", topic, b, loaded[topic], target, want)
			}
		}
	}
}
