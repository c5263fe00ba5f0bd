package org.postcopysim.dest.qmp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.DestMetrics;
import org.postcopysim.dest.metrics.Log2Buckets;

/**
 * postcopy-latency-dist from the fault latency timer: 24 counts that sum to the faults recorded,
 * each latency in the bucket QEMU's own rule gives it (whole microseconds, floor of log2, under 1
 * us in bucket 0, beyond the last bucket clamped into it). The latencies sit well inside their
 * buckets, away from the boundaries where Micrometer's inclusive bounds and HdrHistogram's
 * precision differ from QEMU (see {@link QemuLatencyDist}). Negative controls: folds one bucket
 * off, or dropping the bucket under 1 us, fail the same check.
 */
class QemuLatencyDistTest {
    /** Latencies (ns) from under 1 us to past 2^24 us, each mid-bucket. */
    static final long[] LATENCIES_NS = {
        300, 1_500, 3_000, 5_500, 12_000, 100_000, 300_000, 1_500_000, 25_000_000, 700_000_000,
        6_000_000_000L, 12_000_000_000L, 20_000_000_000L, 120_000_000_000L,
    };

    /** QEMU's rule, written out apart from the code under test: the bucket of a latency of {@code ns}. */
    static int qemuBucket(long ns) {
        long us = ns / 1000;
        int index = us == 0 ? 0 : 63 - Long.numberOfLeadingZeros(us);
        return Math.min(index, QemuLatencyDist.BUCKETS - 1);
    }

    /** The latencies {@code fold} does not put where QEMU would, one timer per latency; empty when all are right. */
    static List<String> misplaced(Function<List<Log2Buckets.Bucket>, long[]> fold, long... latenciesNs) {
        List<String> wrong = new ArrayList<>();
        for (long ns : latenciesNs) {
            DestMetrics metrics = new DestMetrics(new SimpleMeterRegistry());
            metrics.latencyRecorder().record(ns);
            long[] expected = new long[QemuLatencyDist.BUCKETS];
            expected[qemuBucket(ns)] = 1;
            long[] got = fold.apply(metrics.latencyLog2Us());
            if (!Arrays.equals(expected, got)) wrong.add(ns + " ns: expected " + Arrays.toString(expected) + ", got " + Arrays.toString(got));
        }
        return wrong;
    }

    @Test
    void everyLatencyLandsInTheBucketQemuGivesIt() {
        assertEquals(List.of(), misplaced(QemuLatencyDist::of, LATENCIES_NS));
        // The examples QEMU's documentation of the field gives: the 8th element counts [256, 512) us.
        assertEquals(8, qemuBucket(300_000));
        assertEquals(List.of(), misplaced(QemuLatencyDist::of, 300_000));
    }

    @Test
    void theBucketsOfManyFaultsSumToTheFaultCount() {
        DestMetrics metrics = new DestMetrics(new SimpleMeterRegistry());
        long[] expected = new long[QemuLatencyDist.BUCKETS];
        for (int repeat = 1; repeat <= 3; repeat++) {
            for (long ns : LATENCIES_NS) {
                for (int i = 0; i < repeat; i++) metrics.latencyRecorder().record(ns + i);
                expected[qemuBucket(ns)] += repeat;
            }
        }
        long[] dist = QemuLatencyDist.of(metrics.latencyLog2Us());
        assertEquals(QemuLatencyDist.BUCKETS, dist.length);
        assertArrayEquals(expected, dist);
        assertEquals(metrics.latency().count(), Arrays.stream(dist).sum());
        assertEquals(6L * LATENCIES_NS.length, metrics.latency().count());
    }

    @Test
    void noFaultGivesTwentyFourZeros() {
        assertArrayEquals(new long[24], QemuLatencyDist.of(List.of()));
    }

    @Test
    void theCheckCatchesAFoldOneBucketOffAndOneThatDropsTheFirstBucket() {
        // Indexed by the bucket's upper bound: every latency one bucket too high.
        Function<List<Log2Buckets.Bucket>, long[]> byUpperBound = buckets -> {
            long[] counts = new long[QemuLatencyDist.BUCKETS];
            for (Log2Buckets.Bucket b : buckets) {
                counts[QemuLatencyDist.index(b.highUs() == Log2Buckets.UNBOUNDED_US ? b.lowUs() : b.highUs())] += b.count();
            }
            return counts;
        };
        // Latencies under 1 us left out, as if bucket 0 began at 1 us.
        Function<List<Log2Buckets.Bucket>, long[]> fromOneMicrosecond = buckets -> QemuLatencyDist.of(
                buckets.stream().filter(b -> b.lowUs() > 0).toList());
        assertFalse(misplaced(byUpperBound, LATENCIES_NS).isEmpty(), "a fold one bucket off passes");
        assertFalse(misplaced(fromOneMicrosecond, 300).isEmpty(), "a fold without [0, 1) us passes");
    }
}
