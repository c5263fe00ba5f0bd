package org.postcopysim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.bench.FaultBenchResult;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;

/**
 * The kernel backend against this machine's userfaultfd: every fault is resolved and every page
 * reads back as the source's, in each registration, wake style and uffd scope; racing resolvers'
 * EEXIST is counted; a reader killed mid-run fails the run instead of hanging it. Skipped, with
 * the kernel's one-line reason, where userfaultfd is not available.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KernelFaultBenchTest {
    @BeforeAll
    static void kernelHasUserfaultfd() {
        String why = KernelSupport.unavailableReason(Uffd.Registration.MISSING);
        assumeTrue(why == null, () -> "kernel backend unavailable here: " + why);
    }

    static FaultBenchConfig config(FaultMode mode, int vcpus, int readers, UffdSet.Scope scope, boolean partitioned,
                                   long memPerVcpu, long fetchDelayNs) {
        return new FaultBenchConfig(new FaultOptions(mode, readers, scope, 0, partitioned), vcpus, memPerVcpu,
                fetchDelayNs, 0, 11);
    }

    private static void assertResolvedEveryPage(FaultBenchResult r, long pages) {
        assertTrue(r.verified(), r::error);
        assertEquals("kernel", r.backend());
        assertEquals(0, r.staleReads());
        assertEquals(pages, r.pagesTouched());
        assertEquals(pages, r.pagesInstalled(), "every page installed exactly once");
    }

    @Test
    void missingRegistrationResolvesEveryFaultWithCopy() throws Exception {
        FaultBenchResult r = KernelFaultBench.run(config(FaultMode.UFFD, 2, 1, UffdSet.Scope.SHARED, true, 4 << 20, 0),
                KernelBenchOptions.DEFAULT);
        assertResolvedEveryPage(r, 2048);
        assertEquals(2048, r.hostFaults(), "partitioned: every first touch sleeps once");
        assertEquals(2048, r.uffd().wakes());
        assertEquals(2048, r.faultLatencyNs().count());
        assertTrue(r.blocktime().perVcpuNs()[0] > 0);
    }

    /**
     * Where each fault's two wake-ups ran: pinned to one CPU, every one stayed on its waker's CPU;
     * free on a machine of two or more CPUs, the counts cover every fault and are a share. The
     * control is the pinned run itself: a recording that took the wrong CPU, or none, would not
     * give 100% there, and the reader's recorded CPU must be the one it was pinned to (the last
     * allowed, so that a recording of CPU 0 for every fault is caught too), and its faults all
     * placed alike must make one run (a count of faults instead of runs is caught). Per thread,
     * with a uffd per vCPU each reader must be credited its own vCPU's faults (a recording that
     * credits every fault to the first reader was caught, checked by hand).
     */
    @Test
    void placementCountsEveryFaultAndAPinnedRunStaysOnItsCpu() throws Exception {
        FaultBenchConfig one = config(FaultMode.UFFD, 1, 1, UffdSet.Scope.SHARED, true, 1 << 20, 0);
        int cpu = CpuAffinity.allowedCount() > 1 ? lastAllowedCpu() : CpuAffinity.firstAllowed();
        KernelFaultBench.PlacedRun pinned = CpuAffinity.onOneCpu(cpu,
                () -> KernelFaultBench.runRecordingPlacement(one, KernelBenchOptions.DEFAULT));
        assertEquals(1L << cpu, pinned.placement().readerCpus(), "the reader ran on the CPU it was pinned to, as recorded");
        assertResolvedEveryPage(pinned.result(), 256);
        assertEquals(256, pinned.placement().faults());
        assertEquals(256, pinned.placement().readerOnFaultingCpu());
        assertEquals(256, pinned.placement().resumedOnResolvingCpu());
        assertEquals(100, pinned.placement().sameCpuPercent());
        assertEquals(1, pinned.placement().runs(), "every fault placed alike: one run");
        assertEquals(List.of("vcpu-0 cpu" + cpu + " 256", "uffd-reader-0 cpu" + cpu + " 256"),
                pinned.placement().threads().stream().map(KernelFaultBench.ThreadCpus::text).toList(),
                "each thread's faults on the CPU it was pinned to");
        KernelFaultBench.PlacedRun free = KernelFaultBench.runRecordingPlacement(
                config(FaultMode.UFFD, 2, 2, UffdSet.Scope.SHARED, true, 1 << 20, 0), KernelBenchOptions.DEFAULT);
        assertResolvedEveryPage(free.result(), 512);
        assertEquals(512, free.placement().faults());
        assertTrue(free.placement().sameCpuPercent() >= 0 && free.placement().sameCpuPercent() <= 100);
        long runs = free.placement().runs();
        assertTrue(runs >= 1 && runs <= 512, () -> runs + " runs over 512 faults");
        if (free.placement().readerOnFaultingCpu() % 512 != 0) assertTrue(runs >= 2, "faults placed both ways: two runs at least");
        // Per thread: with a uffd per vCPU, each vCPU thread faulted its own 256 pages and each reader resolved its
        // vCPU's 256 (a recording that credits every fault to one reader, or to the wrong thread, is caught).
        KernelFaultBench.PlacedRun pairs = KernelFaultBench.runRecordingPlacement(
                config(FaultMode.UFFD, 2, 1, UffdSet.Scope.PER_VCPU, true, 1 << 20, 0), KernelBenchOptions.DEFAULT);
        List<KernelFaultBench.ThreadCpus> threads = pairs.placement().threads();
        assertEquals(List.of("vcpu-0", "vcpu-1", "uffd-0-reader-0", "uffd-1-reader-0"),
                threads.stream().map(KernelFaultBench.ThreadCpus::thread).toList());
        for (KernelFaultBench.ThreadCpus t : threads) {
            assertEquals(256, java.util.Arrays.stream(t.faultsByCpu()).sum(), t.text());
        }
        if (CpuAffinity.allowedCount() == 1) assertEquals(100, free.placement().sameCpuPercent());
    }

    /** The highest-numbered CPU this process may run on (below 64). */
    private static int lastAllowedCpu() throws KernelUnavailable {
        int last = CpuAffinity.firstAllowed();
        for (int c = last + 1; c < 64; c++) {
            final int cpu = c;
            try {
                CpuAffinity.onOneCpu(cpu, () -> null);
                last = cpu;
            } catch (KernelUnavailable e) {
                // not in this process's set
            }
        }
        return last;
    }

    @Test
    void negativeControlACopyOfTheWrongPageIsCaughtByTheReadsAndTheVerifier() throws Exception {
        FaultBenchResult r = KernelFaultBench.run(config(FaultMode.UFFD, 2, 1, UffdSet.Scope.SHARED, true, 1 << 20, 0),
                KernelBenchOptions.DEFAULT.withWrongSourcePage());
        assertFalse(r.verified());
        assertEquals(512, r.staleReads(), "every read saw another page's contents");
        assertTrue(r.error().contains("512 differing from the source"), r.error());
    }

    @Test
    void separateWakeAndPerVcpuUffdsWithSeveralReaders() throws Exception {
        FaultBenchResult r = KernelFaultBench.run(config(FaultMode.UFFD, 3, 2, UffdSet.Scope.PER_VCPU, true, 2 << 20, 0),
                KernelBenchOptions.DEFAULT.withSeparateWake(true));
        assertResolvedEveryPage(r, 3 * 512);
        assertEquals("per-vcpu", r.uffdScope());
        assertEquals(2, r.readers());
        assertEquals(3 * 512, r.uffd().wakes(), "one UFFDIO_WAKE per DONTWAKE copy");
    }

    @Test
    void minorRegistrationOnShmemResolvesWithContinue() throws Exception {
        String why = KernelSupport.unavailableReason(Uffd.Registration.MINOR);
        assumeTrue(why == null, () -> "minor faults unavailable here: " + why);
        FaultBenchResult r = KernelFaultBench.run(config(FaultMode.UFFD, 2, 1, UffdSet.Scope.SHARED, true, 2 << 20, 0),
                KernelBenchOptions.DEFAULT.withRegistration(Uffd.Registration.MINOR));
        assertResolvedEveryPage(r, 1024);
        assertEquals(1024, r.hostFaults());
    }

    @Test
    void noneModeCopiesInTheFaultingThreadWithoutAUffd() throws Exception {
        FaultBenchResult r = KernelFaultBench.run(config(FaultMode.NONE, 2, 1, UffdSet.Scope.SHARED, true, 2 << 20, 0),
                KernelBenchOptions.DEFAULT);
        assertTrue(r.verified(), r::error);
        assertEquals(0, r.hostFaults());
        assertEquals(1024, r.pagesInstalled());
        assertEquals(0, r.readers());
    }

    @Test
    void overlappedTouchesRaceResolversIntoEexistAndStillVerify() throws Exception {
        // Four threads fault the same pages at once with a delay: each page gets up to four messages,
        // two readers resolve them, and every copy after the first finds the page mapped.
        FaultBenchResult r = KernelFaultBench.run(config(FaultMode.UFFD, 4, 2, UffdSet.Scope.SHARED, false, 1 << 20, 20_000),
                KernelBenchOptions.DEFAULT);
        assertTrue(r.verified(), r::error);
        assertEquals(256, r.pagesInstalled());
        assertTrue(r.uffd().eexist() > 0, () -> "no EEXIST counted: " + r);
        assertEquals(r.hostFaults(), r.pagesInstalled() + r.uffd().eexist(), "every message installs or finds EEXIST");
    }

    @Test
    void aReaderKilledMidRunFailsTheRunWithAClearMessageInsteadOfHanging() throws Exception {
        long t0 = System.nanoTime();
        FaultBenchResult r = KernelFaultBench.run(config(FaultMode.UFFD, 2, 1, UffdSet.Scope.SHARED, true, 4 << 20, 0),
                KernelBenchOptions.DEFAULT.withReaderKilledAfter(100, 5_000));
        assertFalse(r.verified());
        assertNotNull(r.error());
        assertTrue(r.error().contains("uffd reader uffd-reader-0 died"), r.error());
        assertTrue(r.error().contains("unregistered to wake"), r.error());
        assertTrue(r.pagesTouched() < 2048);
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 30, "the run ended promptly");
    }

    @Test
    void theKvmUserfaultModesAreRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelFaultBench.run(
                config(FaultMode.KVM_USERFAULT, 1, 1, UffdSet.Scope.SHARED, true, 1 << 20, 0), KernelBenchOptions.DEFAULT));
        assertTrue(e.getMessage().contains("upstream kernel"), e.getMessage());
    }

    @Test
    void theBenchmarksOwnWorkPerFaultIsTimedOnEachSide() throws Exception {
        KernelFaultBench.UserWork w = KernelFaultBench.measureUserWork(512, 2, 3);
        assertTrue(w.vcpuNs() > 0 && w.vcpuNs() < 100_000, () -> "faulting thread's work " + w.vcpuNs() + " ns");
        assertTrue(w.readerNs() > 0 && w.readerNs() < 100_000, () -> "reader's work " + w.readerNs() + " ns");
    }
}
