package org.postcopysim.sim.bench;

import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.sim.dest.SimMmuConfig;

/**
 * One simulated fault benchmark, the virtual-time counterpart of {@code fault-bench} (the kernel's
 * demand_paging_test): each vCPU touches each page of its own range once, every page missing at
 * the start, pages from local memory.
 *
 * @param readers        reader threads per uffd (uffd modes)
 * @param fetchDelayNs   the handler's delay before each copy (ns), as demand_paging_test's -d
 * @param contents       simulate page contents too (small guests: every read is checked and every
 *                       page verified); false elides them (state only), for guests of any size
 * @param mmu            the MMU options and the host events injected ({@link SimMmuConfig#NONE}: none)
 * @param internalAccessFraction fraction of accesses KVM makes itself on a vCPU's behalf
 *                       (uffd+kvm-userfault only; 0 for none), through each vCPU's pfn cache, as
 *                       {@code fault-bench --internal-access-fraction} does
 */
public record SimFaultBenchConfig(FaultMode mode, int vcpus, long memPerVcpuBytes, int readers, UffdSet.Scope uffdScope,
                                  long fetchDelayNs, long seed, CostModel costs, boolean contents, SimMmuConfig mmu,
                                  double internalAccessFraction) {
    /** Most vCPUs a simulation takes. */
    public static final int MAX_VCPUS = 4096;

    public SimFaultBenchConfig {
        if (vcpus < 1 || vcpus > MAX_VCPUS) throw new IllegalArgumentException("vCPUs must be within 1.." + MAX_VCPUS + ", got " + vcpus);
        if (memPerVcpuBytes < GuestLayout.PAGE_SIZE_BYTES || memPerVcpuBytes % GuestLayout.PAGE_SIZE_BYTES != 0) {
            throw new IllegalArgumentException("memory per vCPU must be a positive multiple of 4 KiB, got " + memPerVcpuBytes);
        }
        if (fetchDelayNs < 0) throw new IllegalArgumentException("fetch delay must not be negative");
        new FaultOptions(mode, readers, uffdScope, internalAccessFraction, true); // validates readers, scope, fraction
        java.util.Objects.requireNonNull(mmu, "mmu");
    }

    /** Without internal accesses. */
    public SimFaultBenchConfig(FaultMode mode, int vcpus, long memPerVcpuBytes, int readers, UffdSet.Scope uffdScope,
                               long fetchDelayNs, long seed, CostModel costs, boolean contents, SimMmuConfig mmu) {
        this(mode, vcpus, memPerVcpuBytes, readers, uffdScope, fetchDelayNs, seed, costs, contents, mmu, 0);
    }

    /** Without host events, over the default VM. */
    public SimFaultBenchConfig(FaultMode mode, int vcpus, long memPerVcpuBytes, int readers, UffdSet.Scope uffdScope,
                               long fetchDelayNs, long seed, CostModel costs, boolean contents) {
        this(mode, vcpus, memPerVcpuBytes, readers, uffdScope, fetchDelayNs, seed, costs, contents, SimMmuConfig.NONE);
    }

    public FaultOptions faultOptions() {
        return new FaultOptions(mode, readers, uffdScope, internalAccessFraction, true);
    }

    /** This config with KVM making fraction {@code f} of the accesses itself (uffd+kvm-userfault only). */
    public SimFaultBenchConfig withInternalAccessFraction(double f) {
        return new SimFaultBenchConfig(mode, vcpus, memPerVcpuBytes, readers, uffdScope, fetchDelayNs, seed, costs, contents,
                mmu, f);
    }

    public long pagesPerVcpu() {
        return memPerVcpuBytes / GuestLayout.PAGE_SIZE_BYTES;
    }

    /** Readers per uffd as results report them: 0 when the mode has no uffd. */
    public int reportedReaders() {
        return mode.usesUffd() ? readers : 0;
    }
}
