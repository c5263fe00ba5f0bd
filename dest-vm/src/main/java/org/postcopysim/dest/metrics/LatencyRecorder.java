package org.postcopysim.dest.metrics;

/**
 * Where fault latencies go: a Micrometer timer in the real run (scraped by Prometheus, read by
 * the summary), an HdrHistogram in the simulator. The caller measured the latency with its own
 * clock. Implementations must not allocate per call.
 */
@FunctionalInterface
public interface LatencyRecorder {
    /** Records one fault that took {@code latencyNs} from the fault to the page being present. */
    void record(long latencyNs);

    /** Records nothing. */
    LatencyRecorder NONE = latencyNs -> { };
}
