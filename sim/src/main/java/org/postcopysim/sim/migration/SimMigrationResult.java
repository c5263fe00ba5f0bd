package org.postcopysim.sim.migration;

/**
 * A simulated migration's outcome, in virtual time.
 *
 * @param migrationNs      from the vCPUs' resume until every page was present (ns)
 * @param pageRequests     page requests the destination sent (vCPUs' exits, or uffd readers)
 * @param demandFaults     exits that sent a page request
 * @param redundantFaults  faults that joined a request in flight
 * @param faultLatencyNs   fault latency percentiles (ns)
 * @param allBlockedNs     time every vCPU was blocked at once (QEMU's blocktime, ns)
 * @param blockedNsTotal   the vCPUs' times blocked on missing pages, summed (ns)
 * @param mmu              the model's MMU counters and the verdict of its invariants at the end
 * @param backgroundOrder  the order the source's background stream sent pages in
 * @param networkBound     network-bound faults (pages first sent on demand) and the pages the
 *                         guest touched until every page was present
 * @param streams          background streams
 * @param streamPages      background pages the source sent on each stream
 */
public record SimMigrationResult(String mode, int vcpus, int readers, int channels, long netLatencyNs, long seed,
                                 boolean verified, String error, long pages, long migrationNs, long guestAccesses,
                                 long pageRequests, long demandFaults, long redundantFaults, long exits, long hostFaults,
                                 long demandPagesInstalled, long backgroundPagesInstalled, long duplicatePages,
                                 org.postcopysim.sim.bench.SimFaultBenchResult.Latency faultLatencyNs,
                                 long allBlockedNs, long blockedNsTotal, long events, long traceHash, long wallMs,
                                 org.postcopysim.sim.dest.SimMmuCounters mmu, String backgroundOrder,
                                 org.postcopysim.dest.metrics.NetworkBoundFaults networkBound, int streams,
                                 long[] streamPages) {
    public String traceHashHex() {
        return String.format("%016x", traceHash);
    }
}
