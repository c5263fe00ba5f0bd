package org.postcopysim.dest.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.DestMetrics;
import org.postcopysim.dest.metrics.Log2Buckets.Bucket;

class Log2BucketsTest {
    private static final long OVERFLOW_LOW_US = 1L << Log2Buckets.MAX_EXPONENT;

    @Test
    void theTimerBoundariesArePowersOfTwoMicrosecondsUpTo2To24() {
        Duration[] slos = Log2Buckets.serviceLevelObjectives();
        assertEquals(Log2Buckets.MAX_EXPONENT + 1, slos.length);
        assertEquals(Duration.ofNanos(1_000), slos[0]);
        assertEquals(Duration.ofNanos(2_000), slos[1]);
        assertEquals(Duration.ofNanos(1_000L << 24), slos[slos.length - 1]);
    }

    @Test
    void recordedLatenciesLandInTheirLog2MicrosecondBucketsAndBeyond2To24UsInTheOverflowBucket() {
        DestMetrics metrics = new DestMetrics(new SimpleMeterRegistry());
        Timer timer = metrics.faultLatency();
        timer.record(500, TimeUnit.NANOSECONDS);      // [0,1) us
        timer.record(1_500, TimeUnit.NANOSECONDS);    // [1,2) us
        timer.record(1_700, TimeUnit.NANOSECONDS);    // [1,2) us
        timer.record(3, TimeUnit.MICROSECONDS);       // [2,4) us
        timer.record(100, TimeUnit.MICROSECONDS);     // [64,128) us
        timer.record(1, TimeUnit.SECONDS);            // 1,000,000 us: [524288,1048576) us
        timer.record(20, TimeUnit.SECONDS);           // 20,000,000 us > 2^24 us: overflow

        assertEquals(List.of(
                new Bucket(0, 1, 1),
                new Bucket(1, 2, 2),
                new Bucket(2, 4, 1),
                new Bucket(64, 128, 1),
                new Bucket(524_288, 1_048_576, 1),
                new Bucket(OVERFLOW_LOW_US, Log2Buckets.UNBOUNDED_US, 1)), metrics.latencyLog2Us());
        assertEquals(Log2Buckets.MAX_EXPONENT + 1, timer.takeSnapshot().histogramCounts().length,
                "the fault latency timer publishes the log2 boundaries");
        assertEquals(7, metrics.latency().count(), "the percentiles are still there");
    }

    @Test
    void noLatencyGivesNoBuckets() {
        assertEquals(List.of(), new DestMetrics(new SimpleMeterRegistry()).latencyLog2Us());
    }

    @Test
    void cumulativeCountsBecomePerBucketCountsAndNonLog2BoundariesFoldIntoTheNextBucket() {
        // As a Prometheus registry reports them: cumulative counts at each boundary (ns).
        HistogramSnapshot snap = snapshot(10, new CountAtBucket[] {
                new CountAtBucket(1_000.0, 0),
                new CountAtBucket(2_000.0, 3),
                new CountAtBucket(3_000.0, 4), // not a power of two: folds into [2,4)
                new CountAtBucket(4_000.0, 5),
                new CountAtBucket(8_000.0, 5), // empty bucket: dropped
                new CountAtBucket(16_000.0, 9)});
        assertEquals(List.of(
                new Bucket(1, 2, 3),
                new Bucket(2, 4, 2),
                new Bucket(8, 16, 4),
                new Bucket(16, Log2Buckets.UNBOUNDED_US, 1)), Log2Buckets.from(snap));
    }

    @Test
    void aTimerWithoutBoundariesGivesOneUnboundedBucket() {
        assertEquals(List.of(new Bucket(0, Log2Buckets.UNBOUNDED_US, 7)),
                Log2Buckets.from(snapshot(7, new CountAtBucket[0])));
    }

    private static HistogramSnapshot snapshot(long count, CountAtBucket[] counts) {
        return new HistogramSnapshot(count, 0, 0, new ValueAtPercentile[0], counts, (out, scale) -> { });
    }
}
