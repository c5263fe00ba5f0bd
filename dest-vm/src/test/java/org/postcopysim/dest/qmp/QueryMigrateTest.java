package org.postcopysim.dest.qmp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.metrics.Log2Buckets;

/**
 * {@link QueryMigrate#of}: each of QEMU's fields from inputs whose answers were worked out by
 * hand here, so a wrong unit, a missing phase or a mean over the wrong count shows as a wrong
 * number.
 */
class QueryMigrateTest {
    static final long PAGE = 4096;
    static final long GUEST = 64L << 20;

    private static QueryMigrate run(MigrationStatus status, String error, OptionalLong downtimeNs, long pagesMissing) {
        return QueryMigrate.of(status, error,
                new QueryMigrate.Times(2_345_678_901L, 12_999_999L, downtimeNs),
                new QueryMigrate.Transfer(GUEST, PAGE, pagesMissing, 16_400, 16_400 * PAGE, 0, 1_500),
                new QueryMigrate.Phases(0, 113, 16_400 * PAGE, 0, 0),
                new QueryMigrate.Faults(863_999_999L, new long[] {904_333_476L, 907_520_802L, 0},
                        new long[] {1_000_000_000L, 3_000L, 0}, new long[] {1_000, 3, 0}, 0, 0,
                        List.of(new Log2Buckets.Bucket(0, 1, 2), new Log2Buckets.Bucket(1, 2, 1),
                                new Log2Buckets.Bucket(512, 1024, 990), new Log2Buckets.Bucket(8_388_608, 16_777_216, 4),
                                new Log2Buckets.Bucket(16_777_216, Log2Buckets.UNBOUNDED_US, 6))));
    }

    @Test
    void timesAreWholeMillisecondsTruncatedAsQemuDoes() {
        QueryMigrate q = run(MigrationStatus.COMPLETED, null, OptionalLong.of(7_999_999L), 0);
        assertEquals(2_345, q.totalTimeMs());
        assertEquals(12, q.setupTimeMs());
        assertEquals(7L, q.downtimeMs());
        assertEquals(863, q.postcopyBlocktimeMs());
        assertArrayEquals(new long[] {904, 907, 0}, q.postcopyVcpuBlocktimeMs());
    }

    @Test
    void latenciesAreNanosecondMeansOverTheFaultsThatWaited() {
        QueryMigrate q = run(MigrationStatus.COMPLETED, null, OptionalLong.of(1), 0);
        assertArrayEquals(new long[] {1_000_000, 1_000, 0}, q.postcopyVcpuLatencyNs(), "per vCPU; 0 without a fault");
        assertEquals((1_000_000_000L + 3_000) / 1_003, q.postcopyLatencyNs(), "over every fault, not a mean of means");
        assertEquals(0, q.postcopyNonVcpuLatencyNs());
        long[] dist = new long[24];
        dist[0] = 3; // [0, 1) and [1, 2) us
        dist[9] = 990; // [512, 1024) us
        dist[23] = 10; // [2^23, 2^24) us and beyond
        assertArrayEquals(dist, q.postcopyLatencyDist());
    }

    @Test
    void ramCountsBytesPerPhaseAndRatesOverTheTransferTime() {
        QueryMigrate q = run(MigrationStatus.COMPLETED, null, OptionalLong.of(1), 0);
        QueryMigrate.Ram ram = q.ram();
        assertEquals(113 + 16_400 * PAGE, ram.transferred());
        assertEquals(0, ram.remaining());
        assertEquals(GUEST, ram.total());
        assertEquals(16_400, ram.normal());
        assertEquals(16_400 * PAGE, ram.normalBytes());
        assertEquals(1_500, ram.postcopyRequests());
        assertEquals(PAGE, ram.pageSize());
        assertEquals(113, ram.downtimeBytes());
        assertEquals(16_400 * PAGE, ram.postcopyBytes());
        double transferSeconds = (2_345_678_901L - 12_999_999L) / 1e9;
        assertEquals(ram.transferred() * 8 / transferSeconds / 1e6, ram.mbps(), 1e-9, "megabits per second");
        assertEquals(230.38, ram.mbps(), 0.01);
        assertEquals((long) (16_400 / transferSeconds), ram.pagesPerSecond());
        assertEquals(7_030, ram.pagesPerSecond());
    }

    @Test
    void aFailedRunSaysWhyWhatRemainedAndHasNoDowntimeWhenTheGuestNeverRanAgain() {
        QueryMigrate q = run(MigrationStatus.FAILED, "source unreachable", OptionalLong.empty(), 100);
        assertEquals(MigrationStatus.FAILED, q.status());
        assertEquals("failed", q.status().qemuName());
        assertEquals("source unreachable", q.errorDesc());
        assertNull(q.downtimeMs());
        assertEquals(100 * PAGE, q.ram().remaining());
        QueryMigrate done = run(MigrationStatus.COMPLETED, "ignored", OptionalLong.of(1), 0);
        assertNull(done.errorDesc(), "a completed migration has no error-desc");
        assertEquals("completed", done.status().qemuName());
    }

    @Test
    void noTransferTimeGivesZeroRatesAndASetupLongerThanTheRunIsRefused() {
        QueryMigrate.Times instant = new QueryMigrate.Times(5_000_000, 5_000_000, OptionalLong.empty());
        QueryMigrate q = QueryMigrate.of(MigrationStatus.FAILED, "refused", instant,
                new QueryMigrate.Transfer(0, PAGE, 0, 0, 0, 0, 0), new QueryMigrate.Phases(0, 0, 0, 0, 0),
                new QueryMigrate.Faults(0, new long[0], new long[0], new long[0], 0, 0, List.of()));
        assertEquals(0, q.ram().mbps());
        assertEquals(0, q.ram().pagesPerSecond());
        assertEquals(5, q.setupTimeMs());
        assertArrayEquals(new long[24], q.postcopyLatencyDist());
        assertThrows(IllegalArgumentException.class, () -> new QueryMigrate.Times(1, 2, OptionalLong.empty()));
    }
}
