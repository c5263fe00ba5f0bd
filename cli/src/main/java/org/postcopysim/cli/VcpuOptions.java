package org.postcopysim.cli;

import org.postcopysim.dest.DestConfig;
import org.postcopysim.guest.Workload;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The destination's vCPUs and what they run. */
public final class VcpuOptions {
    @Option(names = "--vcpus", paramLabel = "N", defaultValue = "4",
            description = "vCPU threads. Default: ${DEFAULT-VALUE}.")
    int vcpus;

    @Option(names = "--workload", paramLabel = "KIND", defaultValue = "uniform",
            description = "Access pattern: uniform, sequential, zipf[:theta] or hotset[:fraction[:probability]]. "
                    + "Default: ${DEFAULT-VALUE}.")
    String workload;

    @Option(names = "--write-fraction", paramLabel = "F", defaultValue = "0.2",
            description = "Fraction of accesses that write (0..1). Default: ${DEFAULT-VALUE}.")
    double writeFraction;

    @Option(names = "--access-rate", paramLabel = "PER_SEC", defaultValue = "1000000",
            description = "Guest accesses per second per vCPU; 0 = as fast as the thread can. Default: ${DEFAULT-VALUE}.")
    long accessRate;

    @Option(names = "--no-huge-recovery", negatable = false,
            description = "Do not rebuild 2 MiB mappings when KVM_MEM_USERFAULT is cleared (models arm64).")
    boolean noHugeRecovery;

    @Option(names = "--vcpu-spin-us", paramLabel = "US", defaultValue = "0",
            description = "Microseconds a blocked vCPU spins before it parks. Default: ${DEFAULT-VALUE}.")
    long spinUs;

    @Option(names = "--page-retries", paramLabel = "N", defaultValue = "3",
            description = "Times a page whose copy fails its CRC32C is re-requested before the migration stops. "
                    + "Default: ${DEFAULT-VALUE}.")
    int pageRetries;

    /**
     * Checks every value as the destination will, so that a bad one is a usage error (exit 2) and
     * {@code demo} fails before it starts a process.
     */
    void validate(CommandLine cl) {
        DestConfig d = DestConfig.defaults("127.0.0.1", 0);
        OptionCheck.check(cl, "--workload", () -> Workload.parse(workload, DestConfig.DEFAULT_WRITE_FRACTION));
        OptionCheck.check(cl, "--write-fraction", () -> Workload.parse("uniform", writeFraction));
        OptionCheck.check(cl, "--vcpus", () -> d.toBuilder().vcpus(vcpus).build());
        OptionCheck.check(cl, "--access-rate", () -> d.toBuilder().accessesPerSecPerVcpu(accessRate).build());
        OptionCheck.check(cl, "--vcpu-spin-us", () -> {
            if (spinUs > Long.MAX_VALUE / 1000) throw new IllegalArgumentException("spin time too large: " + spinUs + " us");
            d.toBuilder().vcpuSpinNs(spinUs * 1000).build();
        });
        OptionCheck.check(cl, "--page-retries", () -> {
            if (pageRetries < 0) throw new IllegalArgumentException("page retries must not be negative, got " + pageRetries);
        });
    }

    /** {@code config} with these options and {@code seed} for the vCPUs' access streams. */
    DestConfig.Builder apply(DestConfig.Builder config, long seed) {
        return config.vcpus(vcpus).workload(Workload.parse(workload, writeFraction)).seed(seed)
                .hugePageRecovery(!noHugeRecovery).accessesPerSecPerVcpu(accessRate).vcpuSpinNs(spinUs * 1000)
                .maxPageRetries(pageRetries);
    }
}
