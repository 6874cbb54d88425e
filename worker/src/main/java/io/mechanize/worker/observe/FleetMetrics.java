package io.mechanize.worker.observe;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The worker's metrics, one intention-named {@code recordX()} per thing that happens. Every name
 * is under {@value #PREFIX}; dashboards use only these names.
 */
public final class FleetMetrics {
    public static final String PREFIX = "mechanize.worker";

    private final MetricRegistry registry;
    private final Meter commandsConsumed;
    private final Timer workspaceReady;
    private final Counter containerFailures;
    private final Meter evaluationsPassed;
    private final Meter evaluationsFailed;
    private final Counter transactionsCommitted;
    private final Counter transactionsAborted;
    private final Timer actionTime;

    public FleetMetrics(MetricRegistry registry) {
        this.registry = registry;
        this.commandsConsumed = registry.meter(name("commands.consumed"));
        this.workspaceReady = registry.timer(name("workspace.ready"));
        this.containerFailures = registry.counter(name("containers.failed"));
        this.evaluationsPassed = registry.meter(name("evaluations.passed"));
        this.evaluationsFailed = registry.meter(name("evaluations.failed"));
        this.transactionsCommitted = registry.counter(name("transactions.committed"));
        this.transactionsAborted = registry.counter(name("transactions.aborted"));
        this.actionTime = registry.timer(name("actions.time"));
    }

    public static String name(String suffix) {
        return PREFIX + "." + suffix;
    }

    public MetricRegistry registry() {
        return registry;
    }

    public void recordCommandConsumed() {
        commandsConsumed.mark();
    }

    public void recordRejected(String stage) {
        registry.meter(name("commands.rejected")).mark();
        registry.meter(name("commands.rejected." + stage.toLowerCase(java.util.Locale.ROOT))).mark();
    }

    public void recordAction(String type, boolean success, long millis) {
        String outcome = success ? "succeeded" : "failed";
        registry.meter(name("actions." + outcome)).mark();
        registry.meter(name("actions." + type.toLowerCase(java.util.Locale.ROOT) + "." + outcome)).mark();
        actionTime.update(millis, TimeUnit.MILLISECONDS);
    }

    public void recordWorkspaceReady(long millis) {
        workspaceReady.update(millis, TimeUnit.MILLISECONDS);
    }

    /** A rebalance took partitions away from this worker (or lost them). */
    public void recordPartitionsRevoked(int count, boolean lost) {
        registry.meter(name(lost ? "partitions.lost" : "partitions.revoked")).mark(count);
    }

    public long partitionsRevoked() {
        return registry.meter(name("partitions.revoked")).getCount() + registry.meter(name("partitions.lost")).getCount();
    }

    public void recordRecovery(long millis) {
        registry.timer(name("workspaces.recovered")).update(millis, TimeUnit.MILLISECONDS);
    }

    public void recordContainerFailure() {
        containerFailures.inc();
    }

    public void recordEvaluation(boolean passed) {
        (passed ? evaluationsPassed : evaluationsFailed).mark();
    }

    public void recordTransaction(boolean committed) {
        (committed ? transactionsCommitted : transactionsAborted).inc();
    }

    public void registerGauge(String suffix, Supplier<Number> value) {
        registry.gauge(name(suffix), () -> value::get);
    }

    public long commandsConsumed() {
        return commandsConsumed.getCount();
    }

    public long rejected() {
        return registry.meter(name("commands.rejected")).getCount();
    }

    public long actions(boolean success) {
        return registry.meter(name("actions." + (success ? "succeeded" : "failed"))).getCount();
    }

    public Timer actionTime() {
        return actionTime;
    }
}
