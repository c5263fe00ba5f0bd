package org.postcopysim.sim.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postcopysim.dest.bench.FaultBench;
import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.bench.FaultBenchResult;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

class SimFaultBenchTest {
    static final long MIB = 1L << 20;

    static SimFaultBenchConfig config(FaultMode mode, int vcpus, long mem, int readers, long seed, CostModel costs,
                                      boolean contents) {
        return new SimFaultBenchConfig(mode, vcpus, mem, readers, UffdSet.Scope.SHARED, 0, seed, costs, contents);
    }

    @Test
    void oneSeedTwiceGivesOneTraceAndAnotherSeedAnother() {
        SimFaultBenchConfig c = config(FaultMode.UFFD, 8, 2 * MIB, 8, 42, CostModel.defaults(), false);
        SimFaultBenchResult a = SimFaultBench.run(c);
        SimFaultBenchResult b = SimFaultBench.run(c);
        SimFaultBenchResult other = SimFaultBench.run(config(FaultMode.UFFD, 8, 2 * MIB, 8, 43, CostModel.defaults(), false));
        assertTrue(a.verified(), a.error());
        assertEquals(a.traceHash(), b.traceHash(), "same seed, same trace");
        assertEquals(a.events(), b.events());
        assertEquals(a.virtualNs(), b.virtualNs());
        assertEquals(a.faultLatencyNs(), b.faultLatencyNs());
        assertNotEquals(a.traceHash(), other.traceHash(), "another seed, another trace");
    }

    @Test
    void aWakeWalkCostsThePerWaiterCostTimesTheWaitersTheModelCountedItVisiting() {
        CostModel costs = CostModel.defaults().with(Cost.JITTER_PERCENT, 0, "test")
                .with(Cost.UFFD_WAKE_PER_WAITER_NS, 1_000, "test").with(Cost.UFFD_WAKE_HOLD_NS, 100, "test");
        SimFaultBenchResult r = SimFaultBench.run(config(FaultMode.UFFD, 16, 1 * MIB, 1, 1, costs, false));
        assertTrue(r.verified(), r.error());
        assertTrue(r.waitersVisited() > r.uffdWakes(), "the walks visited several sleepers each: " + r.waitersVisited());
        // Every wake walk of the run was charged; the one closing the uffd at the end (nobody left asleep) was not.
        assertEquals(r.uffdWakes() - 1, r.wakeWalksCharged(), "every wake walk the model made was charged");
        assertEquals(r.waitersVisited(), r.wakeWalkVisitsCharged(), "charged for the visits the model counted");
        assertEquals(r.wakeWalksCharged() * 100 + r.wakeWalkVisitsCharged() * 1_000, r.wakeWalkChargedNs(),
                "N visits cost N times the per-waiter cost");
    }

    @Test
    void theWakeWalkCostSlowsTheSharedUffdAsItsSleepersGrow() {
        CostModel cheap = CostModel.defaults().with(Cost.UFFD_WAKE_PER_WAITER_NS, 0, "test");
        CostModel dear = CostModel.defaults().with(Cost.UFFD_WAKE_PER_WAITER_NS, 2_000, "test");
        double fast = SimFaultBench.run(config(FaultMode.UFFD, 16, 1 * MIB, 1, 1, cheap, false)).pagesPerSecOverall();
        double slow = SimFaultBench.run(config(FaultMode.UFFD, 16, 1 * MIB, 1, 1, dear, false)).pagesPerSecOverall();
        assertTrue(slow < fast * 0.5, "visiting 15 sleepers at 2 us each must at least halve the rate: " + fast + " -> " + slow);
    }

    /**
     * The thread runner and the simulator drive the same model: on a small deterministic case (one
     * vCPU touching each page once, in order) they count the same exits, host faults, EEXISTs,
     * populates, wakes and waiters visited, and both verify every page's contents.
     */
    @ParameterizedTest
    @EnumSource(FaultMode.class)
    void theThreadRunnerAndTheSimulatorCountTheSameOnOneSequentialVcpu(FaultMode mode) {
        long mem = 2 * MIB;
        FaultBenchResult threads = FaultBench.run(new FaultBenchConfig(new FaultOptions(mode, 1, UffdSet.Scope.SHARED, 0, true),
                1, mem, 0, 0, 5));
        SimFaultBenchResult sim = SimFaultBench.run(config(mode, 1, mem, 1, 5, CostModel.defaults(), true));
        assertTrue(threads.verified(), threads.error());
        assertTrue(sim.verified(), sim.error());
        long pages = mem / 4096;
        assertEquals(pages, threads.pagesTouched());
        assertEquals(threads.pagesTouched(), sim.pagesTouched(), "accesses");
        assertEquals(threads.exits(), sim.exits(), "exits");
        assertEquals(threads.hostFaults(), sim.hostFaults(), "host faults");
        assertEquals(threads.uffd().eexist(), sim.eexist(), "EEXIST");
        assertEquals(threads.populates(), sim.populates(), "populates");
        assertEquals(threads.uffd().wakes(), sim.uffdWakes(), "wakes");
        assertEquals(Math.round(threads.uffd().wakes() * threads.uffd().waitersVisitedPerWake().mean()), sim.waitersVisited(),
                "waiters visited");
        assertEquals(threads.uffd().reads(), sim.uffdReads(), "uffd reads");
        assertEquals(threads.faultLatencyNs().count(), sim.faultLatencyNs().count(), "faults timed");
        switch (mode) {
            case KVM_USERFAULT:
            case EXIT_ON_MISSING:
            case UFFD_KVM_USERFAULT:
                assertEquals(pages, sim.exits(), "one exit per page");
                break;
            default:
                assertEquals(pages, sim.hostFaults(), "one host fault per page");
        }
    }
}
