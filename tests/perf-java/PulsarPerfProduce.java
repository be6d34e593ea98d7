// PulsarPerfProduce runs pulsar-perf's produce command, Apache Pulsar's own
// PerformanceProducer, unchanged. It stands in for PulsarPerfTestTool, the usual
// entry point, only because that one builds every subcommand up front, among them
// the managed-ledger writer, which needs broker jars the registry here does not
// serve; the produce command itself needs none of them.
//
// Usage: java -cp <pulsar-testclient classpath> PulsarPerfProduce.java [produce flags] TOPIC
import org.apache.pulsar.testclient.PerfClientUtils;
import org.apache.pulsar.testclient.PerformanceProducer;

public final class PulsarPerfProduce {
    public static void main(String[] args) {
        boolean ok = new PerformanceProducer().run(args);
        PerfClientUtils.exit(ok ? 0 : 1);
    }
}
