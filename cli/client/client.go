// Package client is `magnetar client`: produce and consume from the command line through the
// official Pulsar Go client, in the manner of pulsar-client.
package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/spf13/cobra"
)

// NewCommand returns `magnetar client` with produce and consume.
func NewCommand() *cobra.Command {
	var url string
	cmd := &cobra.Command{Use: "client", Short: "Produce and consume messages"}
	cmd.PersistentFlags().StringVar(&url, "url", "pulsar://localhost:6650", "broker service URL")
	cmd.AddCommand(produceCommand(&url), consumeCommand(&url))
	return cmd
}

// ProduceOptions is one `client produce` call.
type ProduceOptions struct {
	URL, Topic string
	Messages   []string // sent in order
	Repeat     int      // each message this many times (default 1)
	Key        string
	Properties map[string]string
}

// Produce sends the messages synchronously and returns their ids.
func Produce(ctx context.Context, o ProduceOptions) ([]pulsar.MessageID, error) {
	if len(o.Messages) == 0 {
		return nil, errors.New("client: no messages to send (use -m)")
	}
	c, err := pulsar.NewClient(pulsar.ClientOptions{URL: o.URL, Logger: log.DefaultNopLogger()})
	if err != nil {
		return nil, fmt.Errorf("client: connect %s: %w", o.URL, err)
	}
	defer c.Close()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: o.Topic})
	if err != nil {
		return nil, fmt.Errorf("client: create producer on %s: %w", o.Topic, err)
	}
	defer p.Close()
	var ids []pulsar.MessageID
	for range max(o.Repeat, 1) {
		for _, m := range o.Messages {
			id, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: []byte(m), Key: o.Key, Properties: o.Properties})
			if err != nil {
				return ids, fmt.Errorf("client: send to %s: %w", o.Topic, err)
			}
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ConsumeOptions is one `client consume` call.
type ConsumeOptions struct {
	URL, Topic, Subscription string
	Type                     pulsar.SubscriptionType
	Earliest                 bool
	Count                    int // stop after this many messages; 0 = until ctx is done
}

// Consume receives (and acknowledges) messages, writing one line per message to out.
func Consume(ctx context.Context, o ConsumeOptions, out io.Writer) (int, error) {
	c, err := pulsar.NewClient(pulsar.ClientOptions{URL: o.URL, Logger: log.DefaultNopLogger()})
	if err != nil {
		return 0, fmt.Errorf("client: connect %s: %w", o.URL, err)
	}
	defer c.Close()
	pos := pulsar.SubscriptionPositionLatest
	if o.Earliest {
		pos = pulsar.SubscriptionPositionEarliest
	}
	cons, err := c.Subscribe(pulsar.ConsumerOptions{Topic: o.Topic, SubscriptionName: o.Subscription, Type: o.Type, SubscriptionInitialPosition: pos})
	if err != nil {
		return 0, fmt.Errorf("client: subscribe to %s: %w", o.Topic, err)
	}
	defer cons.Close()
	n := 0
	for o.Count == 0 || n < o.Count {
		m, err := cons.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil && o.Count == 0 {
				return n, nil
			}
			return n, fmt.Errorf("client: receive from %s: %w", o.Topic, err)
		}
		fmt.Fprintf(out, "----- got message -----\nkey:[%s], properties:%v, content:%s\n", m.Key(), m.Properties(), m.Payload())
		if err := cons.Ack(m); err != nil {
			return n, fmt.Errorf("client: ack: %w", err)
		}
		n++
	}
	return n, nil
}

func produceCommand(url *string) *cobra.Command {
	var o ProduceOptions
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Send messages to a topic",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.URL, o.Topic = *url, args[0]
			ids, err := Produce(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d messages successfully produced\n", len(ids))
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&o.Messages, "messages", "m", nil, "message to send (repeatable)")
	cmd.Flags().IntVarP(&o.Repeat, "num-produce", "n", 1, "send the messages this many times")
	cmd.Flags().StringVarP(&o.Key, "key", "k", "", "message key")
	cmd.Flags().StringToStringVarP(&o.Properties, "properties", "p", nil, "message properties key=value")
	return cmd
}

func consumeCommand(url *string) *cobra.Command {
	var o ConsumeOptions
	var subType, position string
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Receive and acknowledge messages from a topic",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.URL, o.Topic = *url, args[0]
			if o.Subscription == "" {
				return errors.New("client: a subscription name is required (-s)")
			}
			switch strings.ToLower(subType) {
			case "exclusive":
				o.Type = pulsar.Exclusive
			case "shared":
				o.Type = pulsar.Shared
			case "failover":
				o.Type = pulsar.Failover
			case "key_shared", "keyshared":
				o.Type = pulsar.KeyShared
			default:
				return fmt.Errorf("client: unknown subscription type %q", subType)
			}
			switch strings.ToLower(position) {
			case "latest":
			case "earliest":
				o.Earliest = true
			default:
				return fmt.Errorf("client: unknown subscription position %q (Latest or Earliest)", position)
			}
			n, err := Consume(cmd.Context(), o, cmd.OutOrStdout())
			fmt.Fprintf(cmd.OutOrStdout(), "%d messages successfully consumed\n", n)
			return err
		},
	}
	cmd.Flags().StringVarP(&o.Subscription, "subscription-name", "s", "", "subscription name")
	cmd.Flags().StringVarP(&subType, "subscription-type", "t", "Exclusive", "Exclusive, Shared, Failover or Key_Shared")
	cmd.Flags().StringVarP(&position, "subscription-position", "p", "Latest", "Latest or Earliest")
	cmd.Flags().IntVarP(&o.Count, "num-messages", "n", 1, "messages to receive; 0 = until interrupted")
	return cmd
}
