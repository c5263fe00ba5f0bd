package org.postcopysim.dest;

import java.time.Duration;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.workload.Workload;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.VcpuCount;

/**
 * Everything the destination needs to run one migration.
 *
 * @param host                  source host to connect to
 * @param port                  source port
 * @param vcpus                 vCPU threads to run (count)
 * @param workload              what the vCPUs do
 * @param seed                  seed of the vCPUs' access streams
 * @param hugePageRecovery      rebuild 2 MiB mappings when USERFAULT is cleared (x86); false models arm64
 * @param accessesPerSecPerVcpu pace of each vCPU (accesses per second), 0 = as fast as it can
 * @param vcpuSpinNs            how long a blocked vCPU spins before parking (nanoseconds)
 * @param maxPageRetries        bad copies of one page re-requested before the migration stops
 * @param maxFrameBytes         largest frame accepted (bytes)
 * @param token                 migration token presented to the source (null = none)
 * @param connectTimeout        bound on connecting and on each handshake step
 * @param faults                the fault mode, uffd readers and scope, internal accesses, access partitioning
 * @param reliability           link-loss recovery, stall watchdog, fault injection and TLS
 * @param mmu                   private memory, the notify-on-upgrade variant and the host events
 *                              run during postcopy ({@link MmuSetup#NONE}: none)
 */
public record DestConfig(String host, int port, int vcpus, Workload workload, long seed, boolean hugePageRecovery,
                         long accessesPerSecPerVcpu, long vcpuSpinNs, int maxPageRetries, int maxFrameBytes,
                         String token, Duration connectTimeout, FaultOptions faults, Reliability reliability,
                         MmuSetup mmu) {
    public static final int DEFAULT_VCPUS = 4;
    public static final long DEFAULT_ACCESSES_PER_SEC_PER_VCPU = 1_000_000;
    public static final long DEFAULT_VCPU_SPIN_NS = 0;
    public static final int DEFAULT_MAX_PAGE_RETRIES = 3;
    public static final double DEFAULT_WRITE_FRACTION = 0.2;

    public DestConfig {
        VcpuCount.check(vcpus);
        if (accessesPerSecPerVcpu < 0) throw new IllegalArgumentException("access rate must not be negative");
        if (vcpuSpinNs < 0) throw new IllegalArgumentException("spin time must not be negative");
        FrameDescriptor.checkMaxFrameBytes(maxFrameBytes);
        if (faults == null) throw new IllegalArgumentException("fault options are required");
        if (reliability == null) throw new IllegalArgumentException("reliability settings are required");
        if (mmu == null) throw new IllegalArgumentException("MMU setup is required");
    }

    /** A configuration without private memory or host events. */
    public DestConfig(String host, int port, int vcpus, Workload workload, long seed, boolean hugePageRecovery,
                      long accessesPerSecPerVcpu, long vcpuSpinNs, int maxPageRetries, int maxFrameBytes,
                      String token, Duration connectTimeout, FaultOptions faults, Reliability reliability) {
        this(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs, maxPageRetries,
                maxFrameBytes, token, connectTimeout, faults, reliability, MmuSetup.NONE);
    }

    /** A configuration with the default fault options (KVM Userfault, overlapped access). */
    public DestConfig(String host, int port, int vcpus, Workload workload, long seed, boolean hugePageRecovery,
                      long accessesPerSecPerVcpu, long vcpuSpinNs, int maxPageRetries, int maxFrameBytes,
                      String token, Duration connectTimeout) {
        this(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs, maxPageRetries,
                maxFrameBytes, token, connectTimeout, FaultOptions.DEFAULT, Reliability.DEFAULT);
    }

    public DestConfig withReliability(Reliability r) {
        return new DestConfig(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, token, connectTimeout, faults, r, mmu);
    }

    public DestConfig withFaults(FaultOptions f) {
        return new DestConfig(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, token, connectTimeout, f, reliability, mmu);
    }

    /** Defaults: 4 vCPUs, uniform workload with 20% writes, seed 1, huge page recovery on. */
    public static DestConfig defaults(String host, int port) {
        return new DestConfig(host, port, DEFAULT_VCPUS, Workload.parse("uniform", DEFAULT_WRITE_FRACTION), 1, true,
                DEFAULT_ACCESSES_PER_SEC_PER_VCPU, DEFAULT_VCPU_SPIN_NS, DEFAULT_MAX_PAGE_RETRIES,
                FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, null, Duration.ofSeconds(30));
    }

    public DestConfig withVcpus(int n) {
        return new DestConfig(host, port, n, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, token, connectTimeout, faults, reliability, mmu);
    }

    public DestConfig withWorkload(Workload w) {
        return new DestConfig(host, port, vcpus, w, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, token, connectTimeout, faults, reliability, mmu);
    }

    public DestConfig withSeed(long s) {
        return new DestConfig(host, port, vcpus, workload, s, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, token, connectTimeout, faults, reliability, mmu);
    }

    public DestConfig withHugePageRecovery(boolean on) {
        return new DestConfig(host, port, vcpus, workload, seed, on, accessesPerSecPerVcpu, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, token, connectTimeout, faults, reliability, mmu);
    }

    public DestConfig withAccessesPerSecPerVcpu(long rate) {
        return new DestConfig(host, port, vcpus, workload, seed, hugePageRecovery, rate, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, token, connectTimeout, faults, reliability, mmu);
    }

    public DestConfig withVcpuSpinNs(long ns) {
        return new DestConfig(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, ns,
                maxPageRetries, maxFrameBytes, token, connectTimeout, faults, reliability, mmu);
    }

    public DestConfig withToken(String t) {
        return new DestConfig(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, t, connectTimeout, faults, reliability, mmu);
    }

    public DestConfig withMaxPageRetries(int n) {
        return new DestConfig(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                n, maxFrameBytes, token, connectTimeout, faults, reliability, mmu);
    }

    public DestConfig withMmu(MmuSetup m) {
        return new DestConfig(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                maxPageRetries, maxFrameBytes, token, connectTimeout, faults, reliability, m);
    }
}
