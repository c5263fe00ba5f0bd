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
 */
public record SimFaultBenchResult(String mode, int vcpus, int readers, String uffdScope, long memPerVcpuBytes,
                                  long seed, boolean verified, String error, long pagesTouched,
                                  double pagesPerSecOverall, double[] pagesPerSecPerVcpu, Latency faultLatencyNs,
                                  long exits, long hostFaults, long demandFaults, long redundantFaults, long populates,
                                  long eexist, long uffdReads, long uffdWakes, long waitersVisited,
                                  double waitersVisitedPerWake, long pollerWakeups, long lockContended,
                                  long wakeWalksCharged, long wakeWalkVisitsCharged, long wakeWalkChargedNs,
                                  long virtualNs, long events, long traceHash, long wallMs,
                                  org.postcopysim.sim.dest.SimMmuCounters mmu) {
    /** Fault latency percentiles (ns, virtual). */
    public record Latency(long count, long p50, long p90, long p99, long p999, long max, long mean) {
        /** The percentiles of {@code h} (ns). */
        public static Latency of(org.HdrHistogram.Histogram h) {
            return new Latency(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(90),
                    h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), (long) h.getMean());
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
}
