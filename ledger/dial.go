package ledger

import (
	"fmt"

	"github.com/magnetar/magnetar/bookie"
)

// DialFunc returns a Config.Dial that reaches the bookies in local (by bookie id) in
// process and any other through remote, e.g. the TCP client of the bookie protocol. A
// nil remote makes unknown ids an error (a standalone with its own bookies only).
func DialFunc(local map[string]bookie.Client, remote func(string) (bookie.Client, error)) func(string) (bookie.Client, error) {
	return func(id string) (bookie.Client, error) {
		if cl, ok := local[id]; ok {
			return cl, nil
		}
		if remote == nil {
			return nil, fmt.Errorf("bookie %s is not in this process", id)
		}
		return remote(id)
	}
}
