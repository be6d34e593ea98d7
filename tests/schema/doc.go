// Package schemae2e tests Magnetar's schema registry the way a Pulsar user meets it: through
// the official Go client (producers and consumers with schemas) and the official admin client
// (pulsaradmin: namespace and topic schema policies, the /admin/v2/schemas API), against a
// standalone started in the test process, and through the real `magnetar` binary
// (`magnetar standalone`, `magnetar admin schemas ...` and the COVID-19 example's producer
// and consumer as separate processes).
//
// Run with `go test ./tests/schema`. TestMain builds ./cmd/magnetar once for the binary
// tests; set MAGNETAR_BINARY to test a prebuilt one instead.
//
// Everything lives in _test.go files; this file only names the package.
package schemae2e
