package org.postcopysim.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The placement's counts from a log written by hand, so that every count is known: which faults
 * were placed (reader on the faulting thread's CPU), the runs of each kind in page order, each
 * kind's time (touch to next touch, the finish after a thread's last page), and each thread's
 * faults per CPU. Each count was seen to fail by hand (2026-12-03) with runs counted as one, a
 * fault's time taken from the wrong neighbour, and a reader's faults credited to reader 0.
 */
class PlacementLogTest {
    /**
     * Two vCPU threads of four pages each and two readers. vCPU 0 on CPU 0: placed, placed, spread,
     * placed; vCPU 1 on CPU 1: spread, spread, placed, placed. Touches 10 ns apart for vCPU 0 (from
     * 0) and 100 ns apart for vCPU 1 (from 1000), each finishing one step after its last touch.
     */
    private static PlacementLog log() {
        PlacementLog l = new PlacementLog(8, 2, 4);
        int[] fault = {0, 0, 0, 0, 1, 1, 1, 1};
        int[] resolve = {0, 0, 1, 0, 0, 0, 1, 1};
        int[] resume = {0, 0, 1, 1, 0, 1, 1, 1};
        int[] by = {0, 0, 1, 0, 1, 1, 0, 1};
        for (int p = 0; p < 8; p++) {
            l.faultCpu[p] = fault[p];
            l.resolveCpu[p] = resolve[p];
            l.resumeCpu[p] = resume[p];
            l.resolvedBy[p] = by[p];
            l.touchStartNs[p] = p < 4 ? 10L * p : 1000 + 100L * (p - 4);
        }
        l.vcpuFinishedNs[0] = 40;
        l.vcpuFinishedNs[1] = 1400;
        return l;
    }

    @Test
    void theCountsRunsAndTimesAreThoseOfTheLog() {
        KernelFaultBench.Placement p = log().placement(List.of("reader-0", "reader-1"));
        assertEquals(8, p.faults());
        assertEquals(5, p.readerOnFaultingCpu(), "pages 0, 1, 3, 6, 7");
        assertEquals(6, p.resumedOnResolvingCpu(), "pages 0, 1, 2, 4, 6, 7");
        assertEquals(0b11, p.readerCpus());
        // Page order: P P S P | S S P P: runs P, S, P, S, P.
        assertEquals(5, p.runs());
        assertEquals(new KernelFaultBench.RunTimes(3, 10 + 10 + 10 + 100 + 100, 2, 10 + 100 + 100), p.times());
        assertEquals(69, p.sameCpuPercent(), "11 of 16 sides");
    }

    @Test
    void eachThreadIsCreditedWhereItRan() {
        List<KernelFaultBench.ThreadCpus> t = log().placement(List.of("reader-0", "reader-1")).threads();
        assertEquals(List.of("vcpu-0", "vcpu-1", "reader-0", "reader-1"), t.stream().map(KernelFaultBench.ThreadCpus::thread).toList());
        assertArrayEquals(new long[] {4, 0}, t.get(0).faultsByCpu());
        assertArrayEquals(new long[] {0, 4}, t.get(1).faultsByCpu());
        assertArrayEquals(new long[] {3, 1}, t.get(2).faultsByCpu(), "reader 0 resolved pages 0, 1, 3 on CPU 0, 6 on CPU 1");
        assertArrayEquals(new long[] {2, 2}, t.get(3).faultsByCpu(), "reader 1 resolved pages 4, 5 on CPU 0, 2 and 7 on CPU 1");
        assertEquals("reader-1 cpu0 2, cpu1 2", t.get(3).text());
    }

    @Test
    void anUnresolvedPageCountsForNothing() {
        PlacementLog l = log();
        l.resolveCpu[5] = -1;
        KernelFaultBench.Placement p = l.placement(List.of("reader-0", "reader-1"));
        assertEquals(7, p.faults());
        // P P S P | S - P P: the same runs, page 5's 100 ns gone from the spread time.
        assertEquals(new KernelFaultBench.RunTimes(3, 230, 2, 10 + 100), p.times());
    }

    /** A run never spans two threads: vCPU 0 ending placed and vCPU 1 starting placed are two runs. */
    @Test
    void aRunEndsWithItsThread() {
        PlacementLog l = log();
        l.resolveCpu[4] = 1; // vCPU 1's first fault now placed: P P S P | P S P P
        KernelFaultBench.Placement p = l.placement(List.of("reader-0", "reader-1"));
        assertEquals(6, p.runs(), "P, S, P on each thread");
        assertEquals(4, p.times().placedRuns());
    }

    /** An unresolved page in a run does not end it: P P - P is one run. */
    @Test
    void anUnresolvedPageDoesNotSplitARun() {
        PlacementLog l = log();
        l.resolveCpu[2] = -1;
        KernelFaultBench.Placement p = l.placement(List.of("reader-0", "reader-1"));
        assertEquals(3, p.runs(), "P on vCPU 0; S, P on vCPU 1");
    }

    /** A thread that stopped early (a failed run): its last touched page ends at its finish, never at an untouched 0. */
    @Test
    void aThreadThatStoppedEarlyEndsItsLastFaultAtItsFinish() {
        PlacementLog l = log();
        l.resolveCpu[2] = -1;
        l.resolveCpu[3] = -1;
        l.touchStartNs[2] = 0;
        l.touchStartNs[3] = 0;
        l.vcpuFinishedNs[0] = 25;
        KernelFaultBench.Placement p = l.placement(List.of("reader-0", "reader-1"));
        // vCPU 0: pages 0 (10 ns) and 1 (25 - 10 = 15 ns), both placed; vCPU 1 as before.
        assertEquals(new KernelFaultBench.RunTimes(2, 10 + 15 + 100 + 100, 1, 100 + 100), p.times());
    }
}
