package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the magnetar executable TestMain builds once for every test of the package.
var binary string

// binaryEnv names a prebuilt magnetar binary to test instead of building ./cmd/magnetar.
const binaryEnv = "MAGNETAR_BINARY"

func TestMain(m *testing.M) {
	if b := os.Getenv(binaryEnv); b != "" {
		binary = b
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "magnetar-cluster-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "magnetar")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/magnetar")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build magnetar:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
