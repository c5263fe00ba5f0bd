package org.postcopysim.sim.migration;

import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.guest.Workload;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.sim.dest.SimMmuConfig;
import org.postcopysim.source.policy.BackgroundOrder;

/**
 * One simulated postcopy migration: the destination's vCPUs run {@code workload} from the moment
 * they resume with every page missing, while the source streams every page in the background and
 * answers demand requests; over simulated channels.
 *
 * @param channels          1: demand answers share the background stream's channel; 2: their own
 * @param accessesPerSec    each vCPU's pace (accesses per second), 0 for flat out
 * @param maxBackgroundBytesPerSec the background stream's cap, 0 for none
 * @param sendBufferBytes   most background bytes the source keeps queued on its channel
 * @param costs             the cost model (net-latency and net-bandwidth are the channels')
 * @param mmu               the MMU options and the host events injected ({@link SimMmuConfig#NONE}: none)
 * @param internalAccessFraction fraction of accesses KVM makes itself on a vCPU's behalf
 *                          (uffd+kvm-userfault only; 0 for none), through each vCPU's pfn cache, as
 *                          {@code dest --internal-access-fraction} does
 * @param backgroundOrder   the order the source's background stream sends pages in (the real
 *                          source's {@link BackgroundOrder})
 * @param streams           background streams (QEMU's multifd channels, 1..16): they share the link
 *                          (each channel gets 1/N of net-bandwidth, as TCP flows share a bottleneck)
 *                          and the cap, and each has its own event loop on the destination
 */
public record SimMigrationConfig(FaultMode mode, int vcpus, long memPerVcpuBytes, int readers, UffdSet.Scope uffdScope,
                                 Workload workload, long accessesPerSec, int channels, int pagesPerBatch,
                                 long maxBackgroundBytesPerSec, long sendBufferBytes, long seed, CostModel costs,
                                 SimMmuConfig mmu, double internalAccessFraction, BackgroundOrder backgroundOrder,
                                 int streams) {
    /** A socket send buffer's worth (Linux's tcp_wmem maximum, 4 MiB). */
    public static final long DEFAULT_SEND_BUFFER_BYTES = 4L << 20;

    public SimMigrationConfig {
        if (!mode.migrates()) throw new IllegalArgumentException("a migration needs a mode that fetches pages, not " + mode);
        if (channels != 1 && channels != 2) throw new IllegalArgumentException("channels must be 1 or 2, got " + channels);
        if (pagesPerBatch < 1) throw new IllegalArgumentException("pages per batch must be positive");
        if (accessesPerSec < 0 || maxBackgroundBytesPerSec < 0 || sendBufferBytes < 1) {
            throw new IllegalArgumentException("rates must not be negative and the send buffer must be positive");
        }
        faultOptions(mode, readers, uffdScope, internalAccessFraction); // validates
        java.util.Objects.requireNonNull(mmu, "mmu");
        java.util.Objects.requireNonNull(backgroundOrder, "backgroundOrder");
        org.postcopysim.protocol.StreamCount.check(streams);
    }

    /** One stream. */
    public SimMigrationConfig(FaultMode mode, int vcpus, long memPerVcpuBytes, int readers, UffdSet.Scope uffdScope,
                              Workload workload, long accessesPerSec, int channels, int pagesPerBatch,
                              long maxBackgroundBytesPerSec, long sendBufferBytes, long seed, CostModel costs,
                              SimMmuConfig mmu, double internalAccessFraction, BackgroundOrder backgroundOrder) {
        this(mode, vcpus, memPerVcpuBytes, readers, uffdScope, workload, accessesPerSec, channels, pagesPerBatch,
                maxBackgroundBytesPerSec, sendBufferBytes, seed, costs, mmu, internalAccessFraction, backgroundOrder, 1);
    }

    /** With the default background order (follow-faults). */
    public SimMigrationConfig(FaultMode mode, int vcpus, long memPerVcpuBytes, int readers, UffdSet.Scope uffdScope,
                              Workload workload, long accessesPerSec, int channels, int pagesPerBatch,
                              long maxBackgroundBytesPerSec, long sendBufferBytes, long seed, CostModel costs,
                              SimMmuConfig mmu, double internalAccessFraction) {
        this(mode, vcpus, memPerVcpuBytes, readers, uffdScope, workload, accessesPerSec, channels, pagesPerBatch,
                maxBackgroundBytesPerSec, sendBufferBytes, seed, costs, mmu, internalAccessFraction, BackgroundOrder.DEFAULT);
    }

    /** Without internal accesses. */
    public SimMigrationConfig(FaultMode mode, int vcpus, long memPerVcpuBytes, int readers, UffdSet.Scope uffdScope,
                              Workload workload, long accessesPerSec, int channels, int pagesPerBatch,
                              long maxBackgroundBytesPerSec, long sendBufferBytes, long seed, CostModel costs,
                              SimMmuConfig mmu) {
        this(mode, vcpus, memPerVcpuBytes, readers, uffdScope, workload, accessesPerSec, channels, pagesPerBatch,
                maxBackgroundBytesPerSec, sendBufferBytes, seed, costs, mmu, 0);
    }

    /** Without host events, over the default VM. */
    public SimMigrationConfig(FaultMode mode, int vcpus, long memPerVcpuBytes, int readers, UffdSet.Scope uffdScope,
                              Workload workload, long accessesPerSec, int channels, int pagesPerBatch,
                              long maxBackgroundBytesPerSec, long sendBufferBytes, long seed, CostModel costs) {
        this(mode, vcpus, memPerVcpuBytes, readers, uffdScope, workload, accessesPerSec, channels, pagesPerBatch,
                maxBackgroundBytesPerSec, sendBufferBytes, seed, costs, SimMmuConfig.NONE);
    }

    static FaultOptions faultOptions(FaultMode mode, int readers, UffdSet.Scope scope, double internalAccessFraction) {
        return new FaultOptions(mode, readers, scope, internalAccessFraction, scope == UffdSet.Scope.PER_VCPU);
    }

    FaultOptions faultOptions() {
        return faultOptions(mode, readers, uffdScope, internalAccessFraction);
    }

    /** This config with KVM making fraction {@code f} of the accesses itself (uffd+kvm-userfault only). */
    public SimMigrationConfig withInternalAccessFraction(double f) {
        return new SimMigrationConfig(mode, vcpus, memPerVcpuBytes, readers, uffdScope, workload, accessesPerSec, channels,
                pagesPerBatch, maxBackgroundBytesPerSec, sendBufferBytes, seed, costs, mmu, f, backgroundOrder, streams);
    }

    /** This config with the source's background stream in {@code order}. */
    public SimMigrationConfig withBackgroundOrder(BackgroundOrder order) {
        return new SimMigrationConfig(mode, vcpus, memPerVcpuBytes, readers, uffdScope, workload, accessesPerSec, channels,
                pagesPerBatch, maxBackgroundBytesPerSec, sendBufferBytes, seed, costs, mmu, internalAccessFraction, order, streams);
    }

    /** This config with {@code n} background streams. */
    public SimMigrationConfig withStreams(int n) {
        return new SimMigrationConfig(mode, vcpus, memPerVcpuBytes, readers, uffdScope, workload, accessesPerSec, channels,
                pagesPerBatch, maxBackgroundBytesPerSec, sendBufferBytes, seed, costs, mmu, internalAccessFraction,
                backgroundOrder, n);
    }
}
