package org.postcopysim.sim.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.sim.cost.CostModel;

/**
 * The simulator allocates nothing per event: the bytes a run allocates are its setup (the event
 * queue, the bitmaps), so doubling the guest doubles the events but not the bytes beyond the
 * per-page state. Measured with the JVM's per-thread allocation counter.
 */
class AllocationTest {
    @Test
    void aRunAllocatesNothingPerEvent() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        for (FaultMode mode : new FaultMode[] {FaultMode.KVM_USERFAULT, FaultMode.UFFD}) {
            run(mode, 1L << 20); // warm up: JIT, class loading
            long b0 = mx.getThreadAllocatedBytes(tid);
            SimFaultBenchResult small = run(mode, 2L << 20);
            long b1 = mx.getThreadAllocatedBytes(tid);
            SimFaultBenchResult large = run(mode, 8L << 20);
            long b2 = mx.getThreadAllocatedBytes(tid);
            long extraEvents = large.events() - small.events();
            long extraPages = large.pagesTouched() - small.pagesTouched();
            long extraBytes = (b2 - b1) - (b1 - b0);
            // Per page the model keeps a few bits and a write-log long (8 bytes), plus the result's arrays:
            // allow 64 bytes per extra page; an allocation per event would be far beyond it.
            assertTrue(extraBytes < 64 * extraPages, mode + ": " + extraBytes + " more bytes for " + extraEvents
                    + " more events (" + extraPages + " more pages)");
            assertTrue(extraEvents > 8 * extraPages / 2, "the larger run ran many more events: " + extraEvents);
        }
    }

    private static SimFaultBenchResult run(FaultMode mode, long memPerVcpu) {
        SimFaultBenchResult r = SimFaultBench.run(new SimFaultBenchConfig(mode, 8, memPerVcpu, 1, UffdSet.Scope.SHARED, 0, 1,
                CostModel.defaults(), false));
        assertTrue(r.verified(), r.error());
        return r;
    }
}
