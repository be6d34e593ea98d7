package testservers

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// startEtcd runs a single-member etcd in dir and returns its client endpoint once it
// reports healthy. A port taken in the meantime by someone else is retried.
func startEtcd(dir string) (*proc, string, error) {
	bin, err := exec.LookPath("etcd")
	if err != nil {
		return nil, "", fmt.Errorf("etcd binary: %w", errMissing)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return nil, "", err
		}
		client := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
		peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
		dataDir := filepath.Join(dir, fmt.Sprintf("etcd-%d", attempt))
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, "", err
		}
		p, err := startProc("etcd", dataDir, []string{bin,
			"--name", "magnetar-test", "--data-dir", dataDir,
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", "magnetar-test=" + peer, "--initial-cluster-state", "new",
			"--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
		})
		if err != nil {
			return nil, "", err
		}
		lastErr = p.waitReady(30*time.Second, func() error { return etcdHealthy(client) })
		if lastErr == nil {
			return p, strings.TrimPrefix(client, "http://"), nil
		}
		p.stop()
	}
	return nil, "", lastErr
}

func etcdHealthy(client string) error {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(client + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"true"`) {
		return fmt.Errorf("health: %s %s", resp.Status, body)
	}
	return nil
}
