package org.postcopysim.sim.bench;

/**
 * What a simulated fault benchmark measured, in virtual time; the field names are those of
 * {@code compare}'s records (see docs/json.md).
 *
 * @param pagesPerSecOverall pages touched by all vCPUs over the time from the first vCPU's start to
 *                           the last one's end (virtual)
 * @param pagesPerSecPerVcpu each vCPU's pages over its own time, by vCPU
 * @param virtualNs          virtual time of the run (ns)
 * @param events             simulator events run
 * @param traceHash          hash of the whole event trace: the same seed and costs give the same hash
 * @param wakeWalkChargedNs  lock time the simulator charged for wake walks (ns): per walk its fixed cost
 *                           plus the per-waiter cost times the waiters the model counted it visiting
 * @param mmu    the model's MMU counters and invariants at the end
 * @param wallMs             real time the simulation took (ms)
 * @param pagesInstalled     pages the installer made present
 * @param blocktime          QEMU's blocktime, in virtual time
 * @param latencyLog2Us      the fault latency in log2 microsecond buckets (virtual)
 * @param exitsPerVcpu       exits of each vCPU, by index
 * @param maxWaitersVisitedPerWake the most sleepers one wake visited
 * @param staleReads         checked reads that saw contents other than the source's (0 without contents)
 * @param elapsedNs          virtual time from the first vCPU's start to the last one's end (ns)
 */
public record SimFaultBenchResult(String mode, int vcpus, int readers, String uffdScope, long memPerVcpuBytes,
                                  long seed, boolean verified, String error, long pagesTouched,
                                  double pagesPerSecOverall, double[] pagesPerSecPerVcpu, Latency faultLatencyNs,
                                  long exits, long hostFaults, long demandFaults, long redundantFaults, long populates,
                                  long eexist, long uffdReads, long uffdWakes, long waitersVisited,
                                  double waitersVisitedPerWake, long pollerWakeups, long lockContended,
                                  long wakeWalksCharged, long wakeWalkVisitsCharged, long wakeWalkChargedNs,
                                  long virtualNs, long events, long traceHash, long wallMs,
                                  org.postcopysim.sim.dest.SimMmuCounters mmu, long pagesInstalled,
                                  org.postcopysim.dest.MigrationSummary.Blocktime blocktime,
                                  java.util.List<org.postcopysim.dest.metrics.Log2Buckets.Bucket> latencyLog2Us,
                                  long[] exitsPerVcpu, long maxWaitersVisitedPerWake,
                                  long staleReads, long elapsedNs) {
    /** Fault latency percentiles (ns, virtual). */
    public record Latency(long count, long p50, long p90, long p99, long p999, long max, long mean, long min) {
        /** The percentiles of {@code h} (ns). */
        public static Latency of(org.HdrHistogram.Histogram h) {
            return new Latency(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(90),
                    h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), (long) h.getMean(),
                    h.getTotalCount() == 0 ? 0 : h.getMinValue());
        }
    }

    /** The mean over vCPUs of {@link #pagesPerSecPerVcpu()}. */
    public double meanPagesPerSecPerVcpu() {
        double sum = 0;
        for (double d : pagesPerSecPerVcpu) sum += d;
        return pagesPerSecPerVcpu.length == 0 ? 0 : sum / pagesPerSecPerVcpu.length;
    }

    /** The trace hash as the 16 hex digits results print. */
    public String traceHashHex() {
        return String.format("%016x", traceHash);
    }

    /**
     * This result as the fault benchmark reports one ({@code fault-bench --backend sim}), with
     * backend {@code sim}: the same fields as the model's and the kernel's runs, in virtual time.
     */
    public org.postcopysim.dest.bench.FaultBenchResult asFaultBenchResult(SimFaultBenchConfig c) {
        var uffd = !c.mode().usesUffd() ? org.postcopysim.dest.MigrationSummary.UffdStats.NONE
                : new org.postcopysim.dest.MigrationSummary.UffdStats(hostFaults, uffdWakes,
                new org.postcopysim.dest.MigrationSummary.PerWake(waitersVisitedPerWake, maxWaitersVisitedPerWake),
                uffdReads, eexist, pollerWakeups);
        Latency l = faultLatencyNs;
        var latency = new org.postcopysim.dest.MigrationSummary.Latency(l.count(), l.min(), l.p50(), l.p90(), l.p99(),
                l.p999(), l.max(), l.mean());
        return new org.postcopysim.dest.bench.FaultBenchResult("sim", mode, vcpus, readers, uffdScope,
                c.faultOptions().accessName(), memPerVcpuBytes, c.fetchDelayNs() / 1000, 0, seed, verified, error,
                c.pagesPerVcpu(), pagesTouched, pagesPerSecOverall, pagesPerSecPerVcpu, latency, latencyLog2Us, exits,
                exitsPerVcpu, hostFaults, pagesInstalled, redundantFaults, populates, uffd, blocktime, staleReads, elapsedNs);
    }
}
