package testservers

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// zkJars is the class path of Debian's ZooKeeper 3.8 server (packages zookeeper and
// libzookeeper-java): the server, its wire format, netty for the client port, slf4j
// with the simple backend (warnings to the log file).
var zkJars = []string{
	"zookeeper.jar", "zookeeper-jute.jar",
	"netty-handler.jar", "netty-transport.jar", "netty-common.jar", "netty-buffer.jar",
	"netty-resolver.jar", "netty-codec.jar", "netty-transport-native-epoll.jar",
	"netty-transport-native-unix-common.jar",
	"slf4j-api.jar", "slf4j-simple.jar",
}

const javaLibDir = "/usr/share/java"

// zkConfig allows session timeouts from 1s (tests of session expiry use 2s) up to 60s.
const zkConfig = `tickTime=500
minSessionTimeout=1000
maxSessionTimeout=60000
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok
`

// startZooKeeper runs a standalone ZooKeeper in dir and returns host:port once it
// serves. A port taken in the meantime by someone else is retried.
func startZooKeeper(dir string) (*proc, string, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, "", fmt.Errorf("java: %w", errMissing)
	}
	var cp []string
	for _, jar := range zkJars {
		path := filepath.Join(javaLibDir, jar)
		if _, err := os.Stat(path); err != nil {
			return nil, "", fmt.Errorf("ZooKeeper class path %s: %w", path, errMissing)
		}
		cp = append(cp, path)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := freePorts(1)
		if err != nil {
			return nil, "", err
		}
		zkDir := filepath.Join(dir, fmt.Sprintf("zookeeper-%d", attempt))
		dataDir := filepath.Join(zkDir, "data")
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, "", err
		}
		cfg := filepath.Join(zkDir, "zoo.cfg")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(zkConfig, dataDir, ports[0])), 0o600); err != nil {
			return nil, "", err
		}
		p, err := startProc("zookeeper", zkDir, []string{java,
			// A small, quick-starting JVM: tests share two cores.
			"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
			"-Djava.net.preferIPv4Stack=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
			"-cp", strings.Join(cp, ":"),
			"org.apache.zookeeper.server.ZooKeeperServerMain", cfg,
		})
		if err != nil {
			return nil, "", err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
		lastErr = p.waitReady(60*time.Second, func() error { return zkServing(addr) })
		if lastErr == nil {
			return p, addr, nil
		}
		p.stop()
	}
	return nil, "", lastErr
}

// zkServing asks the server for its status ("srvr"), which it answers once it serves.
func zkServing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return err
	}
	out, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if !strings.Contains(string(out), "Mode: standalone") {
		return fmt.Errorf("srvr answered %q", out)
	}
	return nil
}
