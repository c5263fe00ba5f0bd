package org.postcopysim.dest;

import java.util.List;

/**
 * What one migration did, as the destination saw it; the CLI prints it and writes it as JSON.
 * Counts are pages or events; times carry their unit in the name. {@code migrationTimeMs} runs
 * from the vCPUs resuming on the destination to the last page present (the postcopy phase);
 * {@code setupMs} from the first connection to the resume (handshake, memory allocation).
 * {@code bytesTransferred} counts page contents received, duplicates included.
 */
public record MigrationSummary(
        String mode,
        boolean verified,
        String error,
        long seed,
        String workload,
        int vcpus,
        long guestBytes,
        int memslots,
        long pagesTotal,
        long pagesVerified,
        long pageMismatches,
        List<Long> mismatchedGfns,
        long demandFaults,
        long redundantFaults,
        long exits,
        long[] exitsPerVcpu,
        long backgroundPages,
        long demandPages,
        long duplicatePages,
        long crcFailures,
        long pageRequests,
        long guestReads,
        long guestWrites,
        long staleReads,
        long hugeMappingsRecovered,
        Latency faultLatencyNs,
        long blockedNsTotal,
        long migrationTimeMs,
        long setupMs,
        long bytesTransferred,
        String transport) {

    /** Fault latency from exit to page present (nanoseconds). */
    public record Latency(long count, long p50, long p90, long p99, long p999, long max, long mean) {}

    /** The process exit code this summary deserves: 0 only for a verified migration. */
    public int exitCode() {
        return verified ? 0 : 1;
    }
}
