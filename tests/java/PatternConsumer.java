import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/**
 * A pattern consumer of the Java client: it must receive the message of a topic that
 * existed when it subscribed ("old"), print "ready", then receive that of a topic the
 * caller creates afterwards ("new"). Pattern auto-discovery polls only every ten minutes
 * here, so the new topic can only be found in time through the broker's topic-list watch
 * (WATCH_TOPIC_UPDATE).
 *
 * Usage: PatternConsumer <service URL> <topic prefix>; prints "received <payload> from
 * <topic>" per message and "OK" at the end, exits non-zero on failure.
 */
public class PatternConsumer {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        String prefix = args[1];
        try (PulsarClient client = PulsarClient.builder()
                .serviceUrl(url)
                .operationTimeout(15, TimeUnit.SECONDS)
                .build()) {
            Consumer<byte[]> consumer = client.newConsumer()
                    .topicsPattern(prefix + ".*")
                    .subscriptionName("java-pattern")
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                    .patternAutoDiscoveryPeriod(10, TimeUnit.MINUTES)
                    .subscribe();
            expect(consumer, "old");
            System.out.println("ready");
            System.out.flush();
            expect(consumer, "new");
            consumer.close();
            System.out.println("OK");
        }
    }

    private static void expect(Consumer<byte[]> consumer, String want) throws Exception {
        Message<byte[]> m = consumer.receive(30, TimeUnit.SECONDS);
        if (m == null) {
            System.err.println("no message within 30s; wanted " + want);
            System.exit(1);
        }
        String got = new String(m.getData(), StandardCharsets.UTF_8);
        System.out.println("received " + got + " from " + m.getTopicName());
        System.out.flush();
        consumer.acknowledge(m);
        if (!got.equals(want)) {
            System.err.println("got " + got + "; wanted " + want);
            System.exit(1);
        }
    }
}
