package org.postcopysim.dest.bench;

import java.util.List;
import org.postcopysim.dest.MigrationSummary;
import org.postcopysim.dest.metrics.Log2Buckets;

/**
 * What one fault benchmark run measured. Rates are pages per second; times carry their unit.
 * {@code pagesPerSecPerVcpu[i]} is vCPU i's pages touched over its own run time;
 * {@code pagesPerSecOverall} is every vCPU's pages over the wall time from the first start to
 * the last finish (demand_paging_test's two figures). {@code backend} says what ran the faults:
 * {@code model} (the simulated KVM and userfaultfd, real threads), {@code kernel} (Linux's
 * userfaultfd, host threads) or {@code sim} (the model in virtual time). The fields a migration summary has too
 * (mode, readers, uffdScope, faultLatencyNs, uffd, blocktime, ...) have its names and nesting
 * (docs/json.md).
 */
public record FaultBenchResult(
        String backend,
        String mode,
        int vcpus,
        int readers,
        String uffdScope,
        String access,
        long memPerVcpuBytes,
        long fetchDelayUs,
        double internalAccessFraction,
        long seed,
        boolean verified,
        String error,
        long pagesPerVcpu,
        long pagesTouched,
        double pagesPerSecOverall,
        double[] pagesPerSecPerVcpu,
        MigrationSummary.Latency faultLatencyNs,
        List<Log2Buckets.Bucket> faultLatencyLog2Us,
        long exits,
        long[] exitsPerVcpu,
        long hostFaults,
        long pagesInstalled,
        long redundantFaults,
        long populates,
        MigrationSummary.UffdStats uffd,
        MigrationSummary.Blocktime blocktime,
        long staleReads,
        long elapsedNs) {

    public int exitCode() {
        return verified ? 0 : 1;
    }
}
