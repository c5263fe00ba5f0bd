package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.LoopbackMigrationTest.Both;
import org.postcopysim.guest.Workload;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.chaos.ChaosState;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;
import org.postcopysim.source.policy.PrecopyPolicy;

/**
 * Precopy, then postcopy, end to end over loopback: the guest runs on the source first (the same
 * workload as on the destination), pages dirtied after they were sent are discarded on the
 * destination and fault again there, and the completion digest holds every write of both sides.
 * Each check has its negative control: a destination that ignores the discard, or keeps a page's
 * first copy, fails verification; one that does not mark the end of precopy gets its phase counts
 * wrong against the source's; precopy-rounds 0 passes the postcopy-only checks, one round does not.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PrecopyMigrationTest {
    /** 16 MiB, capped at 32 MiB/s: round 1 takes about half a second, long enough for the guest to dirty pages. */
    static SourceConfig source(PrecopyPolicy precopy) {
        return SourceConfig.builder().guestBytes(16L << 20).maxBackgroundBytesPerSec(32L << 20).precopy(precopy).build();
    }

    /** Two vCPUs on a hot set (90% of the accesses on 10% of the pages), half of them writes. */
    static DestConfig dest(double writeFraction) {
        return DestConfig.builder("127.0.0.1", 0).vcpus(2).accessesPerSecPerVcpu(50_000)
                .workload(Workload.parse("hotset", writeFraction)).seed(5).build();
    }

    static Both migrate(SourceConfig sourceConfig, DestConfig destTemplate, PrecopyBug bug) {
        try (SourceVm source = SourceVm.start(sourceConfig, new SimpleMeterRegistry())) {
            DestConfig dest = destTemplate.toBuilder().port(source.boundAddress().getPort()).build();
            MigrationSummary s = DestVm.run(dest, new SimpleMeterRegistry(), bug);
            SourceResult sr = source.completion().orTimeout(30, TimeUnit.SECONDS).join();
            assertEquals(s.verified(), sr.verified(), "both sides agree on the verdict");
            return new Both(s, sr);
        }
    }

    @Test
    void pagesDirtiedAfterTheyWereSentAreDiscardedFaultAgainAndEveryWriteOfBothSidesVerifies() {
        Both both = migrate(source(PrecopyPolicy.rounds(3)), dest(0.5), PrecopyBug.NONE);
        MigrationSummary s = both.dest();
        SourceResult sr = both.source();
        assertNull(s.error());
        assertTrue(s.verified());
        assertEquals(s.pagesTotal(), s.pagesVerified());
        assertEquals(0, s.staleReads());
        assertEquals(3, s.precopyRounds());
        assertEquals(3, sr.precopy().rounds());
        List<MigrationSummary.PrecopyRound> rounds = s.precopyRoundStats();
        assertEquals(List.of(1, 2, 3), rounds.stream().map(MigrationSummary.PrecopyRound::round).toList());
        assertEquals(s.pagesTotal(), rounds.get(0).pagesSent(), "round 1 sends every page");
        for (int i = 1; i < rounds.size(); i++) {
            assertTrue(rounds.get(i).pagesSent() >= rounds.get(i - 1).dirtiedPages(),
                    "round " + (i + 1) + " resends at least the pages dirtied during round " + i + ": " + rounds);
        }
        assertTrue(rounds.get(0).dirtiedPages() > 0 && rounds.get(0).dirtyBytesPerSec() > 0, "the guest dirtied pages: " + rounds);
        // The source's guest wrote; the pages it dirtied after sending them were discarded here.
        assertTrue(s.sourceGuestWrites() > 0);
        assertEquals(sr.precopy().guestWrites(), s.sourceGuestWrites());
        assertEquals(sr.precopy().discardedPages(), s.discardedPages());
        assertTrue(s.discardedPages() >= rounds.get(2).dirtiedPages() && s.discardedPages() > 0, s.discardedPages() + " discarded");
        // ...and fault again: after precopy every other page is present, so every request is for a discarded page.
        assertTrue(s.demandFaults() > 0, "the guest faulted on discarded pages");
        assertTrue(s.pageRequests() <= s.discardedPages(), s.pageRequests() + " requests, " + s.discardedPages() + " discarded");
        assertEquals(0, s.mmu().refetchedArrivedPages(), "a discarded page is missing, not arrived: fetching it is no refetch");
        assertTrue(s.downtimeMs() >= 0 && s.downtimeMs() < s.setupMs() + s.migrationTimeMs() + 1_000, s.downtimeMs() + " ms");
    }

    @Test
    void negativeControlADestinationThatIgnoresTheDiscardKeepsStaleCopiesAndFailsVerification() {
        Both both = migrate(source(PrecopyPolicy.rounds(2)), dest(0.5), PrecopyBug.IGNORE_DISCARD);
        MigrationSummary s = both.dest();
        assertFalse(s.verified());
        assertTrue(s.discardedPages() > 0);
        assertEquals(0, s.pageRequests(), "every page stayed present: nothing faulted");
        // Every page looked present at once, so the destination sent its digest before the discarded
        // pages came again: the source refuses it, and its digest holds the stale copies.
        assertTrue(s.error().contains("pages were never sent") && s.error().contains("of the digest differ from the source's"),
                s.error());
    }

    @Test
    void negativeControlADestinationThatKeepsThePagesFirstCopyFailsVerification() {
        Both both = migrate(source(PrecopyPolicy.rounds(3)), dest(0.5), PrecopyBug.KEEP_FIRST_COPY);
        assertFalse(both.dest().verified());
        assertTrue(both.dest().pageMismatches() > 0);
    }

    @Test
    void precopyCopiesDamagedReorderedOrDuplicatedOnTheWayAreCaughtAndFetchedAfterTheSwitchover() {
        // The destination's chaos: a precopy copy that fails its CRC32C leaves its page missing; it
        // is requested again once the Switchover is here. Reordered and duplicated frames never
        // cross the Discard (a control frame releases what the chaos holds).
        Reliability chaos = Reliability.DEFAULT.withChaos("corrupt:0.05,reorder:0.2,duplicate:0.1", ChaosState.seedOf(3));
        Both both = migrate(source(PrecopyPolicy.rounds(3)), dest(0.5).toBuilder().reliability(chaos).build(), PrecopyBug.NONE);
        MigrationSummary s = both.dest();
        assertTrue(s.verified(), s.error());
        assertEquals(0, s.staleReads());
        assertTrue(s.crcFailures() > 0, "damaged copies were caught: " + s.chaos());
        assertEquals(3, s.precopyRounds());
    }

    /** The destination's pages and bytes per phase against what the source sent in each. */
    static void assertPhasesMatchTheSource(Both both) {
        MigrationSummary s = both.dest();
        SourceResult sr = both.source();
        MigrationSummary.BytesPerPhase p = s.bytesPerPhase();
        long received = s.backgroundPages() + s.demandPages() + s.duplicatePages() + s.crcFailures();
        assertEquals(received, p.precopyPages() + p.downtimePages() + p.postcopyPages(), "the phases add up to every copy: " + p);
        assertEquals(s.bytesTransferred(), p.precopyBytes() + p.downtimeBytes() + p.postcopyBytes(), "and to every byte: " + p);
        // Precopy's copies all arrive on BACKGROUND ahead of the Discard: exactly what the rounds sent.
        assertEquals(sr.precopy().pagesSent(), p.precopyPages(), "precopy pages, against the source's rounds: " + p);
        assertEquals(p.precopyPages() * GuestLayout.PAGE_SIZE_BYTES, p.precopyBytes());
        assertEquals(sr.backgroundPagesSent() + sr.demandPagesSent() - sr.precopy().pagesSent(),
                p.downtimePages() + p.postcopyPages(), "the rest arrived after the discard: " + p);
    }

    @Test
    void thePagesAndBytesOfEachPhaseAddUpAndMatchWhatTheSourceSent() {
        Both both = migrate(source(PrecopyPolicy.rounds(2)), dest(0.3), PrecopyBug.NONE);
        assertTrue(both.dest().verified(), both.dest().error());
        assertPhasesMatchTheSource(both);
        assertTrue(both.dest().bytesPerPhase().postcopyPages() > 0);
    }

    @Test
    void negativeControlPrecopysEndNotMarkedCountsItsPagesInTheWrongPhase() {
        Both both = migrate(source(PrecopyPolicy.rounds(2)), dest(0.3), PrecopyBug.PRECOPY_END_NOT_MARKED);
        assertTrue(both.dest().verified(), "the pages are fine; only the accounting is wrong");
        assertThrows(AssertionError.class, () -> assertPhasesMatchTheSource(both));
    }

    /** What a migration without precopy shows: no precopy anywhere, and each page installed once. */
    static void assertPostcopyOnly(Both both) {
        MigrationSummary s = both.dest();
        assertTrue(s.verified(), s.error());
        assertEquals(0, s.precopyRounds());
        assertEquals(List.of(), s.precopyRoundStats());
        assertEquals(0, s.discardedPages());
        assertEquals(0, s.sourceGuestWrites());
        assertEquals(0, s.bytesPerPhase().precopyPages());
        assertEquals(0, both.source().precopy().rounds());
        LoopbackMigrationTest.assertCountsAddUp(both); // each page installed exactly once, one request per fault, ...
    }

    @Test
    void precopyRoundsZeroIsThePostcopyOnlyMigration() {
        Both both = migrate(source(PrecopyPolicy.rounds(0)), dest(0.5), PrecopyBug.NONE);
        assertPostcopyOnly(both);
        assertTrue(both.dest().demandFaults() > 0, "the guest starts here with every page missing");
        assertTrue(both.dest().downtimeMs() <= both.dest().setupMs(), "the guest stopped once the destination connected");
    }

    @Test
    void negativeControlOnePrecopyRoundFailsThePostcopyOnlyChecks() {
        Both both = migrate(source(PrecopyPolicy.rounds(1)), dest(0.5), PrecopyBug.NONE);
        assertTrue(both.dest().verified(), both.dest().error());
        assertThrows(AssertionError.class, () -> assertPostcopyOnly(both));
    }

    @Test
    void precopyUntilSwitchesOverAsSoonAsTheDirtySetIsSmallEnough() {
        // A guest that only reads: round 1 leaves nothing dirty, so precopy ends after it with nothing to discard.
        Both idle = migrate(source(PrecopyPolicy.until(0, 5)), dest(0), PrecopyBug.NONE);
        MigrationSummary s = idle.dest();
        assertTrue(s.verified(), s.error());
        assertEquals(1, s.precopyRounds());
        assertEquals(0, s.discardedPages());
        assertEquals(0, s.sourceGuestWrites());
        assertEquals(0, s.demandFaults(), "every page was here before the guest resumed");
        assertEquals(s.pagesTotal(), s.bytesPerPhase().precopyPages());
        // A guest that writes never gets there in time: all five rounds run.
        Both busy = migrate(source(PrecopyPolicy.until(0, 5)), dest(0.5), PrecopyBug.NONE);
        assertTrue(busy.dest().verified(), busy.dest().error());
        assertEquals(5, busy.dest().precopyRounds());
    }
}
