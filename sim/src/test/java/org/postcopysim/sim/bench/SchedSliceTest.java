package org.postcopysim.sim.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

/**
 * {@code sched-slice}: with the running thread's slice protected (EEVDF), a reader that has just
 * woken a vCPU thread queued behind it runs on into poll and sleeps there, as the kernel's readers
 * do, and the woken thread waits for it; with the slice 0 the woken thread preempts the reader at
 * once, and on two CPUs held by two readers the vCPUs fault again before a reader ever finds its
 * uffd empty: the readers spin and hardly sleep. This
 * is what made the simulated shared uffd with a reader per vCPU run twice the kernel's rate.
 */
class SchedSliceTest {
    private static SimFaultBenchResult run(long sliceUs) {
        CostModel c = WakeAffineTest.twoCpuVm().with(Cost.SCHED_SLICE_US, sliceUs, "test");
        SimFaultBenchResult r = SimFaultBench.run(new SimFaultBenchConfig(FaultMode.UFFD, 2, 2048 * 4096L, 2,
                UffdSet.Scope.SHARED, 0, 1, c, false));
        assertTrue(r.verified(), r.error());
        return r;
    }

    @Test
    void withTheSliceProtectedReadersSleepInPollBetweenFaults() {
        SimFaultBenchResult protectedSlice = run(1_500);
        SimFaultBenchResult preempting = run(0);
        assertTrue(protectedSlice.pollerWakeups() > protectedSlice.pagesTouched() / 4, () -> "slice protected: "
                + protectedSlice.pollerWakeups() + " readers woken from poll in " + protectedSlice.pagesTouched() + " faults");
        assertTrue(preempting.pollerWakeups() < preempting.pagesTouched() / 100, () -> "control, preempted at once: "
                + preempting.pollerWakeups() + " readers woken from poll in " + preempting.pagesTouched() + " faults");
    }
}
