package io.mechanize.cli.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromQlTest {
    @Test
    void findsMetricNamesAndSkipsFunctionsLabelsRangesAndGroupings() {
        assertThat(PromQl.metricNames(
                "sum by (type, outcome) (rate(mechanize_worker_actions_total{outcome=\"succeeded\",type=~\"a|b\"}[$__rate_interval]))"
                        + " / sum(rate(mechanize_worker_actions_total[5m])) > bool 0.5 or vector(0)"))
                .containsExactly("mechanize_worker_actions_total");
        assertThat(PromQl.metricNames("max by (quantile) (mechanize_worker_action_seconds{quantile=~\"0.5|0.99\"})"
                + " + on (instance) group_left jvm_memory_heap_used offset 5m"))
                .containsExactly("jvm_memory_heap_used", "mechanize_worker_action_seconds");
        assertThat(PromQl.metricNames("count(up{job=\"mechanize-workers\"} == 1) * 1e3")).containsExactly("up");
    }

    @Test
    void everyDashboardHasExpressionsThatNameAMetric() {
        for (String file : List.of("dashboards/fleet-overview.json", "dashboards/worker.json")) {
            List<String> exprs = PromQl.expressions(PromQl.repoFile(file));
            assertThat(exprs).as(file).hasSizeGreaterThan(8)
                    .allSatisfy(e -> assertThat(PromQl.metricNames(e)).as(e).isNotEmpty());
        }
    }
}
