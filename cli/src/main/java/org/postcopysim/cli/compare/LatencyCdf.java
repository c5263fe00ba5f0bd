package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The fault latency distribution of one run as CDF points: x = latency (microseconds, always
 * positive so that it fits a log axis), y = fraction of faults at or below x, both non-decreasing.
 * Taken from the child's log2 histogram when it has one, else from its percentiles.
 */
record LatencyCdf(Source source, double[] latencyUs, double[] fraction) {

    /** Where the points came from. */
    enum Source { BUCKETS, PERCENTILES }

    /** Latencies below this (1 ns) are drawn at it: a log axis has no place for 0. */
    static final double MIN_LATENCY_US = 0.001;

    /** The CDF of a run record or child summary; null when it has neither buckets with counts nor percentiles. */
    static LatencyCdf of(JsonNode summary) {
        LatencyCdf fromBuckets = fromBuckets(summary.path("faultLatencyLog2Us"));
        return fromBuckets != null ? fromBuckets : fromPercentiles(summary.path("faultLatencyNs"));
    }

    /**
     * From a list of {lowUs, highUs, count} (count per bucket, not cumulative): one point at the
     * lower bound of the first non-empty bucket (fraction 0), then one at the upper bound of each
     * bucket up to the last non-empty one (the cumulative fraction).
     */
    static LatencyCdf fromBuckets(JsonNode buckets) {
        if (!buckets.isArray()) return null;
        List<double[]> b = new ArrayList<>();
        long total = 0;
        for (JsonNode n : buckets) {
            long count = n.path("count").asLong(0);
            if (count < 0 || !n.path("highUs").isNumber()) continue;
            b.add(new double[] {n.path("lowUs").asDouble(0), n.path("highUs").asDouble(), count});
            total += count;
        }
        if (total == 0) return null;
        b.sort(Comparator.comparingDouble(x -> x[0]));
        int first = 0;
        while (b.get(first)[2] == 0) first++;
        int last = b.size() - 1;
        while (b.get(last)[2] == 0) last--;
        List<double[]> points = new ArrayList<>();
        if (b.get(first)[0] > 0) points.add(new double[] {b.get(first)[0], 0});
        long cumulative = 0;
        for (int i = first; i <= last; i++) {
            cumulative += (long) b.get(i)[2];
            points.add(new double[] {b.get(i)[1], (double) cumulative / total});
        }
        return build(Source.BUCKETS, points);
    }

    /** From {p50, p90, p99, p999, max} in nanoseconds: five points; null when there were no faults. */
    static LatencyCdf fromPercentiles(JsonNode latencyNs) {
        if (!latencyNs.isObject() || latencyNs.path("count").asLong(1) == 0) return null;
        List<double[]> points = new ArrayList<>();
        boolean anyPositive = false;
        for (int i = 0; i < RunRecord.LATENCY_KEYS.length; i++) {
            JsonNode v = latencyNs.path(RunRecord.LATENCY_KEYS[i]);
            if (!v.isNumber()) continue;
            anyPositive |= v.asDouble() > 0;
            points.add(new double[] {v.asDouble() / 1000.0, RunRecord.LATENCY_FRACTIONS[i]});
        }
        return anyPositive ? build(Source.PERCENTILES, points) : null;
    }

    /** Clamps x to {@link #MIN_LATENCY_US} and makes both coordinates non-decreasing. */
    private static LatencyCdf build(Source source, List<double[]> points) {
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(points.get(i)[0], MIN_LATENCY_US);
            y[i] = points.get(i)[1];
            if (i > 0) {
                x[i] = Math.max(x[i], x[i - 1]);
                y[i] = Math.max(y[i], y[i - 1]);
            }
        }
        return new LatencyCdf(source, x, y);
    }
}
