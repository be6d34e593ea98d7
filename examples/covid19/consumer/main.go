// Command consumer reads COVID-19 records from a topic and prints the highest confirmed
// count per country:
//
//	go run ./examples/covid19/consumer --count 37
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsar/log"

	"github.com/magnetar/magnetar/examples/covid19"
)

func main() {
	url := flag.String("url", "pulsar://localhost:6650", "broker service URL")
	topic := flag.String("topic", "covid19", "topic to read")
	sub := flag.String("subscription", "covid19-dashboard", "subscription name")
	count := flag.Int("count", 37, "records to read before printing")
	timeout := flag.Duration("timeout", 30*time.Second, "give up (and print what was read) after this long")
	flag.Parse()
	if err := run(*url, *topic, *sub, *count, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
}

func run(url, topic, sub string, count int, timeout time.Duration) error {
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: url, Logger: log.DefaultNopLogger()})
	if err != nil {
		return fmt.Errorf("connect %s: %w", url, err)
	}
	defer client.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	agg, n, err := covid19.Consume(ctx, client, topic, sub, count)
	for _, c := range agg.Countries() {
		fmt.Printf("%-20s %d\n", c, agg[c])
	}
	fmt.Printf("(%d records)\n", n)
	if errors.Is(err, context.DeadlineExceeded) && n > 0 {
		return nil // fewer records than asked for: the aggregate so far is the answer
	}
	return err
}
