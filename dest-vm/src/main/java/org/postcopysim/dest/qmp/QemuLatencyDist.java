package org.postcopysim.dest.qmp;

import java.util.List;
import org.postcopysim.dest.metrics.Log2Buckets;

/**
 * QEMU's {@code postcopy-latency-dist}: exactly {@value #BUCKETS} counts, where count N holds
 * the faults whose latency, in whole microseconds, has floor(log2) = N, i.e. lies in
 * [2<sup>N</sup>, 2<sup>N+1</sup>) us. QEMU puts a latency under 1 us in bucket 0 too, and one
 * of 2<sup>{@value #BUCKETS}</sup> us or more in the last bucket.
 *
 * <p>Folded from the timer's {@link Log2Buckets} (the same boundaries, kept by Micrometer, so
 * the fault path records each latency once): [0, 1) and [1, 2) us go to bucket 0, [2<sup>N</sup>,
 * 2<sup>N+1</sup>) to bucket N, and [2<sup>23</sup>, 2<sup>24</sup>) and the overflow bucket
 * beyond 2<sup>24</sup> us to bucket 23. What Log2Buckets says of its boundaries holds here: a
 * latency of exactly 2<sup>N</sup> us counts one bucket lower than in QEMU (Micrometer's bounds
 * include their upper end), and an in-memory registry places latencies within about 1% of a
 * boundary at HdrHistogram's precision.
 */
public final class QemuLatencyDist {
    /** QEMU's number of buckets (BLOCKTIME_LATENCY_BUCKET_N): the last starts at 2^23 us (8.4 s). */
    public static final int BUCKETS = 24;

    private QemuLatencyDist() {}

    /** The {@value #BUCKETS} counts of {@code buckets} (non-empty Log2Buckets, any order); a new array. */
    public static long[] of(List<Log2Buckets.Bucket> buckets) {
        long[] counts = new long[BUCKETS];
        for (Log2Buckets.Bucket b : buckets) counts[index(b.lowUs())] += b.count();
        return counts;
    }

    /** The QEMU bucket of latencies of at least {@code lowUs} microseconds (and below the next power of two). */
    static int index(long lowUs) {
        if (lowUs < 0) throw new IllegalArgumentException("a latency bucket starts at " + lowUs + " us");
        int log2 = lowUs == 0 ? 0 : 63 - Long.numberOfLeadingZeros(lowUs);
        return Math.min(BUCKETS - 1, log2);
    }
}
