package org.postcopysim.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where each side of every fault of a {@link KernelFaultBench#runRecordingPlacement} run ran, and
 * when: per page the CPU its thread faulted on, the CPU and index of the reader that resolved it,
 * the CPU its thread resumed on, and when its thread began to touch it; per vCPU thread when it
 * finished. Written by the benchmark's threads (each page's slots by its own thread and its one
 * resolver), read once they have all been joined; {@link #placement} turns it into the counts.
 * Plain arrays: no clock, no threads of its own.
 */
final class PlacementLog {
    final int[] faultCpu;
    /** -1 until a reader resolves the page. */
    final int[] resolveCpu;
    final int[] resumeCpu;
    final int[] resolvedBy;
    final long[] touchStartNs;
    final long[] vcpuFinishedNs;
    private final long pagesPerVcpu;

    PlacementLog(int pages, int vcpus, long pagesPerVcpu) {
        this.faultCpu = new int[pages];
        this.resolveCpu = new int[pages];
        this.resumeCpu = new int[pages];
        this.resolvedBy = new int[pages];
        this.touchStartNs = new long[pages];
        this.vcpuFinishedNs = new long[vcpus];
        this.pagesPerVcpu = pagesPerVcpu;
        Arrays.fill(resolveCpu, -1);
    }

    /**
     * The counts ({@link KernelFaultBench.Placement}): in page order (each thread's order of
     * faults), a run is a stretch of one thread's resolved faults whose reader all ran on the
     * faulting CPU (placed), or all elsewhere (spread); a fault's time is its thread's, from its touch of the page
     * to its touch of the next one (to its finish after its last). {@code readers} names the readers
     * by index.
     */
    KernelFaultBench.Placement placement(List<String> readers) {
        long faults = 0;
        long reader = 0;
        long resumed = 0;
        long cpus = 0;
        long[] runs = new long[2]; // by placement: [0] spread, [1] placed
        long[] ns = new long[2];
        int last = -1; // the previous resolved fault's placement: 1 on the faulting CPU, 0 elsewhere
        for (int p = 0; p < resolveCpu.length; p++) {
            if (p % pagesPerVcpu == 0) last = -1; // each thread's faults are runs of their own
            if (resolveCpu[p] < 0) continue; // not resolved by a reader (or not touched)
            faults++;
            if (resolveCpu[p] < 64) cpus |= 1L << resolveCpu[p];
            int same = faultCpu[p] == resolveCpu[p] ? 1 : 0;
            reader += same;
            if (same != last) runs[same]++;
            last = same;
            if (resumeCpu[p] == resolveCpu[p]) resumed++;
            ns[same] += touchEndNs(p) - touchStartNs[p];
        }
        return new KernelFaultBench.Placement(faults, reader, resumed, cpus, runs[0] + runs[1], threadCpus(readers),
                new KernelFaultBench.RunTimes(runs[1], ns[1], runs[0], ns[0]));
    }

    /**
     * When page {@code p}'s thread touched its next page: its finish after its last page, or
     * after the last it touched when it stopped early (a failed run: the next was never touched).
     */
    private long touchEndNs(int p) {
        int vcpu = (int) (p / pagesPerVcpu);
        boolean last = (p + 1) % pagesPerVcpu == 0 || touchStartNs[p + 1] == 0;
        return last ? vcpuFinishedNs[vcpu] : touchStartNs[p + 1];
    }

    /** Each vCPU thread's faults per CPU (where it faulted), then each reader's (where it resolved). */
    private List<KernelFaultBench.ThreadCpus> threadCpus(List<String> readers) {
        int width = 1;
        for (int p = 0; p < resolveCpu.length; p++) {
            if (resolveCpu[p] < 0) continue;
            width = Math.max(width, Math.max(faultCpu[p], resolveCpu[p]) + 1);
        }
        long[][] vcpu = new long[vcpuFinishedNs.length][width];
        long[][] reader = new long[readers.size()][width];
        for (int p = 0; p < resolveCpu.length; p++) {
            if (resolveCpu[p] < 0) continue;
            vcpu[(int) (p / pagesPerVcpu)][faultCpu[p]]++;
            if (resolvedBy[p] >= 0) reader[resolvedBy[p]][resolveCpu[p]]++;
        }
        List<KernelFaultBench.ThreadCpus> l = new ArrayList<>();
        for (int v = 0; v < vcpu.length; v++) l.add(new KernelFaultBench.ThreadCpus("vcpu-" + v, vcpu[v]));
        for (int r = 0; r < reader.length; r++) l.add(new KernelFaultBench.ThreadCpus(readers.get(r), reader[r]));
        return List.copyOf(l);
    }
}
