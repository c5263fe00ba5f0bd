package org.postcopysim.dest.vcpu;

/**
 * One vCPU's counts, written only by its own thread (plain fields, published when the thread is
 * joined) so the access loop updates them for free.
 */
public final class VcpuCounters {
    public long accesses;
    public long reads;
    public long writes;
    public long exits;
    public long demandFaults;
    public long redundantFaults;
    public long resolvedBeforeRequest;
    public long staleReads;
    /** Exit-on-missing faults whose page another party installed: populated without a copy. */
    public long populates;
    /**
     * Of those, exits on a page that had arrived and that the host reclaimed since: brought back
     * from swap by the populate, never fetched again (kernel-background.md §6).
     */
    public long reclaimedPopulates;
    /** Accesses that faulted in the host and slept on a userfaultfd wait queue. */
    public long hostFaults;
    /** KVM-internal accesses (they cannot exit). */
    public long internalAccesses;
    /** Total time this vCPU was blocked on missing pages (nanoseconds). */
    public long blockedNs;
    /** Faults of this vCPU that waited for a missing page and ended with the page present (count). */
    public long waitedFaults;
    /** The sum of those faults' latencies, fault to page present (nanoseconds). */
    public long waitedFaultsLatencyNs;

    /** Adds every count of {@code other} to this one's. */
    public void add(VcpuCounters other) {
        accesses += other.accesses;
        reads += other.reads;
        writes += other.writes;
        exits += other.exits;
        demandFaults += other.demandFaults;
        redundantFaults += other.redundantFaults;
        resolvedBeforeRequest += other.resolvedBeforeRequest;
        staleReads += other.staleReads;
        populates += other.populates;
        reclaimedPopulates += other.reclaimedPopulates;
        hostFaults += other.hostFaults;
        internalAccesses += other.internalAccesses;
        blockedNs += other.blockedNs;
        waitedFaults += other.waitedFaults;
        waitedFaultsLatencyNs += other.waitedFaultsLatencyNs;
    }
}
