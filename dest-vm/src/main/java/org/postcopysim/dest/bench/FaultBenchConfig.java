package org.postcopysim.dest.bench;

import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.VcpuCount;

/**
 * One run of the fault benchmark (the counterpart of the kernel's demand_paging_test).
 *
 * @param faults          fault mode, uffd readers and scope, internal accesses, partitioned or overlapped
 * @param vcpus           vCPU threads (count)
 * @param memPerVcpuBytes memory each vCPU touches (bytes, a multiple of 4 KiB): with partitioned access
 *                        the guest has vcpus times this; overlapped, every vCPU touches the same this much
 * @param fetchDelayNs    time each page takes to arrive before it is copied (nanoseconds)
 * @param writeFraction   fraction of the touches that write (0..1); reads are checked against the source
 * @param seed            seed of the source contents and of the write/internal choices
 */
public record FaultBenchConfig(FaultOptions faults, int vcpus, long memPerVcpuBytes, long fetchDelayNs,
                               double writeFraction, long seed) {
    /** demand_paging_test's default: 1 GiB per vCPU is too much for CI; 64 MiB as in the KVM Userfault cover letter. */
    public static final long DEFAULT_MEM_PER_VCPU_BYTES = 64L << 20;

    public FaultBenchConfig {
        VcpuCount.check(vcpus);
        if (memPerVcpuBytes <= 0 || memPerVcpuBytes % GuestLayout.PAGE_SIZE_BYTES != 0) {
            throw new IllegalArgumentException("memory per vCPU must be a positive multiple of 4 KiB, got " + memPerVcpuBytes);
        }
        if (fetchDelayNs < 0) throw new IllegalArgumentException("fetch delay must not be negative");
        if (!(writeFraction >= 0 && writeFraction <= 1)) throw new IllegalArgumentException("write fraction must be within 0..1");
    }

    public long pagesPerVcpu() {
        return memPerVcpuBytes / GuestLayout.PAGE_SIZE_BYTES;
    }

    /** Guest memory: every vCPU's range when partitioned, one shared range when overlapped (bytes). */
    public long guestBytes() {
        return faults.partitioned() ? memPerVcpuBytes * vcpus : memPerVcpuBytes;
    }
}
