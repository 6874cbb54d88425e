package io.mechanize.cli.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Quantiles of a sample by the nearest-rank method (no interpolation: every figure was observed). */
final class Stats {
    private Stats() {}

    static double quantile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double quantile(List<? extends Number> values, double q) {
        return quantile(values.stream().mapToDouble(Number::doubleValue).toArray(), q);
    }

    /** {p50, p95, p99} (or the subset asked for) rounded to 0.01. */
    static Map<String, Double> summary(List<? extends Number> values, double... qs) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (double q : qs) {
            out.put("p" + Math.round(q * 100), round(quantile(values, q)));
        }
        return out;
    }

    /** The mean of {@code bytes} in MiB, rounded to 0.01; null for none (a mean of nothing is not 0 MB). */
    static Double meanMib(java.util.Collection<Long> bytes) {
        if (bytes.isEmpty()) {
            return null;
        }
        return round(bytes.stream().mapToLong(Long::longValue).sum() / 1048576.0 / bytes.size());
    }

    static double round(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? v : Math.round(v * 100) / 100.0;
    }
}
