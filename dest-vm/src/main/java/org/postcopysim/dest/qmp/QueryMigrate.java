package org.postcopysim.dest.qmp;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.OptionalLong;
import org.postcopysim.dest.metrics.Log2Buckets;

/**
 * One migration in the vocabulary of QEMU's {@code query-migrate}: its field names (the JSON
 * names below), its units and its meanings, computed from what this run measured (docs/migration.md
 * maps each field to its counter). Times are milliseconds ({@code total-time}, {@code downtime},
 * {@code setup-time}, the blocktimes), latencies nanoseconds, {@code mbps} megabits (10^6 bits)
 * per second, byte counts bytes; {@code postcopy-latency-dist} has QEMU's 24 log2 microsecond
 * buckets ({@link QemuLatencyDist}). Built once, at the end of a run, by {@link #of}.
 *
 * @param status                 {@link MigrationStatus#COMPLETED} or {@link MigrationStatus#FAILED} in a finished run
 * @param errorDesc              why it failed; absent from the JSON when it completed
 * @param totalTimeMs            from the start of the run to its end (ms)
 * @param downtimeMs             from the guest stopping on the source to its vCPUs resuming here (ms);
 *                               absent from the JSON when the vCPUs never resumed
 * @param setupTimeMs            from the start to the first phase that moves guest state (ms)
 * @param ram                    the page counters
 * @param postcopyBlocktimeMs    time every vCPU was blocked on a missing page at once (ms)
 * @param postcopyVcpuBlocktimeMs time each vCPU was blocked (ms, by vCPU index)
 * @param postcopyLatencyNs      mean latency of the faults that waited for a page from the source (ns)
 * @param postcopyLatencyDist    those faults per log2 microsecond bucket (24 counts)
 * @param postcopyVcpuLatencyNs  the mean per vCPU (ns, by vCPU index; 0 for a vCPU without such a fault)
 * @param postcopyNonVcpuLatencyNs the mean over faults of threads other than vCPUs (ns)
 */
