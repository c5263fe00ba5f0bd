package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.sim.bench.SimFaultBench;
import org.postcopysim.sim.bench.SimFaultBenchResult;
import org.postcopysim.sim.dest.SimPfnCacheTest;
import org.postcopysim.sim.migration.SimMigration;
import org.postcopysim.sim.migration.SimMigrationResult;

/**
 * The negative control of {@link SimPfnCacheTest}, in the model's package because only its tests
 * may inject a model bug ({@link Vm#injectBug}): the same simulations with
 * {@link MmuBug#PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE} (pfn caches invalidated only where
 * the old page goes away, so a RW -> RO downgrade leaves a writable translation of a read-only page)
 * fail on invariant 4, checked during the run in virtual time, where the model as it is passes.
 */
class SimPfnCacheBugTest {
    static final String INVARIANT_4 = "a valid, writable pfn-cache entry for gfn";

    private static void injectBug(DestModel model) {
        model.vm().injectBug(MmuBug.PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE);
    }

    @Test
    void negativeControlAMigrationWhoseCacheMissesDowngradesIsCaughtByInvariant4() {
        SimMigrationResult clean = SimMigration.run(SimPfnCacheTest.migration(SimPfnCacheTest.EVENTS, 0.3, 5));
        assertTrue(clean.verified(), clean.error());
        assertEquals(List.of(), clean.mmu().violations());

        SimMigrationResult buggy = SimMigration.run(SimPfnCacheTest.migration(SimPfnCacheTest.EVENTS, 0.3, 5),
                SimPfnCacheBugTest::injectBug);
        assertFalse(buggy.verified(), "the bug went unnoticed: " + buggy.mmu());
        assertTrue(buggy.error().contains("MMU invariants violated") && buggy.error().contains(INVARIANT_4), buggy.error());
    }

    @Test
    void negativeControlTheFaultBenchWhoseCacheMissesDowngradesIsCaughtByInvariant4() {
        SimFaultBenchResult clean = SimFaultBench.run(SimPfnCacheTest.faultBench(SimPfnCacheTest.EVENTS, 0.5, 3));
        assertTrue(clean.verified(), clean.error());

        SimFaultBenchResult buggy = SimFaultBench.run(SimPfnCacheTest.faultBench(SimPfnCacheTest.EVENTS, 0.5, 3),
                done -> { }, SimPfnCacheBugTest::injectBug);
        assertFalse(buggy.verified(), "the bug went unnoticed: " + buggy.mmu());
        assertTrue(buggy.error().contains(INVARIANT_4), buggy.error());
    }
}
