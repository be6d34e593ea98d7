// Package cluster runs Magnetar as a user deploys it: real `magnetar bookie`, `magnetar
// broker` and `magnetar standalone` processes on loopback ports, with etcd or ZooKeeper
// as the metadata store, driven by the official Pulsar Go client. Faults are injected the
// way machines fail: kill -9 of a process in the middle of writing. The tests check what
// a user would check afterwards: every acknowledged message is there, once, in order, and
// the cluster keeps accepting writes.
//
// Run them with `go test ./tests/cluster` (TestMain builds ./cmd/magnetar once; set
// MAGNETAR_BINARY to test a prebuilt binary instead). The ledger write benchmark:
//
//	go test ./tests/cluster -run '^$' -bench ProduceThreeBookies -benchtime 3s
//
// Everything lives in _test.go files; this file only names the package.
package cluster
