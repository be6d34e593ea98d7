// Command producer loads a COVID-19 time series into a topic as Avro records keyed by date:
//
//	go run ./examples/covid19/producer --file examples/covid19/testdata/timeseries.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsar/log"

	"github.com/magnetar/magnetar/examples/covid19"
)

func main() {
	url := flag.String("url", "pulsar://localhost:6650", "broker service URL")
	topic := flag.String("topic", "covid19", "topic to publish to")
	file := flag.String("file", "examples/covid19/testdata/timeseries.json", "time series JSON file")
	flag.Parse()
	if err := run(*url, *topic, *file); err != nil {
		fmt.Fprintln(os.Stderr, "producer:", err)
		os.Exit(1)
	}
}

func run(url, topic, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	records, err := covid19.ReadRecords(f)
	if err != nil {
		return err
	}
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: url, Logger: log.DefaultNopLogger()})
	if err != nil {
		return fmt.Errorf("connect %s: %w", url, err)
	}
	defer client.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	n, err := covid19.Produce(ctx, client, topic, records)
	if err != nil {
		return err
	}
	fmt.Printf("%d Covid19 Records Loaded into Magnetar!\n", n)
	return nil
}
