package org.postcopysim.sim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.dest.workload.HostEventSpec;
import org.postcopysim.guest.Workload;
import org.postcopysim.sim.bench.SimFaultBench;
import org.postcopysim.sim.bench.SimFaultBenchConfig;
import org.postcopysim.sim.bench.SimFaultBenchResult;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.sim.migration.SimMigration;
import org.postcopysim.sim.migration.SimMigrationConfig;
import org.postcopysim.sim.migration.SimMigrationResult;

/**
 * KVM's own accesses in simulation (uffd+kvm-userfault with an internal-access fraction): they
 * go through each vCPU's pfn cache, built by {@code DestModel.addVcpu} as for the thread runner;
 * host events invalidate its entries, refreshes fault missing pages in through the uffd and retry
 * while an invalidation is in progress, and the MMU invariants, checked every millisecond of
 * virtual time and at the end, hold. The negative control (a cache invalidated only in
 * ->invalidate_range) is {@code org.postcopysim.dest.kvm.SimPfnCacheBugTest}, in the model's
 * package because only its tests may inject a model bug.
 */
public class SimPfnCacheTest {
    static final long MIB = 1L << 20;
    /** Host events on a small guest at rates that hit the cached gfns often. */
    public static final String EVENTS = "reclaim:100000,mprotect-ro:100000,mprotect-rw:100000";

    public static SimMigrationConfig migration(String spec, double internal, long seed) {
        return migration(4, 2 * MIB, 1_000_000, spec, internal, seed);
    }

    static SimMigrationConfig migration(int vcpus, long memPerVcpu, long accessesPerSec, String spec, double internal,
                                        long seed) {
        SimMmuConfig mmu = spec == null ? SimMmuConfig.NONE : SimMmuConfig.of(HostEventSpec.parse(spec));
        return new SimMigrationConfig(FaultMode.UFFD_KVM_USERFAULT, vcpus, memPerVcpu, 1, UffdSet.Scope.SHARED,
                Workload.parse("uniform", 0.3), accessesPerSec, 2, 64, 0, SimMigrationConfig.DEFAULT_SEND_BUFFER_BYTES, seed,
                CostModel.defaults(), mmu, internal);
    }

    public static SimFaultBenchConfig faultBench(String spec, double internal, long seed) {
        SimMmuConfig mmu = spec == null ? SimMmuConfig.NONE : SimMmuConfig.of(HostEventSpec.parse(spec));
        return new SimFaultBenchConfig(FaultMode.UFFD_KVM_USERFAULT, 4, MIB, 1, UffdSet.Scope.SHARED, 0, seed,
                CostModel.defaults(), true, mmu, internal);
    }

    @Test
    void aMigrationWithInternalAccessesAndHostEventsExercisesThePfnCacheAndKeepsTheInvariants() {
        SimMigrationResult r = SimMigration.run(migration(EVENTS, 0.3, 5));
        SimMmuCounters m = r.mmu();
        assertTrue(r.verified(), r.error());
        assertTrue(m.internalAccesses() > 0, m.toString());
        assertTrue(m.pfnCacheRefreshes() > 0, m.toString());
        assertTrue(m.pfnCacheInvalidations() > 0, "host events invalidated cached translations: " + m);
        assertTrue(m.mmuChecks() > 0, "the invariants were checked during the run: " + m);
        assertEquals(List.of(), m.violations());
        assertEquals(0, m.refetchedArrivedPages(), m.toString());
    }

    @Test
    void theFaultBenchWithInternalAccessesVerifiesEveryPageAndRefreshesThroughTheUffd() {
        SimFaultBenchResult r = SimFaultBench.run(faultBench(EVENTS, 0.5, 3));
        SimMmuCounters m = r.mmu();
        assertTrue(r.verified(), r.error());
        assertTrue(m.internalAccesses() > 0, m.toString());
        assertTrue(m.pfnCacheRefreshes() > 0, m.toString());
        assertTrue(r.hostFaults() > 0, "refreshes of missing pages faulted into the uffd: " + r.hostFaults());
        assertTrue(m.pfnCacheInvalidations() > 0, m.toString());
        assertEquals(List.of(), m.violations());
    }

    @Test
    void refreshesRetryWhileAnInvalidationIsInProgress() {
        // Every access KVM's own, flat out, over 64 pages per vCPU, with host events back to back:
        // an access soon finds the entry an event in progress has just invalidated, and its refresh
        // must not complete until the event ends (hva_to_pfn_retry).
        SimMigrationResult r = SimMigration.run(migration(2, MIB / 4, 0, "mprotect-ro:500000,reclaim:500000,mprotect-rw:500000",
                1.0, 9));
        SimMmuCounters m = r.mmu();
        assertTrue(r.verified(), r.error());
        assertTrue(m.pfnCacheRetries() > 0, "a refresh saw an invalidation in progress: " + m);
        assertEquals(List.of(), m.violations());
    }

    @Test
    void oneSeedTwiceGivesOneTraceWithInternalAccessesAndAnotherSeedAnother() {
        SimMigrationResult a = SimMigration.run(migration(EVENTS, 0.3, 11));
        SimMigrationResult b = SimMigration.run(migration(EVENTS, 0.3, 11));
        SimMigrationResult c = SimMigration.run(migration(EVENTS, 0.3, 12));
        assertTrue(a.verified() && b.verified() && c.verified(), a.error() + " " + b.error() + " " + c.error());
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.mmu(), b.mmu());
        assertNotEquals(a.traceHash(), c.traceHash());
        SimFaultBenchResult f = SimFaultBench.run(faultBench(EVENTS, 0.5, 3));
        SimFaultBenchResult g = SimFaultBench.run(faultBench(EVENTS, 0.5, 3));
        assertEquals(f.traceHash(), g.traceHash());
        assertEquals(f.mmu(), g.mmu());
    }

    @Test
    void internalAccessesWithoutHostEventsChangeNothingButTheCacheAndTheFractionIsRefusedOutsideItsMode() {
        SimMigrationResult r = SimMigration.run(migration(null, 0.3, 5));
        assertTrue(r.verified(), r.error());
        assertTrue(r.mmu().pfnCacheRefreshes() > 0, r.mmu().toString());
        assertEquals(0, r.mmu().pfnCacheInvalidations(), "nothing invalidates without host events: " + r.mmu());
        SimMigrationResult none = SimMigration.run(migration(null, 0, 5));
        assertEquals(0, none.mmu().pfnCacheRefreshes());
        assertEquals(0, none.mmu().mmuChecks(), "without host events or internal accesses nothing is checked during the run");
        assertThrows(IllegalArgumentException.class, () -> new SimFaultBenchConfig(FaultMode.UFFD, 1, MIB, 1,
                UffdSet.Scope.SHARED, 0, 1, CostModel.defaults(), false, SimMmuConfig.NONE, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new SimMigrationConfig(FaultMode.KVM_USERFAULT, 1, MIB, 1,
                UffdSet.Scope.SHARED, Workload.parse("uniform", 0), 0, 2, 64, 0, SimMigrationConfig.DEFAULT_SEND_BUFFER_BYTES,
                1, CostModel.defaults(), SimMmuConfig.NONE, 0.1));
    }
}
