package org.postcopysim.sim.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

/**
 * {@code migration-cost}: a thread woken while every CPU is busy waits on its previous CPU, and
 * a CPU about to go idle pulls no cache-hot thread, so it halts, and a later wake-up finds it
 * idle and pays the idle price, as the kernel of the 2-CPU VM did (its faults that crossed CPUs
 * in shared:vcpus at 2 vCPUs took 78 us each). Without it the first CPU to free takes the next
 * woken thread, and two readers and two vCPUs on two CPUs never leave a CPU idle (seen
 * 2026-12-03: 16384 wake-ups in 8192 faults, none onto an idle CPU). The control is the same run
 * with the cost 0: clearly faster, the idle price never paid.
 */
class MigrationCostTest {
    private static double pagesPerSec(long migrationUs) {
        // The costs one calibrate-host run fitted on the 2-CPU development VM (2026-12-03 18:46 UTC), placement off.
        CostModel c = CostModel.defaults().with(Cost.HOST_CPUS, 2, "test")
                .with(Cost.STAGE2_FAULT_NS, 0, "test").with(Cost.COPY_4K_NS, 340, "test")
                .with(Cost.UFFD_POLL_SYSCALL_NS, 424, "test").with(Cost.UFFD_READ_SYSCALL_NS, 432, "test")
                .with(Cost.UFFD_IOCTL_NS, 337, "test").with(Cost.PAGE_ALLOC_NS, 1_508, "test")
                .with(Cost.HOST_FAULT_NS, 303, "test").with(Cost.THREAD_WAKEUP_NS, 9_066, "test")
                .with(Cost.WAKEUP_CPU_NS, 10_254, "test").with(Cost.WAKER_CPU_NS, 10_294, "test")
                .with(Cost.WAKEUP_CPU_BUSY_NS, 216, "test").with(Cost.WAKER_CPU_BUSY_NS, 1_258, "test")
                .with(Cost.UFFD_POLL_WAKE_PER_POLLER_NS, 0, "test").with(Cost.FAULT_USER_NS, 623, "test")
                .with(Cost.UFFD_READER_USER_NS, 88, "test").with(Cost.SCHED_SLICE_US, 1_500, "test")
                .with(Cost.MIGRATION_COST_US, migrationUs, "test");
        SimFaultBenchResult r = SimFaultBench.run(new SimFaultBenchConfig(FaultMode.UFFD, 2, 2048 * 4096L, 2,
                UffdSet.Scope.SHARED, 0, 1, c, false));
        assertTrue(r.verified(), r.error());
        return r.pagesPerSecOverall();
    }

    @Test
    void keepingCacheHotThreadsWhereTheyAreLeavesCpusIdleAndWakeUpsPayForIt() {
        double kept = pagesPerSec(500);
        double pulled = pagesPerSec(0);
        assertTrue(pulled > 1.2 * kept, () -> "cache-hot threads kept: " + kept + " pages/s; control, pulled: " + pulled);
    }
}
