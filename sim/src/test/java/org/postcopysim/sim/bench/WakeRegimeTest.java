package org.postcopysim.sim.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

/**
 * A wake-up costs what it costs where it lands: onto an idle CPU ({@code waker-cpu},
 * {@code wakeup-cpu}, {@code thread-wakeup}) while one is free, onto a busy CPU's queue
 * ({@code waker-cpu-busy}, {@code wakeup-cpu-busy}) when none is. One vCPU and one reader on one
 * host CPU only ever wake onto a busy CPU (the waker holds the only one); on four they always
 * find one idle. Each configuration is run with the expensive wake-up on one side and then the
 * other: if the simulator charged one kind of wake-up regardless of the CPUs (the broken
 * variant), the two runs on the same CPUs would not differ.
 */
class WakeRegimeTest {
    private static final long EXPENSIVE_NS = 40_000;

    private static double pagesPerSec(int hostCpus, boolean busyExpensive) {
        CostModel c = CostModel.defaults().with(Cost.JITTER_PERCENT, 0, "test")
                .with(Cost.HOST_CPUS, hostCpus, "test")
                .with(Cost.THREAD_WAKEUP_NS, 0, "test")
                .with(Cost.WAKEUP_CPU_NS, 0, "test")
                .with(Cost.WAKER_CPU_NS, busyExpensive ? 0 : EXPENSIVE_NS, "test")
                .with(Cost.WAKEUP_CPU_BUSY_NS, 0, "test")
                .with(Cost.WAKER_CPU_BUSY_NS, busyExpensive ? EXPENSIVE_NS : 0, "test");
        SimFaultBenchResult r = SimFaultBench.run(new SimFaultBenchConfig(FaultMode.UFFD, 1, 1024 * 4096L, 1,
                UffdSet.Scope.SHARED, 0, 1, c, false));
        assertTrue(r.verified(), r.error());
        return r.pagesPerSecOverall();
    }

    @Test
    void onOneCpuEveryWakeUpIsOntoABusyCpu() {
        double busyCheap = pagesPerSec(1, false);
        double busyExpensive = pagesPerSec(1, true);
        assertTrue(busyCheap > 5 * busyExpensive, () -> "one CPU: " + busyCheap + " pages/s with cheap busy wake-ups, "
                + busyExpensive + " with expensive ones");
    }

    @Test
    void withCpusToSpareEveryWakeUpIsOntoAnIdleCpu() {
        double idleExpensive = pagesPerSec(4, false);
        double idleCheap = pagesPerSec(4, true);
        assertTrue(idleCheap > 5 * idleExpensive, () -> "four CPUs: " + idleCheap + " pages/s with cheap idle wake-ups, "
                + idleExpensive + " with expensive ones");
    }
}
