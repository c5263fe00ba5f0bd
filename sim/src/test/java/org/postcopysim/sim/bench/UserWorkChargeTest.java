package org.postcopysim.sim.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

/**
 * The fault benchmark's own userspace work per fault is charged where it runs, on every fault:
 * {@code fault-user} on the faulting thread once it is back from the fault, {@code uffd-reader-user}
 * on the reader per message it handles. Charged inside a fitted wake-up instead (as before these
 * costs existed), it vanished wherever a thread skipped the wake-up: a reader that always finds a
 * fault queued never sleeps in poll. So the checks are the single-thread round trip growing by the
 * cost, and one reader serving eight vCPUs on eight CPUs (it never sleeps) held to one fault per
 * {@code uffd-reader-user}. Without the charge (the broken variant) each run is as fast as the
 * baseline and the check fails.
 */
class UserWorkChargeTest {
    private static final long WORK_NS = 20_000;

    private static double nsPerPage(int vcpus, int hostCpus, Cost cost, long ns) {
        CostModel c = CostModel.defaults().with(Cost.JITTER_PERCENT, 0, "test").with(Cost.HOST_CPUS, hostCpus, "test")
                .with(cost, ns, "test");
        SimFaultBenchResult r = SimFaultBench.run(new SimFaultBenchConfig(FaultMode.UFFD, vcpus, 256 * 4096L, 1,
                UffdSet.Scope.SHARED, 0, 1, c, false));
        assertTrue(r.verified(), r.error());
        return 1e9 / r.pagesPerSecOverall();
    }

    @ParameterizedTest
    @EnumSource(value = Cost.class, names = {"FAULT_USER_NS", "UFFD_READER_USER_NS"})
    void eachSidesOwnWorkLengthensEveryRoundTrip(Cost work) {
        double base = nsPerPage(1, 4, work, 0);
        double charged = nsPerPage(1, 4, work, WORK_NS);
        assertTrue(charged - base > 0.95 * WORK_NS, () -> "round trip " + base + " ns, with " + work.key() + " "
                + WORK_NS + " ns " + charged + " ns");
    }

    @Test
    void aReaderThatNeverSleepsStillPaysItsWorkPerFault() {
        // Eight vCPUs keep one reader busy: its faults per second cannot exceed 1 / uffd-reader-user.
        double base = nsPerPage(8, 16, Cost.UFFD_READER_USER_NS, 0);
        double charged = nsPerPage(8, 16, Cost.UFFD_READER_USER_NS, WORK_NS);
        assertTrue(base < WORK_NS / 2.0, () -> "baseline " + base + " ns per page is not well below the work");
        assertTrue(charged >= 0.95 * WORK_NS, () -> "with uffd-reader-user " + WORK_NS + " ns one reader served a page per "
                + charged + " ns");
    }
}
