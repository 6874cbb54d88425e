package io.mechanize.worker.observe;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.instrumentation.dropwizard5.labels.CustomLabelMapper;
import io.prometheus.metrics.instrumentation.dropwizard5.labels.MapperConfig;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Dropwizard registry as Prometheus metrics, through client_java's Dropwizard bridge.
 *
 * <p>Dimensioned families ({@code mechanize.worker.actions.file_edit.succeeded}, ...) become one
 * Prometheus metric with labels ({@code mechanize_worker_actions_total{type="file_edit",
 * outcome="succeeded"}}) by the bridge's {@link CustomLabelMapper}. The bridge emits one snapshot
 * per Dropwizard metric and refuses two with the same name in one collection, so this collector
 * converts each Dropwizard metric on its own and merges the data points of a family.
 *
 * <p>Timers become summaries in seconds (quantiles 0.5 ... 0.999 and {@code _count}); meters and
 * counters become counters ({@code _total}); gauges stay gauges.
 */
public final class PrometheusExport implements MultiCollector {
    /** Dropwizard name pattern to Prometheus family and labels ({@code ${n}} is the n-th {@code *}). */
    static final List<MapperConfig> FAMILIES = List.of(
            family("mechanize.worker.commands.rejected.*", "mechanize.worker.commands.rejected", "stage"),
            family("mechanize.worker.actions.*.*", "mechanize.worker.actions", "type", "outcome"),
            family("mechanize.worker.evaluations.*", "mechanize.worker.evaluations", "outcome"),
            family("mechanize.worker.transactions.*", "mechanize.worker.transactions", "outcome"),
            family("mechanize.worker.consumer.lag.*", "mechanize.worker.consumer.lag", "partition"),
            family("jvm.gc.*.count", "jvm.gc.collections", "gc"),
            family("jvm.gc.*.time", "jvm.gc.collection.milliseconds", "gc"),
            family("jvm.memory.pools.*.*", "jvm.memory.pool", "pool", "stat"));

    private final MetricRegistry registry;
    private final CustomLabelMapper mapper = new CustomLabelMapper(FAMILIES);

    public PrometheusExport(MetricRegistry registry) {
        this.registry = registry;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, List<MetricSnapshot>> byName = new LinkedHashMap<>();
        for (String dropwizardName : registry.getNames()) {
            var one = new DropwizardExports(registry, (name, metric) -> name.equals(dropwizardName), mapper);
            for (MetricSnapshot snapshot : one.collect()) {
                byName.computeIfAbsent(snapshot.getMetadata().getPrometheusName(), k -> new ArrayList<>())
                        .add(snapshot);
            }
        }
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        byName.values().forEach(family -> out.metricSnapshot(merge(family)));
        return out.build();
    }

    private static MetricSnapshot merge(List<MetricSnapshot> family) {
        MetricSnapshot first = family.getFirst();
        if (family.size() == 1) {
            return first;
        }
        return switch (first) {
            case CounterSnapshot c -> new CounterSnapshot(c.getMetadata(), points(family, CounterSnapshot.class)
                    .stream().flatMap(s -> s.getDataPoints().stream()).toList());
            case GaugeSnapshot g -> new GaugeSnapshot(g.getMetadata(), points(family, GaugeSnapshot.class)
                    .stream().flatMap(s -> s.getDataPoints().stream()).toList());
            case SummarySnapshot s -> new SummarySnapshot(s.getMetadata(), points(family, SummarySnapshot.class)
                    .stream().flatMap(x -> x.getDataPoints().stream()).toList());
            default -> throw new IllegalStateException("cannot merge " + first.getClass().getSimpleName() + " "
                    + first.getMetadata().getName());
        };
    }

    private static <T extends MetricSnapshot> List<T> points(List<MetricSnapshot> family, Class<T> type) {
        for (MetricSnapshot s : family) {
            if (!type.isInstance(s)) {
                throw new IllegalStateException("metric family " + s.getMetadata().getName()
                        + " mixes " + type.getSimpleName() + " and " + s.getClass().getSimpleName());
            }
        }
        return family.stream().map(type::cast).toList();
    }

    private static MapperConfig family(String match, String name, String... labels) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i++) {
            map.put(labels[i], "${" + i + "}");
        }
        return new MapperConfig(match, name, map);
    }
}
