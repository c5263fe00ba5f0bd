package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.chaos.ChaosState;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;

/**
 * Whole migrations in one JVM over loopback sockets with {@code --chaos} on the source's sends or
 * the destination's receives: each kind of injected fault happens, and every page still verifies.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChaosMigrationTest {
    private static final long SEED = 20250601;
    private static final long GUEST_BYTES = 8L << 20;
    /** Background cap, so that the vCPUs fault on pages that have not arrived (bytes/s). */
    private static final long BACKGROUND_BYTES_PER_SEC = 4L << 20;

    record Outcome(MigrationSummary summary, SourceResult source, ChaosState sourceChaos) {}

    static Outcome migrate(String sourceChaos, String destChaos, long guestBytes) {
        return migrate(sourceChaos, destChaos, guestBytes, 1);
    }

    static Outcome migrate(String sourceChaos, String destChaos, long guestBytes, int streams) {
        Reliability srcRel = sourceChaos == null ? Reliability.DEFAULT
                : Reliability.DEFAULT.withChaos(sourceChaos, ChaosState.seedOf(SEED));
        Reliability dstRel = destChaos == null ? Reliability.DEFAULT
                : Reliability.DEFAULT.withChaos(destChaos, ChaosState.seedOf(SEED + 1));
        SourceConfig src = SourceConfig.builder().guestBytes(guestBytes).seed(SEED)
                .maxBackgroundBytesPerSec(BACKGROUND_BYTES_PER_SEC).reliability(srcRel).build();
        try (SourceVm source = SourceVm.start(src, new SimpleMeterRegistry())) {
            DestConfig dst = DestConfig.builder("127.0.0.1", source.boundAddress().getPort()).vcpus(2).seed(SEED)
                    .reliability(dstRel).streams(streams).build();
            MigrationSummary summary = DestVm.run(dst, new SimpleMeterRegistry());
            SourceResult sr = source.completion().orTimeout(30, TimeUnit.SECONDS).join();
            assertEquals(summary.verified(), sr.verified(), "both sides agree on the verdict");
            return new Outcome(summary, sr, source.chaos());
        }
    }

    static void assertVerified(MigrationSummary s) {
        assertTrue(s.verified(), s.error());
        assertEquals(s.pagesTotal(), s.pagesVerified());
        assertEquals(0, s.staleReads());
    }

    @Test
    void corruptedPagesAreCaughtByTheChecksumAndFetchedAgain() {
        Outcome o = migrate(null, "corrupt:0.05", GUEST_BYTES);
        assertVerified(o.summary());
        assertTrue(o.summary().crcFailures() > 0, "the destination's CRC32C check caught damaged pages");
    }

    @Test
    void duplicatedFramesAreInstalledOnce() {
        Outcome o = migrate("duplicate:0.2", null, GUEST_BYTES);
        assertVerified(o.summary());
        assertTrue(o.sourceChaos().framesDuplicated() > 0);
        assertTrue(o.summary().duplicatePages() > 0, "second copies were dropped as already present (EEXIST)");
    }

    @Test
    void reorderedFramesStillVerify() {
        Outcome o = migrate("reorder:0.3", null, GUEST_BYTES);
        assertVerified(o.summary());
        assertTrue(o.sourceChaos().framesReordered() > 0, o.sourceChaos().describe());
    }

    @Test
    void aDelayOnTheSourceAddsToEveryDemandFault() {
        Outcome o = migrate("delay:5", null, GUEST_BYTES);
        assertVerified(o.summary());
        assertTrue(o.summary().faultLatencyNs().count() > 0, "the vCPUs faulted");
        assertTrue(o.summary().faultLatencyNs().p50() >= TimeUnit.MILLISECONDS.toNanos(5),
                "fault latency p50 " + o.summary().faultLatencyNs().p50() + " ns");
        assertTrue(o.sourceChaos().framesDelayed() > 0);
    }

    @Test
    void jitterOnTheDestinationSpreadsFaultLatencyOverTheJittersRange() {
        // jitter:40 holds every page frame the destination receives an extra uniform [0, 40] ms, so
        // a demand fault waits its base latency plus a hold whose median is 20 ms and whose 90th
        // percentile is 36 ms. Against the same migration without it, the median moves up by
        // about 20 ms and the median and the 90th percentile move apart by about 16 ms; a fixed
        // delay would move both alike, and no jitter would move neither. (The jitter is large
        // against a loaded machine's own spread of a few ms.)
        long jitterMs = 40;
        Outcome plain = migrate(null, null, GUEST_BYTES);
        Outcome o = migrate(null, "jitter:" + jitterMs, GUEST_BYTES);
        assertVerified(plain.summary());
        assertVerified(o.summary());
        MigrationSummary.Latency base = plain.summary().faultLatencyNs();
        MigrationSummary.Latency l = o.summary().faultLatencyNs();
        String both = "with jitter " + l + ", without " + base;
        assertTrue(l.count() > 50 && base.count() > 50, "the vCPUs faulted: " + both);
        long ms = TimeUnit.MILLISECONDS.toNanos(1);
        assertTrue(l.p50() - base.p50() >= jitterMs / 4 * ms, "the median moved up by a quarter of the jitter or more: " + both);
        assertTrue((l.p90() - l.p50()) - (base.p90() - base.p50()) >= jitterMs / 8 * ms,
                "the median and the 90th percentile moved apart by an eighth of the jitter or more: " + both);
        assertTrue(l.p50() <= base.p50() + jitterMs * ms + 50 * ms, "and by about the jitter, not more: " + both);
    }

    @Test
    void aSlowSourceCapsEveryPageByte() {
        Outcome o = migrate("slow-source:2M", null, GUEST_BYTES);
        assertVerified(o.summary());
        // 8 MiB at 2 MiB/s takes 4 s whatever the demand faults; a lower bound with slack.
        assertTrue(o.summary().migrationTimeMs() >= 3_000, o.summary().migrationTimeMs() + " ms");
    }

    @Test
    void everyFaultAtOnceOnBothSidesStillVerifies() {
        Outcome o = migrate("delay:2,jitter:3,duplicate:0.1,reorder:0.2,corrupt:0.02,slow-source:32M",
                "jitter:2,duplicate:0.05,reorder:0.1,corrupt:0.02", GUEST_BYTES);
        assertVerified(o.summary());
        ChaosState c = o.sourceChaos();
        assertTrue(c.framesDelayed() > 0 && c.framesDuplicated() > 0 && c.framesThrottled() > 0, c.describe());
    }

    /** disconnect@P% drops both connections once; with postcopy recovery the migration resumes and verifies. */
    @Test
    void aDisconnectAtThirtyPercentIsRecoveredFrom() {
        Outcome o = migrate("disconnect@30%", null, GUEST_BYTES);
        assertTrue(o.sourceChaos().hasDisconnected());
        assertEquals(2, o.sourceChaos().disconnects(), "both connections dropped, once");
        assertVerified(o.summary());
        assertEquals(1, o.summary().recoveries(), "one drop, one recovery");
        assertEquals(1, o.source().recoveries(), "on both sides");
        assertTrue(o.summary().pausedMs() > 0);
    }

    /** With three streams, disconnect@P% drops all four connections once, and the new link has four again. */
    @Test
    void aDisconnectWithThreeStreamsDropsEveryConnectionAndIsRecoveredFrom() {
        Outcome o = migrate("disconnect@30%", "duplicate:0.1", GUEST_BYTES, 3);
        // Every connection open at the drop is dropped: DEMAND and the streams connected by then (on a loaded machine
        // the last stream can still be connecting when demand answers alone reach 30% of the pages).
        long dropped = o.sourceChaos().disconnects();
        assertTrue(dropped >= 2 && dropped <= 4, "DEMAND and the streams connected at the time dropped, once: " + dropped);
        assertVerified(o.summary());
        assertEquals(1, o.summary().recoveries(), "one drop, one recovery");
        assertEquals(1, o.source().recoveries(), "on both sides");
        for (int i = 0; i < 3; i++) assertTrue(o.summary().streamPages()[i] > 0, "stream " + i);
    }
}
