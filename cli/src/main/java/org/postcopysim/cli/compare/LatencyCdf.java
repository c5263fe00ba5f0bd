package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The fault latency distribution of one run as CDF points: x = latency (microseconds, always
 * positive so that it fits a log axis), y = fraction of faults at or below x, both non-decreasing.
 * Taken from the child's log2 histogram when it has one, else from its percentiles.
 *
 * <p>The histogram's first bucket cannot say where inside it the latencies lie: [0, 1) us holds
 * most faults of the exit modes. There the percentiles fill in ({@code faultLatencyNs}: the lowest
 * latency recorded, p50 ... p99.9 where they fall in that bucket), so the curve starts at the
 * lowest latency recorded instead of at 1 us.
 */
record LatencyCdf(Source source, double[] latencyUs, double[] fraction) {

    /** Where the points came from. */
    enum Source { BUCKETS, PERCENTILES }

    /** Latencies below this (1 ns) are drawn at it: a log axis has no place for 0. */
    static final double MIN_LATENCY_US = 0.001;

    /** The CDF of a run record or child summary; null when it has neither buckets with counts nor percentiles. */
    static LatencyCdf of(JsonNode summary) {
        LatencyCdf fromBuckets = fromBuckets(summary.path("faultLatencyLog2Us"), summary.path("faultLatencyNs"));
        return fromBuckets != null ? fromBuckets : fromPercentiles(summary.path("faultLatencyNs"));
    }

    /** {@link #fromBuckets(JsonNode, JsonNode)} without percentiles. */
    static LatencyCdf fromBuckets(JsonNode buckets) {
        return fromBuckets(buckets, MissingNode.getInstance());
    }

    /**
     * From a list of {lowUs, highUs, count} (count per bucket, not cumulative): a start point at
     * fraction 0, then one at the upper bound of each bucket up to the last non-empty one (the
     * cumulative fraction). Inside the first non-empty bucket, the percentiles of {@code latencyNs}
     * that fall there are points too, and the start is the lowest latency recorded
     * ({@code latencyNs.min}) when it lies in that bucket, else the bucket's lower bound (none
     * when that is 0 and no minimum is known).
     */
    static LatencyCdf fromBuckets(JsonNode buckets, JsonNode latencyNs) {
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
        double lowUs = b.get(first)[0];
        double highUs = b.get(first)[1];
        double firstFraction = b.get(first)[2] / total;
        List<double[]> points = new ArrayList<>();
        double minUs = latencyNs.path("min").isNumber() ? latencyNs.path("min").asDouble() / 1000.0 : -1;
        if (minUs > 0 && minUs >= lowUs && minUs < highUs) {
            points.add(new double[] {minUs, 0});
        } else if (lowUs > 0) {
            points.add(new double[] {lowUs, 0});
        }
        for (double[] p : percentilePoints(latencyNs)) {
            // only where the bucket cannot resolve, and below the fraction the bucket reaches
            if (p[0] > lowUs && p[0] < highUs && p[1] < firstFraction && (points.isEmpty() || p[0] > points.get(0)[0])) {
                points.add(p);
            }
        }
        long cumulative = 0;
        for (int i = first; i <= last; i++) {
            cumulative += (long) b.get(i)[2];
            points.add(new double[] {b.get(i)[1], (double) cumulative / total});
        }
        return build(Source.BUCKETS, points);
    }

    /** From {min, p50, p90, p99, p999, max} in nanoseconds (min optional): a point each; null when there were no faults. */
    static LatencyCdf fromPercentiles(JsonNode latencyNs) {
        if (!latencyNs.isObject() || latencyNs.path("count").asLong(1) == 0) return null;
        List<double[]> points = new ArrayList<>();
        if (latencyNs.path("min").isNumber() && latencyNs.path("min").asDouble() > 0) {
            points.add(new double[] {latencyNs.path("min").asDouble() / 1000.0, 0});
        }
        List<double[]> percentiles = percentilePoints(latencyNs);
        boolean anyPositive = false;
        for (double[] p : percentiles) anyPositive |= p[0] > 0;
        points.addAll(percentiles);
        return anyPositive ? build(Source.PERCENTILES, points) : null;
    }

    /** (latency in us, fraction) for each of {@link RunRecord#LATENCY_KEYS} present. */
    private static List<double[]> percentilePoints(JsonNode latencyNs) {
        List<double[]> points = new ArrayList<>();
        for (int i = 0; i < RunRecord.LATENCY_KEYS.length; i++) {
            JsonNode v = latencyNs.path(RunRecord.LATENCY_KEYS[i]);
            if (v.isNumber()) points.add(new double[] {v.asDouble() / 1000.0, RunRecord.LATENCY_FRACTIONS[i]});
        }
        return points;
    }

    /** The lowest latency drawn (us). */
    double lowestUs() {
        return latencyUs[0];
    }

    /** The highest latency drawn (us). */
    double highestUs() {
        return latencyUs[latencyUs.length - 1];
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
