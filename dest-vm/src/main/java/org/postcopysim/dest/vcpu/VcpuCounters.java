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
    /** Total time this vCPU was blocked on missing pages (nanoseconds). */
    public long blockedNs;
}
