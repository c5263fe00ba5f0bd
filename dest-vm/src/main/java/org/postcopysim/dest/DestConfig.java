package org.postcopysim.dest;

import java.time.Duration;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.guest.Workload;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.StreamCount;
import org.postcopysim.protocol.VcpuCount;
import org.postcopysim.protocol.sched.StreamPriority;

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
 * @param streams               BACKGROUND connections to open (count, 1..{@link StreamCount#MAX}):
 *                              QEMU's multifd channels
 * @param streamPriority        how much lower the event loops that carry only BACKGROUND streams run
 *                              ({@link StreamPriority}; niceness 10 by default, {@link
 *                              StreamPriority#OFF} = as every other thread)
 */
public record DestConfig(String host, int port, int vcpus, Workload workload, long seed, boolean hugePageRecovery,
                         long accessesPerSecPerVcpu, long vcpuSpinNs, int maxPageRetries, int maxFrameBytes,
                         String token, Duration connectTimeout, FaultOptions faults, Reliability reliability,
                         MmuSetup mmu, int streams, StreamPriority streamPriority) {
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
        StreamCount.check(streams);
        if (streamPriority == null) throw new IllegalArgumentException("stream priority is required");
    }

    /** Defaults: 4 vCPUs, uniform workload with 20% writes, seed 1, huge page recovery on. */
    public static DestConfig defaults(String host, int port) {
        return builder(host, port).build();
    }

    /** A builder holding the {@link #defaults} for the source at {@code host}:{@code port}. */
    public static Builder builder(String host, int port) {
        return new Builder(host, port);
    }

    /** A builder holding this configuration. */
    public Builder toBuilder() {
        return new Builder(host, port)
                .vcpus(vcpus).workload(workload).seed(seed).hugePageRecovery(hugePageRecovery)
                .accessesPerSecPerVcpu(accessesPerSecPerVcpu).vcpuSpinNs(vcpuSpinNs).maxPageRetries(maxPageRetries)
                .maxFrameBytes(maxFrameBytes).token(token).connectTimeout(connectTimeout).faults(faults)
                .reliability(reliability).mmu(mmu).streams(streams).streamPriority(streamPriority);
    }

    /**
     * Sets the components one at a time, in any order; {@link #build} checks them all at once as
     * the record's constructor does. Starts from the {@link #defaults}.
     */
    public static final class Builder {
        private String host;
        private int port;
        private int vcpus = DEFAULT_VCPUS;
        private Workload workload = Workload.parse("uniform", DEFAULT_WRITE_FRACTION);
        private long seed = 1;
        private boolean hugePageRecovery = true;
        private long accessesPerSecPerVcpu = DEFAULT_ACCESSES_PER_SEC_PER_VCPU;
        private long vcpuSpinNs = DEFAULT_VCPU_SPIN_NS;
        private int maxPageRetries = DEFAULT_MAX_PAGE_RETRIES;
        private int maxFrameBytes = FrameDescriptor.DEFAULT_MAX_FRAME_BYTES;
        private String token = null;
        private Duration connectTimeout = Duration.ofSeconds(30);
        private FaultOptions faults = FaultOptions.DEFAULT;
        private Reliability reliability = Reliability.DEFAULT;
        private MmuSetup mmu = MmuSetup.NONE;
        private int streams = 1;
        private StreamPriority streamPriority = StreamPriority.of(StreamPriority.DEFAULT_NICE);

        private Builder(String host, int port) {
            this.host = host;
            this.port = port;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder vcpus(int vcpus) {
            this.vcpus = vcpus;
            return this;
        }

        public Builder workload(Workload workload) {
            this.workload = workload;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder hugePageRecovery(boolean hugePageRecovery) {
            this.hugePageRecovery = hugePageRecovery;
            return this;
        }

        public Builder accessesPerSecPerVcpu(long accessesPerSecPerVcpu) {
            this.accessesPerSecPerVcpu = accessesPerSecPerVcpu;
            return this;
        }

        public Builder vcpuSpinNs(long vcpuSpinNs) {
            this.vcpuSpinNs = vcpuSpinNs;
            return this;
        }

        public Builder maxPageRetries(int maxPageRetries) {
            this.maxPageRetries = maxPageRetries;
            return this;
        }

        public Builder maxFrameBytes(int maxFrameBytes) {
            this.maxFrameBytes = maxFrameBytes;
            return this;
        }

        public Builder token(String token) {
            this.token = token;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder faults(FaultOptions faults) {
            this.faults = faults;
            return this;
        }

        public Builder reliability(Reliability reliability) {
            this.reliability = reliability;
            return this;
        }

        public Builder mmu(MmuSetup mmu) {
            this.mmu = mmu;
            return this;
        }

        public Builder streams(int streams) {
            this.streams = streams;
            return this;
        }

        public Builder streamPriority(StreamPriority streamPriority) {
            this.streamPriority = streamPriority;
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IllegalArgumentException as the record's constructor does
         */
        public DestConfig build() {
            return new DestConfig(host, port, vcpus, workload, seed, hugePageRecovery, accessesPerSecPerVcpu, vcpuSpinNs,
                    maxPageRetries, maxFrameBytes, token, connectTimeout, faults, reliability, mmu, streams,
                    streamPriority);
        }
    }
}
