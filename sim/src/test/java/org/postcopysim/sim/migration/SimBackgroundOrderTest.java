package org.postcopysim.sim.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.guest.Workload;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.source.policy.BackgroundOrder;

/**
 * The simulated source streams in the order it is given (the real source's policy classes): a
 * workload with locality (4 vCPUs each walking its own range in order) meets fewer
 * network-bound faults when the background follows the faults than in gfn order; every order
 * migrates every page, installed once, and replays from its seed.
 */
class SimBackgroundOrderTest {
    static final long MIB = 1L << 20;
    static final List<BackgroundOrder> ORDERS = List.of(BackgroundOrder.LINEAR, BackgroundOrder.FOLLOW_FAULTS,
            BackgroundOrder.prepage(64), BackgroundOrder.GROW_CHUNKS);

    /** uffd with one uffd per vCPU range (so each vCPU walks its own range), sequential, uncapped. */
    static SimMigrationConfig sequentialPartitioned(BackgroundOrder order, long seed) {
        return new SimMigrationConfig(FaultMode.UFFD, 4, 8 * MIB, 1, UffdSet.Scope.PER_VCPU, Workload.parse("sequential", 0.2),
                1_000_000, 2, 64, 0, SimMigrationConfig.DEFAULT_SEND_BUFFER_BYTES, seed, CostModel.defaults())
                .withBackgroundOrder(order);
    }

    @Test
    void everyOrderMigratesEveryPageOnceAndReplaysFromItsSeed() {
        Map<Long, BackgroundOrder> traces = new HashMap<>();
        for (BackgroundOrder order : ORDERS) {
            SimMigrationResult r = SimMigration.run(sequentialPartitioned(order, 3));
            assertTrue(r.verified(), order + ": " + r.error());
            assertEquals(order.toString(), r.backgroundOrder());
            assertEquals(r.pages(), r.demandPagesInstalled() + r.backgroundPagesInstalled(), order + ": every page installed once");
            assertTrue(r.networkBound().faults() <= r.demandPagesInstalled(),
                    order + ": a page the background never sent is installed from its demand answer: " + r);
            assertTrue(r.networkBound().faults() <= r.pageRequests(), order + ": " + r);
            assertTrue(r.networkBound().pagesTouched() > 0 && r.networkBound().pagesTouched() <= r.pages(), order + ": " + r);
            SimMigrationResult again = SimMigration.run(sequentialPartitioned(order, 3));
            assertEquals(r.traceHash(), again.traceHash(), order + ": the same seed gives the same trace");
            assertEquals(r.networkBound(), again.networkBound());
            BackgroundOrder before = traces.put(r.traceHash(), order);
            assertEquals(null, before, order + " ran the same trace as " + before + ": the order did not reach the source");
        }
    }

    @Test
    void followingTheFaultsLeavesFewerNetworkBoundFaultsThanGfnOrderOnAWorkloadWithLocality() {
        SimMigrationResult linear = SimMigration.run(sequentialPartitioned(BackgroundOrder.LINEAR, 1));
        SimMigrationResult follow = SimMigration.run(sequentialPartitioned(BackgroundOrder.FOLLOW_FAULTS, 1));
        SimMigrationResult prepage = SimMigration.run(sequentialPartitioned(BackgroundOrder.prepage(64), 1));
        String all = "linear " + linear.networkBound() + ", follow-faults " + follow.networkBound() + ", prepage:64 "
                + prepage.networkBound();
        // In gfn order the scan serves vCPU 0's range and leaves the other three to demand paging.
        assertTrue(linear.networkBound().fraction() > 0.02, all);
        assertTrue(follow.networkBound().fraction() < linear.networkBound().fraction() / 2, all);
        assertTrue(prepage.networkBound().fraction() < linear.networkBound().fraction() / 2, all);
        assertNotEquals(linear.networkBound(), follow.networkBound());
    }

    @Test
    void negativeControlASourceThatDoesNotTellTheOrderOfItsRequestsIsCaught() {
        // The source answers every request but the order never hears of them: following the faults and
        // pre-paging around them degenerate to gfn order, and the check above fails for both.
        SimMigrationResult linear = SimMigration.run(sequentialPartitioned(BackgroundOrder.LINEAR, 1));
        for (BackgroundOrder order : List.of(BackgroundOrder.FOLLOW_FAULTS, BackgroundOrder.prepage(64))) {
            SimMigrationResult unheard = SimMigration.run(sequentialPartitioned(order, 1), model -> { }, true);
            assertTrue(unheard.verified(), order + ": " + unheard.error());
            assertTrue(unheard.networkBound().fraction() >= linear.networkBound().fraction() / 2, () -> order
                    + " without hearing the faults: " + unheard.networkBound() + ", linear " + linear.networkBound());
        }
    }
}
