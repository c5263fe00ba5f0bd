package org.postcopysim.sim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
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
 * Host events in the simulator: the actor drives the model's HostEventDriver, its events are
 * counted by the model, stepped faults retry when an invalidation straddles them, the MMU
 * invariants hold at the end, one seed gives one trace, and a host that changes pages behind
 * KVM's back (the negative control) is caught.
 */
class SimHostEventsTest {
    static final long MIB = 1L << 20;
    static final String ALL_HOST_KINDS = "reclaim:20000,migrate:5000,mprotect-ro:5000,mprotect-rw:5000";

    static SimMigrationConfig migration(FaultMode mode, String spec, long seed, SimMmuConfig mmu) {
        SimMmuConfig m = spec == null ? mmu : new SimMmuConfig(HostEventSpec.parse(spec), mmu.options(), mmu.control());
        return new SimMigrationConfig(mode, 4, 4 * MIB, 1, UffdSet.Scope.SHARED, Workload.parse("uniform", 0.2), 1_000_000,
                2, 64, 0, SimMigrationConfig.DEFAULT_SEND_BUFFER_BYTES, seed, CostModel.defaults(), m);
    }

    static SimMigrationConfig migration(FaultMode mode, String spec, long seed) {
        return migration(mode, spec, seed, SimMmuConfig.NONE);
    }

    static String describe(SimMmuCounters m) {
        return m.toString();
    }

    @ParameterizedTest
    @EnumSource(value = FaultMode.class, names = {"KVM_USERFAULT", "UFFD", "EXIT_ON_MISSING", "UFFD_KVM_USERFAULT"})
    void hostEventsDuringAMigrationAreCountedAndTheInvariantsHold(FaultMode mode) {
        SimMigrationResult r = SimMigration.run(migration(mode, ALL_HOST_KINDS, 7));
        SimMmuCounters m = r.mmu();
        assertTrue(r.verified(), r.error());
        assertTrue(m.hostEvents() > 0, describe(m));
        assertTrue(m.invalidations() > 0, describe(m));
        assertTrue(m.stage2Zapped() > 0, describe(m));
        assertTrue(m.localRefaults() > 0, "reclaimed arrived pages were mapped again inside KVM: " + describe(m));
        assertEquals(List.of(), m.violations());
        assertEquals(0, m.refetchedArrivedPages(), describe(m));
        assertTrue(m.retriedFaults() > 0, "stepped faults met invalidations: " + describe(m));
    }

    @Test
    void aFaultWhoseLookupStraddlesAnInvalidationRetriesItsCommit() {
        // Write-protections every 5 us of virtual time on 4 MiB: lookups (about 550 ns) and
        // invalidations overlap often; the commit under the MMU lock sees mmu_invalidate_seq moved.
        SimMigrationResult r = SimMigration.run(migration(FaultMode.KVM_USERFAULT, "mprotect-ro:200000,reclaim:50000", 3));
        SimMmuCounters m = r.mmu();
        assertTrue(r.verified(), r.error());
        assertTrue(m.commitRetries() > 0, "a commit retried after its lookup straddled an invalidation: " + describe(m));
        assertTrue(m.retriedFaults() >= m.commitRetries(), "the model counted every retry the simulator saw: " + describe(m));
        assertTrue(m.mmuLockContended() > 0, "faults and host events met on the MMU lock: " + describe(m));
        assertEquals(List.of(), m.violations());
    }

    @Test
    void oneSeedTwiceGivesOneTraceAndTheSameCountersWithHostEvents() {
        SimMigrationResult a = SimMigration.run(migration(FaultMode.UFFD, ALL_HOST_KINDS, 11));
        SimMigrationResult b = SimMigration.run(migration(FaultMode.UFFD, ALL_HOST_KINDS, 11));
        SimMigrationResult other = SimMigration.run(migration(FaultMode.UFFD, ALL_HOST_KINDS, 12));
        assertTrue(a.verified(), a.error());
        assertEquals(a.traceHash(), b.traceHash(), "same seed, same trace");
        assertEquals(a.events(), b.events());
        assertEquals(a.mmu(), b.mmu(), "same seed, same MMU counters");
        assertEquals(a.migrationNs(), b.migrationNs());
        assertNotEquals(a.traceHash(), other.traceHash(), "another seed, another trace");

        SimFaultBenchConfig f = bench(FaultMode.KVM_USERFAULT, ALL_HOST_KINDS, 5, false);
        SimFaultBenchResult fa = SimFaultBench.run(f);
        SimFaultBenchResult fb = SimFaultBench.run(f);
        assertTrue(fa.verified(), fa.error());
        assertEquals(fa.traceHash(), fb.traceHash());
        assertEquals(fa.mmu(), fb.mmu());
    }

