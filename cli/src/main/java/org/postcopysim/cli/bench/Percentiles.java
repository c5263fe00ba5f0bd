package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.HdrHistogram.Histogram;

/** A latency distribution's summary (nanoseconds; {@code count} samples). */
record Percentiles(long count, long p50, long p90, long p99, long p999, long max, long mean) {

    static Percentiles of(Histogram h) {
        return new Percentiles(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(90),
                h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), Math.round(h.getMean()));
    }

    /** From a {@code faultLatencyNs} object of the destination's JSON summary. */
    static Percentiles of(JsonNode n) {
        return new Percentiles(n.path("count").asLong(), n.path("p50").asLong(), n.path("p90").asLong(),
                n.path("p99").asLong(), n.path("p999").asLong(), n.path("max").asLong(), n.path("mean").asLong());
    }
}
