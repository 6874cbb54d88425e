package io.mechanize.worker.observe;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.codahale.metrics.jvm.GarbageCollectorMetricSet;
import com.codahale.metrics.jvm.MemoryUsageGaugeSet;
import com.codahale.metrics.jvm.ThreadStatesGaugeSet;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.RejectionStage;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The worker's metrics, one intention-named {@code recordX()} per thing that happens. Every name
 * is under {@value #PREFIX}; dashboards use only these names (see {@link PrometheusNames} for how
 * they look on {@code /metrics}).
 *
 * <p>Families with a dimension (rejections by stage, actions by type and outcome, lag by
 * partition) are one Dropwizard metric per value, {@code <family>.<value>}, registered up front
 * where the values are known so that a rate is defined from the first scrape.
 */
public final class FleetMetrics {
    public static final String PREFIX = "mechanize.worker";

    static final String REJECTED = "commands.rejected";
    static final String ACTIONS = "actions";
    static final String LAG = "consumer.lag";
    static final String SUCCEEDED = "succeeded";
    static final String FAILED = "failed";

    private final MetricRegistry registry;
    private final Meter commandsConsumed;
    private final Timer workspaceReady;
    private final Timer queueWait;
    private final Timer actionTime;
    private final Counter containerFailures;
    private final Meter evaluationsPassed;
    private final Meter evaluationsFailed;
    private final Counter transactionsCommitted;
    private final Counter transactionsAborted;
    private final Map<String, Meter> rejectedByStage = new ConcurrentHashMap<>();
    private final Map<String, Meter> actionsByTypeAndOutcome = new ConcurrentHashMap<>();
    private final Map<Integer, Long> lagByPartition = new ConcurrentHashMap<>();

    public FleetMetrics(MetricRegistry registry) {
        this.registry = registry;
        this.commandsConsumed = registry.meter(name("commands.consumed"));
        this.workspaceReady = registry.timer(name("workspace.ready.seconds"));
        this.queueWait = registry.timer(name("command.queue.wait.seconds"));
        this.actionTime = registry.timer(name("action.seconds"));
        this.containerFailures = registry.counter(name("containers.failed"));
        this.evaluationsPassed = registry.meter(name("evaluations.passed"));
        this.evaluationsFailed = registry.meter(name("evaluations.failed"));
        this.transactionsCommitted = registry.counter(name("transactions.committed"));
        this.transactionsAborted = registry.counter(name("transactions.aborted"));
        for (RejectionStage stage : RejectionStage.values()) {
            rejectedMeter(stage.name());
        }
        for (ActionType type : ActionType.values()) {
            actionMeter(type.name(), true);
            actionMeter(type.name(), false);
        }
    }

    public static String name(String suffix) {
        return PREFIX + "." + suffix;
    }

    public MetricRegistry registry() {
        return registry;
    }

    /** Adds heap and pool memory ({@code jvm.memory}), GC ({@code jvm.gc}) and thread states ({@code jvm.threads}). */
    public FleetMetrics registerJvmMetrics() {
        registry.register("jvm.memory", new MemoryUsageGaugeSet());
        registry.register("jvm.gc", new GarbageCollectorMetricSet());
        registry.register("jvm.threads", new ThreadStatesGaugeSet());
        return this;
    }

    public void recordCommandConsumed() {
        commandsConsumed.mark();
    }

    /** A command answered with {@code CommandRejected}; {@code stage} is a {@code RejectionStage} name. */
    public void recordRejected(String stage) {
        rejectedMeter(stage).mark();
    }

    /** How long a command waited between the poll that took it and the start of its execution on its lane. */
    public void recordQueueWait(Duration wait) {
        queueWait.update(Math.max(0, wait.toNanos()), TimeUnit.NANOSECONDS);
    }

    /** One action finished; {@code type} is an {@code ActionType} name. */
    public void recordAction(String type, boolean success, long millis) {
        actionMeter(type, success).mark();
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

    /**
     * The records behind the end of each assigned partition of the command topic. A gauge per
     * partition in the map; partitions no longer in it (revoked) lose their gauge.
     */
    public void recordConsumerLag(Map<Integer, Long> lag) {
        for (Map.Entry<Integer, Long> e : lag.entrySet()) {
            Integer partition = e.getKey();
            if (lagByPartition.put(partition, e.getValue()) == null) {
                registry.gauge(name(LAG + "." + partition), () -> () -> lagByPartition.getOrDefault(partition, 0L));
            }
        }
        for (Integer gone : Set.copyOf(lagByPartition.keySet())) {
            if (!lag.containsKey(gone)) {
                lagByPartition.remove(gone);
                registry.remove(name(LAG + "." + gone));
            }
        }
    }

    public void registerGauge(String suffix, Supplier<Number> value) {
        registry.gauge(name(suffix), () -> value::get);
    }

    public long commandsConsumed() {
        return commandsConsumed.getCount();
    }

    /** Commands rejected, all stages. */
    public long rejected() {
        return rejectedByStage.values().stream().mapToLong(Meter::getCount).sum();
    }

    public long rejected(String stage) {
        return rejectedMeter(stage).getCount();
    }

    /** Actions that succeeded (or failed), all types. */
    public long actions(boolean success) {
        String outcome = "." + (success ? SUCCEEDED : FAILED);
        return actionsByTypeAndOutcome.entrySet().stream()
                .filter(e -> e.getKey().endsWith(outcome))
                .mapToLong(e -> e.getValue().getCount())
                .sum();
    }

    public Timer actionTime() {
        return actionTime;
    }

    public Timer queueWait() {
        return queueWait;
    }

    public Timer workspaceReady() {
        return workspaceReady;
    }

    /** The last sampled lag of each assigned partition. */
    public Map<Integer, Long> consumerLag() {
        return Map.copyOf(lagByPartition);
    }

    private Meter rejectedMeter(String stage) {
        String suffix = REJECTED + "." + stage.toLowerCase(Locale.ROOT);
        return rejectedByStage.computeIfAbsent(suffix, s -> registry.meter(name(s)));
    }

    private Meter actionMeter(String type, boolean success) {
        String suffix = ACTIONS + "." + type.toLowerCase(Locale.ROOT) + "." + (success ? SUCCEEDED : FAILED);
        return actionsByTypeAndOutcome.computeIfAbsent(suffix, s -> registry.meter(name(s)));
    }
}
