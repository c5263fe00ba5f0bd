package org.postcopysim.dest.metrics;

import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * QEMU's distribution of remote fault latency in log2 microsecond buckets [2<sup>N</sup>,
 * 2<sup>N+1</sup>) (kernel-background.md §7), read from a Micrometer timer instead of kept by
 * hand: the timer gets {@link #serviceLevelObjectives()} (1, 2, 4, ... 2<sup>{@value #MAX_EXPONENT}</sup>
 * microseconds), Prometheus then scrapes them as {@code _bucket{le=...}}, and {@link #from} turns
 * the snapshot's cumulative counts into one count per bucket.
 *
 * <p>The buckets are [0, 1) us, [1, 2) us, [2, 4) us, ... [2<sup>23</sup>, 2<sup>24</sup>) us,
 * and an overflow bucket [2<sup>24</sup> us, {@link #UNBOUNDED_US}) for latencies beyond
 * 2<sup>24</sup> us (16.8 s). Micrometer's boundaries are inclusive ({@code le}), so a latency
 * of exactly 2<sup>N</sup> us counts in the bucket below it; with an in-memory registry the
 * counts come from the timer's HdrHistogram, which resolves a boundary to its precision
 * (2 significant digits: latencies within about 1% of a boundary may land on either side). A
 * Prometheus registry counts each boundary exactly.
 */
public final class Log2Buckets {
    /** The largest bucket boundary is 2^MAX_EXPONENT microseconds (16.8 s). */
    public static final int MAX_EXPONENT = 24;
    /** {@link Bucket#highUs()} of the overflow bucket: no upper bound. */
    public static final long UNBOUNDED_US = Long.MAX_VALUE;

    /** Latencies in [lowUs, highUs) microseconds: {@code count} of them. */
    public record Bucket(long lowUs, long highUs, long count) {}

    private Log2Buckets() {}

    /** The timer boundaries for these buckets: 2^0 .. 2^{@value #MAX_EXPONENT} microseconds. */
    public static Duration[] serviceLevelObjectives() {
        Duration[] slos = new Duration[MAX_EXPONENT + 1];
        for (int n = 0; n <= MAX_EXPONENT; n++) slos[n] = Duration.ofNanos(1_000L << n);
        return slos;
    }

    /**
     * The non-empty buckets of a timer's snapshot, in ascending order; their counts sum to the
     * snapshot's count (unless latencies were recorded while it was taken). The snapshot's histogram counts must be cumulative (as Micrometer's
     * timers report them). Boundaries that are not a power of two microseconds are skipped:
     * their latencies count in the next log2 bucket. A timer without histogram boundaries
     * yields one bucket [0, {@link #UNBOUNDED_US}).
     */
    public static List<Bucket> from(HistogramSnapshot snapshot) {
        List<Bucket> buckets = new ArrayList<>();
        long lowUs = 0;
        long cumulativeBelow = 0;
        for (CountAtBucket c : snapshot.histogramCounts()) {
            double boundaryUs = c.bucket(TimeUnit.MICROSECONDS);
            long highUs = Math.round(boundaryUs);
            if (highUs <= lowUs || Long.bitCount(highUs) != 1 || Math.abs(boundaryUs - highUs) > 1e-6 * highUs) continue;
            long cumulative = Math.round(c.count());
            if (cumulative > cumulativeBelow) buckets.add(new Bucket(lowUs, highUs, cumulative - cumulativeBelow));
            cumulativeBelow = Math.max(cumulativeBelow, cumulative);
            lowUs = highUs;
        }
        // Recorded while the snapshot was taken, the histogram can run ahead of the count.
        long overflow = snapshot.count() - cumulativeBelow;
        if (overflow > 0) buckets.add(new Bucket(lowUs, UNBOUNDED_US, overflow));
        return buckets;
    }

    /**
     * The same buckets from an HdrHistogram of nanoseconds (the simulator's): the count of each
     * [2<sup>N</sup>, 2<sup>N+1</sup>) us range, at the histogram's precision, non-empty ones only.
     */
    public static List<Bucket> fromNanos(org.HdrHistogram.AbstractHistogram nanos) {
        List<Bucket> buckets = new ArrayList<>();
        long lowUs = 0;
        long counted = 0;
        for (int n = 0; n <= MAX_EXPONENT; n++) {
            long highUs = 1L << n;
            long count = nanos.getCountBetweenValues(lowUs * 1000, highUs * 1000 - 1);
            if (count > 0) buckets.add(new Bucket(lowUs, highUs, count));
            counted += count;
            lowUs = highUs;
        }
        long overflow = nanos.getTotalCount() - counted;
        if (overflow > 0) buckets.add(new Bucket(lowUs, UNBOUNDED_US, overflow));
        return buckets;
    }
}
