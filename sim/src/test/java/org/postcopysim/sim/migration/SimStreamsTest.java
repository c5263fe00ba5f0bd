package org.postcopysim.sim.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.guest.Workload;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

/**
 * {@code simulate --streams N}: the background spread over N streams that share the link and
 * the cap, each installed by its own event loop on the destination. What streams change is where
 * the limit is: with the destination's per-page work the limit (an expensive install, a fast
 * link), four streams install about four times as fast; with the link the limit, they change
 * nothing. Each check has its broken variant: one event loop installing every stream's pages
 * (no speed-up where the install is the limit), and every stream with a link of its own (a
 * speed-up where there should be none).
 */
class SimStreamsTest {
    private static final long MIB = 1L << 20;

    private static SimMigrationConfig config(int streams, CostModel costs, long seed) {
        return new SimMigrationConfig(FaultMode.UFFD_KVM_USERFAULT, 1, 16 * MIB, 1, UffdSet.Scope.SHARED,
                Workload.parse("sequential", 0.2), 1000, 2, 64, 0, SimMigrationConfig.DEFAULT_SEND_BUFFER_BYTES, seed, costs)
                .withStreams(streams);
    }

    /** The destination's install is the limit: 20 us a page, a 10 GB/s link, CPUs to spare. */
    private static final CostModel INSTALL_BOUND = CostModel.defaults().with(Cost.DEST_INSTALL_NS, 20_000, "test")
            .with(Cost.NET_BANDWIDTH_BYTES_PER_SEC, 10_000_000_000L, "test").with(Cost.HOST_CPUS, 16, "test");
    /** The link is the limit: 100 MB/s. */
    private static final CostModel LINK_BOUND = CostModel.defaults()
            .with(Cost.NET_BANDWIDTH_BYTES_PER_SEC, 100_000_000L, "test").with(Cost.HOST_CPUS, 16, "test");

    private static SimMigrationResult run(int streams, CostModel costs, SimMigration.StreamsBug bug) {
        SimMigrationResult r = SimMigration.run(config(streams, costs, 1), m -> { }, false, bug);
        assertTrue(r.verified(), r.error());
        return r;
    }

    @Test
    void fourStreamsEachCarryPagesAndTogetherEveryPageOnceReplayingFromTheSeed() {
        SimMigrationResult r = SimMigration.run(config(4, CostModel.defaults(), 3));
        assertTrue(r.verified(), r.error());
        assertEquals(4, r.streams());
        assertEquals(r.pages(), r.demandPagesInstalled() + r.backgroundPagesInstalled(), "every page installed once");
        long sent = Arrays.stream(r.streamPages()).sum();
        assertTrue(sent >= r.backgroundPagesInstalled(), () -> "sent " + sent + ", installed " + r.backgroundPagesInstalled());
        for (long p : r.streamPages()) assertTrue(p > r.pages() / 8, () -> "a stream carried little: " + Arrays.toString(r.streamPages()));
        SimMigrationResult again = SimMigration.run(config(4, CostModel.defaults(), 3));
        assertEquals(r.traceHash(), again.traceHash(), "the same seed gives the same trace");
        assertNotEquals(r.traceHash(), SimMigration.run(config(1, CostModel.defaults(), 3)).traceHash());
    }

    @Test
    void whereTheInstallIsTheLimitFourStreamsInstallFasterAndOneLoopForAllDoesNot() {
        double one = run(1, INSTALL_BOUND, SimMigration.StreamsBug.NONE).migrationNs();
        double four = run(4, INSTALL_BOUND, SimMigration.StreamsBug.NONE).migrationNs();
        double oneLoop = run(4, INSTALL_BOUND, SimMigration.StreamsBug.ONE_DEST_LOOP).migrationNs();
        assertTrue(one / four > 2.5, () -> "1 stream " + one + " ns, 4 streams " + four + " ns");
        assertTrue(one / oneLoop < 1.3, () -> "negative control, 4 streams on one loop: " + oneLoop + " ns against " + one);
    }

    @Test
    void whereTheLinkIsTheLimitStreamsChangeNothingAndALinkPerStreamWouldBeCaught() {
        double one = run(1, LINK_BOUND, SimMigration.StreamsBug.NONE).migrationNs();
        double four = run(4, LINK_BOUND, SimMigration.StreamsBug.NONE).migrationNs();
        double ownLinks = run(4, LINK_BOUND, SimMigration.StreamsBug.FULL_BANDWIDTH_PER_STREAM).migrationNs();
        assertTrue(Math.abs(four / one - 1) < 0.1, () -> "1 stream " + one + " ns, 4 streams " + four + " ns");
        assertTrue(one / ownLinks > 2.5, () -> "negative control, a link per stream: " + ownLinks + " ns against " + one);
    }
}
