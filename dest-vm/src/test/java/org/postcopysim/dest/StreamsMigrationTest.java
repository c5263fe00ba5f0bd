package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.LoopbackMigrationTest.Both;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.policy.PrecopyPolicy;

/**
 * {@code --streams N} end to end over loopback: the background pages are spread over N
 * connections, every stream carries its share, every page is installed once (the counts of
 * {@link LoopbackMigrationTest#assertCountsAddUp} hold over all the streams), the streams' page
 * frames are QEMU's multifd bytes, and precopy over several streams discards and verifies.
 * Recovery, TLS with the token, and chaos with several streams are in RecoveryTest,
 * TlsMigrationTest and ChaosMigrationTest.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StreamsMigrationTest {
    private static final SourceConfig SOURCE = SourceConfig.builder().guestBytes(32L << 20)
            .maxBackgroundBytesPerSec(32L << 20).build();

    private static Both migrate(int streams) {
        return LoopbackMigrationTest.migrateBoth(SOURCE, DestConfig.builder("127.0.0.1", 0).seed(11).vcpus(2)
                .streams(streams).build());
    }

    /** Every one of {@code streams} streams carried pages, and together the source's background pages. */
    static void assertSpreadOver(Both both, int streams) {
        MigrationSummary s = both.dest();
        SourceResult sr = both.source();
        long[] per = s.streamPages();
        assertEquals(streams, per.length, "pages per stream: " + Arrays.toString(per));
        for (int i = 0; i < streams; i++) {
            assertTrue(per[i] > 0, "stream " + i + " carried no page: " + Arrays.toString(per));
        }
        assertEquals(sr.backgroundPagesSent(), Arrays.stream(per).sum(),
                "the streams delivered every background page the source sent: " + Arrays.toString(per));
        long multifd = s.queryMigrate().ram().multifdBytes();
        assertTrue(multifd >= sr.backgroundPagesSent() * 4096L, multifd + " multifd bytes");
    }

    @Test
    void fourStreamsEachCarryTheirShareAndEveryPageIsInstalledOnce() {
        Both both = migrate(4);
        assertTrue(both.dest().verified(), both.dest().error());
        assertEquals(both.dest().pagesTotal(), both.dest().pagesVerified());
        LoopbackMigrationTest.assertCountsAddUp(both);
        assertSpreadOver(both, 4);
    }

    @Test
    void negativeControlOneStreamFailsTheSpreadCheck() {
        Both both = migrate(1);
        assertTrue(both.dest().verified(), both.dest().error());
        assertEquals(0, both.dest().queryMigrate().ram().multifdBytes(), "one stream is no multifd");
        assertThrows(AssertionError.class, () -> assertSpreadOver(both, 4));
    }

    @Test
    void precopyOverThreeStreamsDiscardsBehindEveryStreamAndVerifies() {
        Both both = PrecopyMigrationTest.migrate(PrecopyMigrationTest.source(PrecopyPolicy.rounds(2)),
                PrecopyMigrationTest.dest(0.5).toBuilder().streams(3).build(), PrecopyBug.NONE);
        MigrationSummary s = both.dest();
        assertTrue(s.verified(), s.error());
        assertEquals(0, s.staleReads());
        assertEquals(2, s.precopyRounds());
        assertTrue(s.discardedPages() > 0, "the guest dirtied pages after they were sent");
        assertEquals(both.source().precopy().discardedPages(), s.discardedPages());
        PrecopyMigrationTest.assertPhasesMatchTheSource(both);
        for (int i = 0; i < 3; i++) assertTrue(s.streamPages()[i] > 0, "stream " + i + ": " + Arrays.toString(s.streamPages()));
    }

    @Test
    void negativeControlPrecopyOverThreeStreamsWithTheDiscardIgnoredFailsVerification() {
        Both both = PrecopyMigrationTest.migrate(PrecopyMigrationTest.source(PrecopyPolicy.rounds(2)),
                PrecopyMigrationTest.dest(0.5).toBuilder().streams(3).build(), PrecopyBug.IGNORE_DISCARD);
        assertTrue(!both.dest().verified(), "stale copies kept: " + both.dest().error());
    }
}