    static SimFaultBenchConfig bench(FaultMode mode, String spec, long seed, boolean contents) {
        return new SimFaultBenchConfig(mode, 4, 2 * MIB, 1, UffdSet.Scope.SHARED, 0, seed, CostModel.defaults(), contents,
                SimMmuConfig.of(HostEventSpec.parse(spec)));
    }

    @ParameterizedTest
    @EnumSource(value = FaultMode.class, names = {"NONE", "KVM_USERFAULT", "UFFD"})
    void theFaultBenchWithHostEventsVerifiesEveryPageAndItsContents(FaultMode mode) {
        // Rates high enough for a run of a few virtual milliseconds to see many events.
        SimFaultBenchResult r = SimFaultBench.run(bench(mode, "reclaim:200000,migrate:50000,mprotect-ro:50000,mprotect-rw:50000",
                1, true));
        SimMmuCounters m = r.mmu();
        assertTrue(r.verified(), r.error());
        assertTrue(m.hostEvents() > 0 && m.invalidations() > 0, describe(m));
        assertTrue(m.stage2Zapped() > 0, "touched pages were zapped: " + describe(m));
        assertEquals(List.of(), m.violations());
    }

    @Test
    void conversionsOfPrivateMemoryDuringAMigration() {
        SimMmuConfig mmu = new SimMmuConfig(null, MmuOptions.DEFAULT.withPrivateMemory(0.25, 7), SimHostEvents.Control.NONE);
        SimMigrationResult r = SimMigration.run(migration(FaultMode.KVM_USERFAULT, "convert:20000,reclaim:20000", 7, mmu));
        SimMmuCounters m = r.mmu();
        assertTrue(r.verified(), r.error());
        assertTrue(m.hostEvents() > 0 && m.invalidations() > 0, describe(m));
        assertEquals(List.of(), m.violations());
    }

    @Test
    void negativeControlAHostThatChangesPagesBehindKvmsBackIsCaughtByTheInvariants() {
        SimMmuConfig sabotaged = new SimMmuConfig(null, MmuOptions.DEFAULT, SimHostEvents.Control.SKIP_NOTIFICATION);
        SimMigrationResult bad = SimMigration.run(migration(FaultMode.KVM_USERFAULT, "reclaim:20000,migrate:20000", 7,
                sabotaged));
        assertFalse(bad.verified(), "a stage-2 entry over a swapped-out or moved page must fail the run");
        assertTrue(bad.error().startsWith("MMU invariants violated"), bad.error());
        assertFalse(bad.mmu().violations().isEmpty());
        assertTrue(bad.mmu().violations().stream().anyMatch(v -> v.contains("swapped") || v.contains("moved")),
                bad.mmu().violations().toString());
        assertEquals(0, bad.mmu().invalidations(), "nothing notified KVM");
        // Its twin, the same events notified, passes.
        SimMigrationResult good = SimMigration.run(migration(FaultMode.KVM_USERFAULT, "reclaim:20000,migrate:20000", 7));
        assertTrue(good.verified(), good.error());
    }

    @Test
    void withoutHostEventsNothingIsSteppedLockedOrCounted() {
        SimMigrationResult r = SimMigration.run(migration(FaultMode.UFFD, null, 7));
        SimMmuCounters m = r.mmu();
        assertTrue(r.verified(), r.error());
        assertEquals(new SimMmuCounters(0, 0, 0, 0, 0, 0, 0, m.lazyUpgrades(), 0, 0, 0, List.of()), m);
    }
}
