package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.qmp.MigrationStatus;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;
import org.postcopysim.time.NanoClock;

/**
 * Postcopy recovery end to end in one JVM: a real source and destination with a
 * {@link CuttableProxy} between them that cuts, restores or silences the link mid-migration.
 * The guest is small and the background stream capped, so the migration lasts a few seconds.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecoveryTest {
    static final long GUEST_BYTES = 32L << 20;
    static final long BACKGROUND_BYTES_PER_SEC = 4L << 20;
    /** Bound of every wait (a condition that does not come within it fails the test). */
    static final Duration BOUND = Duration.ofSeconds(60);

    /** One migration through the proxy: the destination runs on its own thread. */
    private static final class Run implements AutoCloseable {
        final SourceVm source;
        final CuttableProxy proxy;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final CompletableFuture<MigrationSummary> summary = new CompletableFuture<>();

        Run(SourceConfig sourceConfig, Reliability destReliability) throws Exception {
            this(sourceConfig, destReliability, org.postcopysim.dest.fault.FaultOptions.DEFAULT);
        }

        Run(SourceConfig sourceConfig, Reliability destReliability, org.postcopysim.dest.fault.FaultOptions faults)
                throws Exception {
            this(sourceConfig, destReliability, faults, DestConfig.defaults("x", 0).workload());
        }

        Run(SourceConfig sourceConfig, Reliability destReliability, org.postcopysim.dest.fault.FaultOptions faults,
            org.postcopysim.guest.Workload workload) throws Exception {
            this(sourceConfig, destReliability, faults, workload, NanoClock.SYSTEM);
        }

        /** With {@code clock} as the destination's clock (see {@link DestVm#run(DestConfig, io.micrometer.core.instrument.MeterRegistry, NanoClock)}). */
        Run(SourceConfig sourceConfig, Reliability destReliability, NanoClock clock) throws Exception {
            this(sourceConfig, destReliability, org.postcopysim.dest.fault.FaultOptions.DEFAULT,
                    DestConfig.defaults("x", 0).workload(), clock);
        }

        Run(SourceConfig sourceConfig, Reliability destReliability, org.postcopysim.dest.fault.FaultOptions faults,
            org.postcopysim.guest.Workload workload, NanoClock clock) throws Exception {
            this(sourceConfig, destReliability, faults, workload, clock, 1);
        }

        /** With {@code streams} BACKGROUND streams. */
        Run(SourceConfig sourceConfig, int streams) throws Exception {
            this(sourceConfig, Reliability.DEFAULT, org.postcopysim.dest.fault.FaultOptions.DEFAULT,
                    DestConfig.defaults("x", 0).workload(), NanoClock.SYSTEM, streams);
        }

        Run(SourceConfig sourceConfig, Reliability destReliability, org.postcopysim.dest.fault.FaultOptions faults,
            org.postcopysim.guest.Workload workload, NanoClock clock, int streams) throws Exception {
            source = SourceVm.start(sourceConfig, new SimpleMeterRegistry());
            proxy = new CuttableProxy(source.boundAddress());
            DestConfig dest = DestConfig.builder("127.0.0.1", proxy.port()).vcpus(2).seed(5)
                    .accessesPerSecPerVcpu(300).reliability(destReliability).faults(faults)
                    .workload(workload).streams(streams).build();
            Thread t = new Thread(() -> {
                try {
                    summary.complete(DestVm.run(dest, registry, clock));
                } catch (Throwable e) {
                    summary.completeExceptionally(e);
                }
            }, "test-dest");
            t.setDaemon(true);
            t.start();
        }

        /** Waits (bounded) until the fraction of pages present reaches {@code fraction}. */
        void awaitPresentFraction(double fraction) {
            awaitGauge(DestMetrics.PAGES_PRESENT, v -> {
                Gauge total = registry.find(DestMetrics.PAGES_TOTAL).gauge();
                return total != null && v >= fraction * total.value();
            });
        }

        /** Waits (bounded) until the destination says it is paused (1) or running (0). */
        void awaitPaused(boolean paused) {
            awaitGauge(DestMetrics.PAUSED, v -> v == (paused ? 1 : 0));
        }

        void awaitGauge(String name, DoublePredicate ok) {
            await(name, () -> {
                Gauge g = registry.find(name).gauge();
                return g != null && ok.test(g.value());
            });
        }

        /**
         * The status the destination's status gauges name (the one at 1). The gauges are read one
         * after another, so a read that spans a change may see two at 1 or none: it is read again,
         * and fails if no read of 100 sees exactly one.
         */
        MigrationStatus status() {
            List<String> reads = new ArrayList<>();
            for (int attempt = 0; attempt < 100; attempt++) {
                List<MigrationStatus> atOne = new ArrayList<>();
                for (MigrationStatus st : MigrationStatus.values()) {
                    double v = registry.get(DestMetrics.STATUS).tag("status", st.qemuName()).gauge().value();
                    assertTrue(v == 0 || v == 1, st + " reads " + v);
                    if (v == 1) atOne.add(st);
                }
                if (atOne.size() == 1) return atOne.get(0);
                reads.add(atOne.toString());
                LockSupport.parkNanos(1_000_000);
            }
            return fail("the status gauges never named exactly one status: " + reads);
        }

        /** Waits (bounded) until the status gauges are registered (the destination's thread does it) and name {@code expected}. */
        void awaitStatus(MigrationStatus expected) {
            await("status " + expected.qemuName(), () -> registry.find(DestMetrics.STATUS).gauges().size()
                    == MigrationStatus.values().length && status() == expected);
        }

        /** Waits (bounded) until the destination tried to reconnect {@code attempts} more times than {@code before}. */
        void awaitReconnectAttempts(int before, int attempts) {
            await((before + attempts) + " connections at the proxy", () -> proxy.accepted() >= before + attempts);
        }

        /** Waits (bounded, while the migration runs) until {@code condition} holds. */
        void await(String what, java.util.function.BooleanSupplier condition) {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (true) {
                if (condition.getAsBoolean()) return;
                if (summary.isDone()) fail("the migration ended before " + what + ": " + summary.join().error());
                if (System.nanoTime() > deadline) fail(what + ": not within " + BOUND);
                LockSupport.parkNanos(2_000_000);
            }
        }

        double counter(String name) {
            var c = registry.find(name).counter();
            return c == null ? 0 : c.count();
        }

        MigrationSummary result() {
            return summary.orTimeout(BOUND.toSeconds(), TimeUnit.SECONDS).join();
        }

        SourceResult sourceResult() {
            return source.completion().orTimeout(BOUND.toSeconds(), TimeUnit.SECONDS).join();
        }

        @Override
        public void close() {
            proxy.close();
            source.close();
        }
    }

    private static SourceConfig source() {
        return SourceConfig.builder().guestBytes(GUEST_BYTES).maxBackgroundBytesPerSec(BACKGROUND_BYTES_PER_SEC).build();
    }

    /** Holds a link state for {@code ms}: the test's own schedule, not a wait for a condition. */
    private static void hold(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    @Test
    void aCutLinkIsResumedAndEveryPageStillVerifies() throws Exception {
        try (Run run = new Run(source(), Reliability.DEFAULT)) {
            run.awaitPresentFraction(0.3);
            int before = run.proxy.accepted();
            run.proxy.cut();
            run.awaitPaused(true);
            run.awaitReconnectAttempts(before, 2); // refused while the link is down
            run.proxy.restore();
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertEquals(1, s.recoveries());
            assertTrue(s.pausedMs() > 0, "paused for " + s.pausedMs() + " ms");
            assertEquals(0, s.staleReads());
            assertEquals(s.pagesTotal(), s.pagesVerified());
            assertEquals(1, (long) run.registry.get(DestMetrics.RECOVERIES).counter().count());
            SourceResult sr = run.sourceResult();
            assertTrue(sr.verified(), sr.error());
        }
    }

    @Test
    void aCutLinkWithThreeStreamsIsResumedOnThreeNewStreamsAndEveryPageStillVerifies() throws Exception {
        try (Run run = new Run(source(), 3)) {
            run.awaitPresentFraction(0.3);
            int before = run.proxy.accepted();
            assertEquals(4, before, "DEMAND and three BACKGROUND streams");
            run.proxy.cut();
            run.awaitPaused(true);
            run.proxy.restore();
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertEquals(1, s.recoveries());
            assertEquals(s.pagesTotal(), s.pagesVerified());
            assertTrue(run.proxy.accepted() >= before + 4, run.proxy.accepted() + " connections: a new link of four");
            for (int i = 0; i < 3; i++) assertTrue(s.streamPages()[i] > 0, "stream " + i + ": " + s.streamPages()[i]);
            SourceResult sr = run.sourceResult();
            assertTrue(sr.verified(), sr.error());
        }
    }

    @Test
    void theStatusGaugesNameEachStateOfARecoveryAsQemuDoes() throws Exception {
        try (Run run = new Run(source(), Reliability.DEFAULT)) {
            run.awaitPresentFraction(0.3);
            run.awaitStatus(MigrationStatus.POSTCOPY_ACTIVE);
            run.proxy.cut();
            run.awaitStatus(MigrationStatus.POSTCOPY_PAUSED); // between refused attempts
            // Connections go through again but carry nothing: an attempt sends what it holds and hears nothing back.
            run.proxy.pause();
            run.proxy.restore();
            run.awaitStatus(MigrationStatus.POSTCOPY_RECOVER);
            run.proxy.resume();
            run.awaitStatus(MigrationStatus.POSTCOPY_ACTIVE);
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertTrue(s.recoveries() >= 1, "recoveries " + s.recoveries());
            assertEquals(MigrationStatus.COMPLETED, run.status(), "a scrape after the run");
            assertEquals(MigrationStatus.COMPLETED, s.queryMigrate().status());
        }
    }

    /**
     * With precopy the status is QEMU's {@code active} while pages arrive with the guest still
     * running on the source (postcopy-active follows at the resume, as without precopy). With the
     * {@code active} transition removed from {@code DestVm} this test fails (the status stays
     * {@code setup} through precopy).
     */
    @Test
    void duringPrecopyTheStatusIsActiveThenPostcopyActive() throws Exception {
        SourceConfig precopy = SourceConfig.builder().guestBytes(16L << 20).maxBackgroundBytesPerSec(8L << 20)
                .precopy(org.postcopysim.source.policy.PrecopyPolicy.rounds(2)).build();
        try (Run run = new Run(precopy, Reliability.DEFAULT)) {
            run.awaitStatus(MigrationStatus.ACTIVE);
            run.awaitPresentFraction(0.3); // round 1 takes about 2 s: this is well inside it
            assertEquals(MigrationStatus.ACTIVE, run.status(), "pages arrive while the guest runs on the source");
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertEquals(2, s.precopyRounds());
            assertEquals(MigrationStatus.COMPLETED, s.queryMigrate().status());
            assertEquals(2, s.queryMigrate().ram().dirtySyncCount(), "one dirty bitmap sync per precopy round");
        }
    }

    @Test
    void aRunThatFailsEndsWithTheStatusFailed() throws Exception {
        try (Run run = new Run(source(), Reliability.DEFAULT.withReconnect(false))) {
            run.awaitPresentFraction(0.3);
            run.proxy.cut();
            MigrationSummary s = run.result();
            assertFalse(s.verified());
            assertEquals(MigrationStatus.FAILED, run.status());
            assertEquals(MigrationStatus.FAILED, s.queryMigrate().status());
            assertEquals(s.error(), s.queryMigrate().errorDesc());
        }
    }

    @Test
    void vcpusThatNeedNoMissingPageKeepRunningWhileTheLinkIsDown() throws Exception {
        // Every access goes to a hot 1% of memory, which the first faults bring in: once it is
        // present the vCPUs need nothing from the source, and a pause must not stop them.
        org.postcopysim.guest.Workload hot = org.postcopysim.guest.Workload.parse("hotset:0.01:1", 0.2);
        try (Run run = new Run(source(), Reliability.DEFAULT, org.postcopysim.dest.fault.FaultOptions.DEFAULT, hot)) {
            run.awaitPresentFraction(0.3);
            run.proxy.cut();
            run.awaitPaused(true);
            double before = accesses(run);
            // A guest stopped by the pause makes no access: this wait would fail at its bound.
            run.await("the guest's accesses go on while paused", () -> accesses(run) >= before + 200);
            assertEquals(1, run.registry.get(DestMetrics.PAUSED).gauge().value(), "still paused: the link is still cut");
            run.proxy.restore();
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertEquals(1, s.recoveries());
        }
    }

    private static double accesses(Run run) {
        return run.registry.get(DestMetrics.GUEST_READS).functionCounter().count()
                + run.registry.get(DestMetrics.GUEST_WRITES).functionCounter().count();
    }

    @Test
    void threeCutsInOneMigrationStillVerify() throws Exception {
        try (Run run = new Run(source(), Reliability.DEFAULT)) {
            double[] at = {0.2, 0.4, 0.6};
            for (double fraction : at) {
                run.awaitPresentFraction(fraction);
                int before = run.proxy.accepted();
                run.proxy.cut();
                run.awaitPaused(true);
                run.awaitReconnectAttempts(before, 1);
                run.proxy.restore();
                run.awaitPaused(false);
            }
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertEquals(3, s.recoveries());
            assertEquals(0, s.staleReads());
            assertTrue(run.sourceResult().verified());
        }
    }

    @Test
    void withoutReconnectACutFailsTheMigrationAtOnceAndSaysWhy() throws Exception {
        // A recovery deadline of an hour: a run that waited for it, or tried to reconnect, would not end within BOUND.
        try (Run run = new Run(source(), Reliability.DEFAULT.withReconnect(false).withRecoveryDeadline(Duration.ofHours(1)))) {
            run.awaitPresentFraction(0.3);
            int connections = run.proxy.accepted();
            run.proxy.cut();
            MigrationSummary s = run.result();
            assertFalse(s.verified());
            assertNotNull(s.error());
            assertTrue(s.error().contains("dropped") && s.error().contains("reconnect is off"), s.error());
            assertEquals(0, s.recoveries());
            assertEquals(2, connections, "DEMAND and BACKGROUND");
            assertEquals(connections, run.proxy.accepted(), "no reconnect attempt");
        }
    }

    @Test
    void aDeadSourceIsReportedWithTheMissingPagesAtTheDeadlineAndNoStaleRead() throws Exception {
        // The destination's clock is the test's: real time never reaches an hour's deadline, only the test's jump does.
        Duration deadline = Duration.ofHours(1);
        ManualClock clock = new ManualClock();
        try (Run run = new Run(source(), Reliability.DEFAULT.withRecoveryDeadline(deadline), clock)) {
            run.awaitPresentFraction(0.3);
            int before = run.proxy.accepted();
            run.proxy.cut(); // and never restored
            run.awaitPaused(true);
            run.awaitReconnectAttempts(before, 3);
            assertFalse(run.summary.isDone(), "before its deadline the destination keeps trying");
            clock.advance(deadline);
            MigrationSummary s = run.result();
            assertFalse(s.verified());
            assertTrue(s.error().contains("source unreachable") && s.error().matches("(?s).*\\d+ of " + s.pagesTotal()
                    + " pages missing \\(gfns 0x[0-9a-f]+.*"), s.error());
            assertEquals(0, s.staleReads(), "a vCPU never reads a page that is not there");
            assertEquals(0, s.recoveries());
            // Which pages: all of them, as gfn ranges, in the summary (and so in --json).
            assertTrue(s.error().contains(s.pagesMissing() + " of " + s.pagesTotal() + " pages missing"), s.error());
            assertTrue(s.pagesMissing() > 0 && s.pagesMissing() < s.pagesTotal(), "missing " + s.pagesMissing());
            assertFalse(s.missingGfnRangesCut());
            long inRanges = 0;
            long previousLast = -2;
            for (MigrationSummary.GfnRange r : s.missingGfnRanges()) {
                assertTrue(r.first() > previousLast + 1 && r.last() >= r.first(), "ranges ascend, apart: " + r);
                inRanges += r.last() - r.first() + 1;
                previousLast = r.last();
            }
            assertEquals(s.pagesMissing(), inRanges, "the ranges hold every missing page");
            assertTrue(s.pausedMs() >= deadline.toMillis() && s.pausedMs() < deadline.plus(BOUND).toMillis(),
                    "paused " + s.pausedMs() + " ms: the deadline and the real time around it");
            assertTrue(s.error().contains("within 3600.0 s"), s.error());
            // The run is over: its meters hold the final values (a scrape during --metrics-linger), no pause goes on.
            assertEquals(0, run.registry.get(DestMetrics.PAUSED).gauge().value(), "no longer paused once the run ended");
            double pausedSeconds = run.registry.get(DestMetrics.PAUSED_TIME).functionCounter().count();
            clock.advance(deadline);
            assertEquals(pausedSeconds, run.registry.get(DestMetrics.PAUSED_TIME).functionCounter().count(),
                    "the time paused stops growing when the run ends (another hour passed)");
            assertEquals(s.pausedMs() / 1e3, pausedSeconds, 1e-3, "and it is the summary's");
        }
    }

    @Test
    void aSourceSilentForThreeSecondsIsNotAFailure() throws Exception {
        // A silence well inside the 10 s link timeout: it must hold everything, and time nothing out.
        assertEquals(Duration.ofSeconds(10), Reliability.DEFAULT.linkTimeout());
        try (Run run = new Run(source(), Reliability.DEFAULT)) {
            run.awaitPresentFraction(0.3);
            run.proxy.pause();
            hold(1_000); // what was past the proxy when it paused arrives
            double present = presentPages(run);
            hold(2_000);
            assertEquals(present, presentPages(run), "not one page arrived in 2 s of silence (at 4 MiB/s: about 2000)");
            run.proxy.resume();
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertEquals(0, s.recoveries(), "nothing timed out on the silence");
            assertEquals(0, (long) run.registry.get(DestMetrics.PAUSES).counter().count(), "nothing paused either");
            assertTrue(s.faultLatencyNs().max() >= TimeUnit.SECONDS.toNanos(2),
                    "a vCPU waited through the silence: " + s.faultLatencyNs());
            assertTrue(run.sourceResult().verified());
        }
    }

    private static double presentPages(Run run) {
        return run.registry.get(DestMetrics.PAGES_PRESENT).gauge().value();
    }

    /** A short link timeout on both sides. */
    private static final Duration SHORT_LINK_TIMEOUT = Duration.ofMillis(400);

    @Test
    void aLinkThatFallsSilentWithoutClosingIsTimedOutOnBothSidesAndResumed() throws Exception {
        // No FIN, no RST: a dead host or a path that drops every packet. Only the link timeout can tell.
        SourceConfig src = source();
        src = src.toBuilder().reliability(src.reliability().withLinkTimeout(SHORT_LINK_TIMEOUT)).build();
        try (Run run = new Run(src, Reliability.DEFAULT.withLinkTimeout(SHORT_LINK_TIMEOUT))) {
            run.awaitPresentFraction(0.3);
            int before = run.proxy.accepted();
            run.proxy.pause();
            run.awaitPaused(true); // the destination noticed the silence, with the link still open
            run.awaitReconnectAttempts(before, 2); // reconnect attempts meet the same silence and time out too
            run.proxy.resume();
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertTrue(s.recoveries() >= 1, "recoveries " + s.recoveries());
            assertEquals(0, s.staleReads());
            SourceResult sr = run.sourceResult();
            assertTrue(sr.verified(), sr.error());
        }
    }

    @Test
    void keepalivesHoldAQuietConnectionOpenUnderAShortLinkTimeout() throws Exception {
        // The destination never writes on BACKGROUND after its Hello: without keepalives the
        // source would time that connection out within the first second of a migration of seconds.
        // (A second, not SHORT_LINK_TIMEOUT: on a loaded 2-core machine an event loop of the busy
        // direction can miss 400 ms, and this test is about the quiet one.)
        Duration linkTimeout = Duration.ofSeconds(1);
        SourceConfig src = source();
        src = src.toBuilder().reliability(src.reliability().withLinkTimeout(linkTimeout)).build();
        try (Run run = new Run(src, Reliability.DEFAULT.withLinkTimeout(linkTimeout))) {
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertEquals(0, s.recoveries(), "no connection timed out");
            assertTrue(s.migrationTimeMs() > 4 * linkTimeout.toMillis(), "long enough to matter: " + s.migrationTimeMs() + " ms");
            assertTrue(run.sourceResult().verified());
        }
    }

    @Test
    void theWatchdogReportsAVcpuBlockedLongerThanTheStallTimeoutAndTheMigrationStillVerifies() throws Exception {
        try (Run run = new Run(source(), Reliability.DEFAULT.withStallTimeout(Duration.ofMillis(300)))) {
            run.awaitPresentFraction(0.3);
            run.proxy.pause();
            run.await("a stall reported", () -> run.counter(DestMetrics.STALLS) >= 1);
            run.proxy.resume();
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertTrue(s.stalls() >= 1, "stalls " + s.stalls());
            assertEquals(s.stalls(), (long) run.registry.get(DestMetrics.STALLS).counter().count());
        }
    }

    @Test
    void theWatchdogAlsoSeesAVcpuAsleepOnTheUserfaultfd() throws Exception {
        org.postcopysim.dest.fault.FaultOptions uffd = org.postcopysim.dest.fault.FaultOptions.DEFAULT
                .withMode(org.postcopysim.dest.fetch.FaultMode.UFFD);
        try (Run run = new Run(source(), Reliability.DEFAULT.withStallTimeout(Duration.ofMillis(300)), uffd)) {
            run.awaitPresentFraction(0.3);
            run.proxy.pause();
            run.await("a stall reported", () -> run.counter(DestMetrics.STALLS) >= 1);
            run.proxy.resume();
            MigrationSummary s = run.result();
            assertTrue(s.verified(), s.error());
            assertEquals("uffd", s.mode());
            assertTrue(s.stalls() >= 1, "stalls " + s.stalls());
        }
    }
}