public record QueryMigrate(
        @JsonProperty("status") MigrationStatus status,
        @JsonProperty("error-desc") @JsonInclude(JsonInclude.Include.NON_NULL) String errorDesc,
        @JsonProperty("total-time") long totalTimeMs,
        @JsonProperty("downtime") @JsonInclude(JsonInclude.Include.NON_NULL) Long downtimeMs,
        @JsonProperty("setup-time") long setupTimeMs,
        @JsonProperty("ram") Ram ram,
        @JsonProperty("postcopy-blocktime") long postcopyBlocktimeMs,
        @JsonProperty("postcopy-vcpu-blocktime") long[] postcopyVcpuBlocktimeMs,
        @JsonProperty("postcopy-latency") long postcopyLatencyNs,
        @JsonProperty("postcopy-latency-dist") long[] postcopyLatencyDist,
        @JsonProperty("postcopy-vcpu-latency") long[] postcopyVcpuLatencyNs,
        @JsonProperty("postcopy-non-vcpu-latency") long postcopyNonVcpuLatencyNs) {

    private static final long NS_PER_MS = 1_000_000;

    /**
     * QEMU's RAM counters ({@code MigrationStats}), as the destination received them.
     *
     * @param transferred      bytes moved in all phases: precopy + downtime + postcopy bytes
     * @param remaining        bytes of the pages not present at the end (0 when every page arrived)
     * @param total            bytes of guest memory
     * @param duplicate        zero pages sent as such (without contents)
     * @param normal           pages sent with their contents (every copy received, duplicates included)
     * @param normalBytes      their contents (bytes)
     * @param dirtySyncCount   synchronizations of the dirty bitmap
     * @param postcopyRequests page requests sent to the source
     * @param pageSize         bytes per page
     * @param precopyBytes     bytes received while the guest ran on the source
     * @param downtimeBytes    bytes received while the guest ran nowhere
     * @param postcopyBytes    bytes received while the guest ran here
     * @param multifdBytes     bytes of the page frames the BACKGROUND streams delivered when there are several
     *                         (QEMU's multifd channels, which carry every page of a multifd migration); 0 with one
     * @param mbps             transferred over the transfer time (total-time minus setup-time), megabits per second
     * @param pagesPerSecond   pages (normal and duplicate) over the same time
     */
    public record Ram(
            @JsonProperty("transferred") long transferred,
            @JsonProperty("remaining") long remaining,
            @JsonProperty("total") long total,
            @JsonProperty("duplicate") long duplicate,
            @JsonProperty("normal") long normal,
            @JsonProperty("normal-bytes") long normalBytes,
            @JsonProperty("dirty-sync-count") long dirtySyncCount,
            @JsonProperty("postcopy-requests") long postcopyRequests,
            @JsonProperty("page-size") long pageSize,
            @JsonProperty("precopy-bytes") long precopyBytes,
            @JsonProperty("downtime-bytes") long downtimeBytes,
            @JsonProperty("postcopy-bytes") long postcopyBytes,
            @JsonProperty("multifd-bytes") long multifdBytes,
            @JsonProperty("mbps") double mbps,
            @JsonProperty("pages-per-second") long pagesPerSecond) {}

    /**
     * The run's times (nanoseconds, one clock). {@code setupNs} runs from the start to the first
     * phase that moves guest state (today the guest stopping: no precopy runs; a precopy phase
     * would end setup where its first round starts), and is at most {@code totalNs};
     * {@code downtimeNs} from the guest stopping on the source to the vCPUs resuming here, empty
     * when they never resumed.
     */
    public record Times(long totalNs, long setupNs, OptionalLong downtimeNs) {
        public Times {
            if (totalNs < 0 || setupNs < 0 || setupNs > totalNs) {
                throw new IllegalArgumentException("setup " + setupNs + " ns of a run of " + totalNs + " ns");
            }
        }
    }

    /**
     * What was moved, counted where it was received. {@code normalPages}: every page copy
     * received with its contents (installed, dropped as a duplicate, or failing its checksum);
     * {@code normalBytes}: those contents; {@code zeroPages}: pages sent as "zero" without
     * contents; {@code pagesMissing}: pages not present at the end.
     */
    public record Transfer(long guestBytes, long pageSizeBytes, long pagesMissing, long normalPages, long normalBytes,
                           long zeroPages, long pageRequests) {}

    /**
     * The counters of the migration's phases and streams: the one place where precopy rounds and
     * parallel streams report to QEMU's fields. {@code dirtySyncCount}: synchronizations of the
     * dirty bitmap (one per precopy round); {@code multifdBytes}: page-frame bytes over the BACKGROUND streams when there are several, else 0.
     */
    public record Phases(long precopyBytes, long downtimeBytes, long postcopyBytes, long multifdBytes,
                         long dirtySyncCount) {}

    /**
     * The faults that waited for a page from the source, and the blocktime (nanoseconds).
     * {@code vcpuLatencyNs[v]} sums the latencies of vCPU v's {@code vcpuFaults[v]} such faults;
     * {@code nonVcpuLatencyNs} and {@code nonVcpuFaults} are those of other threads;
     * {@code latencyLog2Us} the same latencies in the timer's log2 buckets.
     */
    public record Faults(long allVcpusBlockedNs, long[] vcpuBlockedNs, long[] vcpuLatencyNs, long[] vcpuFaults,
                         long nonVcpuLatencyNs, long nonVcpuFaults, List<Log2Buckets.Bucket> latencyLog2Us) {
        public Faults {
            if (vcpuBlockedNs.length != vcpuLatencyNs.length || vcpuLatencyNs.length != vcpuFaults.length) {
                throw new IllegalArgumentException("per-vCPU arrays of " + vcpuBlockedNs.length + ", "
                        + vcpuLatencyNs.length + " and " + vcpuFaults.length + " vCPUs");
            }
        }
    }

    /** QEMU's fields from the run's measurements, converted to QEMU's units. */
    public static QueryMigrate of(MigrationStatus status, String error, Times times, Transfer transfer, Phases phases,
                                  Faults faults) {
        long transferred = phases.precopyBytes() + phases.downtimeBytes() + phases.postcopyBytes();
        long pages = transfer.normalPages() + transfer.zeroPages();
        long transferNs = times.totalNs() - times.setupNs();
        Ram ram = new Ram(transferred, transfer.pagesMissing() * transfer.pageSizeBytes(), transfer.guestBytes(),
                transfer.zeroPages(), transfer.normalPages(), transfer.normalBytes(), phases.dirtySyncCount(),
                transfer.pageRequests(), transfer.pageSizeBytes(), phases.precopyBytes(), phases.downtimeBytes(),
                phases.postcopyBytes(), phases.multifdBytes(), megabitsPerSecond(transferred, transferNs),
                transferNs == 0 ? 0 : (long) (pages * 1e9 / transferNs));
        int vcpus = faults.vcpuFaults().length;
        long[] blocktimeMs = new long[vcpus];
        long[] vcpuLatency = new long[vcpus];
        long latencyNs = faults.nonVcpuLatencyNs();
        long count = faults.nonVcpuFaults();
        for (int v = 0; v < vcpus; v++) {
            blocktimeMs[v] = faults.vcpuBlockedNs()[v] / NS_PER_MS;
            vcpuLatency[v] = mean(faults.vcpuLatencyNs()[v], faults.vcpuFaults()[v]);
            latencyNs += faults.vcpuLatencyNs()[v];
            count += faults.vcpuFaults()[v];
        }
        return new QueryMigrate(status, status == MigrationStatus.COMPLETED ? null : error,
                times.totalNs() / NS_PER_MS,
                times.downtimeNs().isPresent() ? times.downtimeNs().getAsLong() / NS_PER_MS : null,
                times.setupNs() / NS_PER_MS, ram, faults.allVcpusBlockedNs() / NS_PER_MS, blocktimeMs,
                mean(latencyNs, count), QemuLatencyDist.of(faults.latencyLog2Us()), vcpuLatency,
                mean(faults.nonVcpuLatencyNs(), faults.nonVcpuFaults()));
    }

    /** {@code bytes} over {@code ns} in megabits (10^6 bits) per second; 0 over no time. */
    static double megabitsPerSecond(long bytes, long ns) {
        return ns == 0 ? 0 : bytes * 8e3 / ns;
    }

    private static long mean(long totalNs, long count) {
        return count == 0 ? 0 : totalNs / count;
    }
}
