import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * The Java client's own producers and consumers, end to end: on a topic without a schema
 * (bytes) and on one with a STRING schema, a batching producer sends asynchronously and a
 * non-batching one synchronously; a Shared consumer receives every message in order of
 * each producer and acknowledges it, and a second subscribe from the earliest position
 * on a fresh subscription reads the same count.
 *
 * Usage: ProduceConsume <service URL> <topic> <messages per producer>; prints
 * "sent N", "received N" and "OK", exits non-zero on failure.
 */
public class ProduceConsume {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        String topic = args[1];
        int n = Integer.parseInt(args[2]);
        try (PulsarClient client = PulsarClient.builder()
                .serviceUrl(url)
                .operationTimeout(15, TimeUnit.SECONDS)
                .build()) {
            Consumer<byte[]> consumer = client.newConsumer()
                    .topic(topic)
                    .subscriptionName("java-sub")
                    .subscriptionType(SubscriptionType.Shared)
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                    .subscribe();
            Producer<byte[]> batched = client.newProducer()
                    .topic(topic)
                    .producerName("java-batched")
                    .enableBatching(true)
                    .batchingMaxPublishDelay(5, TimeUnit.MILLISECONDS)
                    .createAsync().get(30, TimeUnit.SECONDS); // a refused creation is retried forever
            Producer<byte[]> single = client.newProducer()
                    .topic(topic)
                    .producerName("java-single")
                    .enableBatching(false)
                    .createAsync().get(30, TimeUnit.SECONDS);
            List<CompletableFuture<MessageId>> acks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                acks.add(batched.sendAsync(("b-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            for (int i = 0; i < n; i++) {
                single.send(("s-" + i).getBytes(StandardCharsets.UTF_8));
            }
            CompletableFuture.allOf(acks.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
            System.out.println("sent " + (2 * n));

            int nextB = 0, nextS = 0;
            for (int i = 0; i < 2 * n; i++) {
                Message<byte[]> m = consumer.receive(15, TimeUnit.SECONDS);
                if (m == null) {
                    throw new IllegalStateException("timed out after " + i + " messages");
                }
                String v = new String(m.getValue(), StandardCharsets.UTF_8);
                String want = v.startsWith("b-") ? "b-" + nextB++ : "s-" + nextS++;
                if (!v.equals(want)) {
                    throw new IllegalStateException("got " + v + ", want " + want);
                }
                consumer.acknowledge(m);
            }
            System.out.println("received " + (nextB + nextS));

            // A topic with a schema: the producer's ProducerSuccess carries its version.
            try (Producer<String> typed = client.newProducer(Schema.STRING).topic(topic + "-string").create();
                 Consumer<String> typedConsumer = client.newConsumer(Schema.STRING).topic(topic + "-string")
                         .subscriptionName("java-typed")
                         .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                typed.send("hello");
                Message<String> m = typedConsumer.receive(15, TimeUnit.SECONDS);
                if (m == null || !"hello".equals(m.getValue())) {
                    throw new IllegalStateException("typed topic: got " + (m == null ? "nothing" : m.getValue()));
                }
                typedConsumer.acknowledge(m);
                System.out.println("typed hello");
            }

            try (Consumer<byte[]> again = client.newConsumer().topic(topic).subscriptionName("java-again")
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                int count = 0;
                while (again.receive(2, TimeUnit.SECONDS) != null) {
                    count++;
                }
                if (count != 2 * n) {
                    throw new IllegalStateException("re-read " + count + ", want " + (2 * n));
                }
                System.out.println("re-read " + count);
            }
            batched.close();
            single.close();
            consumer.close();
        }
        System.out.println("OK");
    }
}
