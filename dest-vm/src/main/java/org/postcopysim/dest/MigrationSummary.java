package org.postcopysim.dest;

import java.util.List;
import org.postcopysim.dest.metrics.Log2Buckets;
import org.postcopysim.dest.qmp.QueryMigrate;

/**
 * What one migration did, as the destination saw it; the CLI prints it and writes it as JSON.
 * Counts are pages or events; times carry their unit in the name. {@code migrationTimeMs} runs
 * from the vCPUs resuming on the destination to the last page present (the postcopy phase);
 * {@code setupMs} from the first connection to the resume (handshake, memory allocation).
 * {@code bytesTransferred} counts page contents received, duplicates included.
 *
 * <p>QEMU's postcopy metrics (kernel-background.md §7): {@code pageRequests},
 * {@code redundantFaults}, {@code duplicatePages} (EEXIST), {@code exitsPerVcpu};
 * {@code faultLatencyLog2Us}, the fault latencies in log2 microsecond buckets (non-empty ones,
 * ascending; see {@link Log2Buckets}); {@code blocktime}; {@code bytesPerPhase}.
 * {@code blockedNsTotal} is the sum of {@code blocktime.perVcpuNs}.
 *
 * <p>Postcopy recovery: {@code recoveries} counts links that dropped and were resumed;
 * {@code pausedMs} is the time spent paused (a pause still open at the end included);
 * {@code stalls} counts vCPU waits on one page longer than the stall timeout (the watchdog's).
 *
 * <p>{@code chaos}: the fault injection on the pages received ({@code --chaos}) and what it
 * injected, or null without it.
 *
 * <p>The fault path's configuration, as in fault-bench's result: {@code readers} (reader
 * threads per userfaultfd, 0 in a mode without one), {@code uffdScope} ("shared", "per-vcpu", ""
 * without a uffd), {@code access} ("partitioned", "overlapped") and {@code internalAccessFraction}.
 * The field names and nesting are those of docs/json.md, shared with fault-bench and compare.
 *
 * <p>{@code backend}: what backed guest memory and took the userfaultfd faults: "model" (the
 * simulated host) or "kernel" (an anonymous mapping registered with Linux's userfaultfd; uffd mode only).
 *
 * <p>{@code pagesMissing}: pages the destination did not hold when the migration ended (0 when
 * every page arrived); {@code missingGfnRanges} lists them as ranges of consecutive gfns, the
 * first 4096 ranges ({@code missingGfnRangesCut} true when there were more).
 *
 * <p>The background order (docs/migration.md): {@code backgroundOrder}, the order the source's
 * background stream sent pages in, as the source reported it with its verdict (null without a
 * verdict); {@code pagesTouched}, distinct pages the guest touched from the resume until every
 * page was present; {@code networkBoundFaults}, the pages the source first sent in answer to a
 * request, the background not having sent them (null without a verdict), and
 * {@code networkBoundFraction} their share of {@code pagesTouched} (null without a verdict); see
 * {@link org.postcopysim.dest.metrics.NetworkBoundFaults}.
 *
 * <p>Precopy (the source's {@code --precopy-rounds} or {@code --precopy-until}):
 * {@code precopyRounds} rounds ran, each in {@code precopyRoundStats}; {@code discardedPages}
 * pages were dirtied after they were last sent and dropped here at the switchover;
 * {@code sourceGuestWrites} guest writes the source's vCPUs made meanwhile. {@code downtimeMs}:
 * the guest stopped on the source until it resumed here (the source's part, as the Switchover
 * reports it, plus the time from the Switchover's arrival to the resume; one-way network latency
 * not counted). Without precopy the guest stops when the destination connects, so the downtime
 * covers the setup.
 *
 * <p>{@code streamPages}: the page copies each BACKGROUND stream delivered ({@code --streams},
 * by stream index; over all its links after a recovery), duplicates and bad copies included.
 *
 * <p>{@code queryMigrate}: the same run in the field names and units of QEMU's query-migrate
 * (see {@link QueryMigrate}; docs/migration.md maps each field to the counters above).
 */
public record MigrationSummary(
        String mode,
        String backend,
        boolean verified,
        String error,
        long seed,
        String workload,
        int vcpus,
        int readers,
        String uffdScope,
        String access,
        double internalAccessFraction,
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
        List<Log2Buckets.Bucket> faultLatencyLog2Us,
        long blockedNsTotal,
        Blocktime blocktime,
        long migrationTimeMs,
        long setupMs,
        long bytesTransferred,
        BytesPerPhase bytesPerPhase,
        String transport,
        long populates,
        long hostFaults,
        UffdStats uffd,
        long recoveries,
        long pausedMs,
        long stalls,
        String chaos,
        long pagesMissing,
        List<GfnRange> missingGfnRanges,
        boolean missingGfnRangesCut,
        Mmu mmu,
        String backgroundOrder,
        long pagesTouched,
        Long networkBoundFaults,
        Double networkBoundFraction,
        int precopyRounds,
        List<PrecopyRound> precopyRoundStats,
        long discardedPages,
        long sourceGuestWrites,
        long downtimeMs,
        long[] streamPages,
        QueryMigrate queryMigrate) {

    /**
     * The host side (docs/kvm-model.md): the host events run during postcopy and what they did
     * to KVM's MMU. {@code hostEventSpec} is the canonical spec ({@code --host-events}), null
     * without; {@code privatePages} the gfns private at the end; {@code refetchedArrivedPages}
     * must be 0 (a page that had arrived was never requested again); {@code reclaimedPopulates}
     * exit-on-missing exits on an arrived page the host had reclaimed, populated locally;
     * {@code pagesGivenUp} pages whose contents the guest gave up in a conversion (verified as
     * zero plus the guest's writes since); {@code upgradeZaps} and {@code upgradeRefaults} what the
     * notify-on-upgrade variant cost KVM (entries zapped by upgrade notifications, and the faults
     * that mapped them again); {@code reclaimFlushes} the "guest memory reclaimed" flushes
     * host-address events triggered, {@code reclaimFlushesSkipped} those skipped because every
     * private page lives in guest_memfd; {@code violations} the MMU invariants that did not hold
     * at the end (empty when all held).
     */
    public record Mmu(String hostEventSpec, double privateFraction, boolean notifyUpgrades, long privatePages,
                      long hostEvents, long invalidations, long stage2Zapped, long localRefaults,
                      long pfnCacheInvalidations, long pfnCacheRefreshes, long retriedFaults, long lazyUpgrades,
                      long refetchedArrivedPages, long reclaimedPopulates, long pagesGivenUp, long upgradeZaps,
                      long upgradeRefaults, long reclaimFlushes, long reclaimFlushesSkipped, List<String> violations) {}

    /** Guest frames {@code first} to {@code last}, both included. */
    public record GfnRange(long first, long last) {
        /** "0x82-0x84 0x87 ...": the first {@code shown} ranges of {@code ranges}, with " ..." when there are more. */
        public static String format(List<GfnRange> ranges, int shown) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < Math.min(shown, ranges.size()); i++) {
                GfnRange r = ranges.get(i);
                if (i > 0) b.append(' ');
                b.append("0x").append(Long.toHexString(r.first()));
                if (r.last() != r.first()) b.append("-0x").append(Long.toHexString(r.last()));
            }
            if (ranges.size() > shown) b.append(" ...");
            return b.toString();
        }
    }

    /**
     * Fault latency from exit to page present (nanoseconds). {@code min} is the lowest recorded (the
     * timer's 0th percentile, to its 2 significant digits), so a plot can start where the data does.
     */
    public record Latency(long count, long min, long p50, long p90, long p99, long p999, long max, long mean) {}

    /**
     * QEMU's postcopy blocktime (nanoseconds): time during which every vCPU was blocked on a
     * missing page at once, and each vCPU's time blocked (indexed by vCPU), counted from the
     * exit of a fault the vCPU had to wait for until its page was present.
     */
    public record Blocktime(long allVcpusNs, long[] perVcpuNs) {}

    /**
     * Page copies received per phase, as QEMU reports its bytes per phase, and their contents
     * (bytes): precopy (before the discard set was applied; 0 without precopy), downtime (from then,
     * or from the start without precopy, until the vCPUs resumed) and postcopy (since). Copies
     * count whatever became of them (installed, dropped as duplicates, failed their checksum), so
     * the three add up to every copy received and the bytes to {@code bytesTransferred}.
     */
    public record BytesPerPhase(long precopyBytes, long precopyPages, long downtimeBytes, long downtimePages,
                                long postcopyBytes, long postcopyPages) {}

    /**
     * One precopy round, as the source reported it: its number (1-based), the pages and PAGE_BATCH
     * bytes it sent, how long it took, and the pages the guest dirtied meanwhile that the next
     * round (or the discard) had to deal with, with that as a rate ({@code dirtyBytesPerSec}: those
     * pages' bytes over the round's time).
     */
    public record PrecopyRound(int round, long pagesSent, long bytesSent, long durationMs, long dirtiedPages,
                               long dirtyBytesPerSec) {}

    /**
     * The userfaultfd side of a run (uffd modes; zeros otherwise): faults that slept on a wait
     * queue, wakes and the waiters each wake visited (every sleeper, as the kernel's wake function
     * compares each one's address), reads by the reader threads, UFFDIO_COPY calls that found the
     * page mapped (EEXIST), and reader wake-ups caused by queued faults. On the kernel backend
     * the counts are the real userfaultfd's as user space sees them: {@code faultsSlept} and
     * {@code reads} are the fault messages read, {@code wakes} the UFFDIO_WAKE calls,
     * {@code pollerWakeups} the polls that returned readable, and {@code waitersVisitedPerWake}
     * is null (the kernel does not say how many sleepers a wake walked past).
     */
    public record UffdStats(long faultsSlept, long wakes, PerWake waitersVisitedPerWake, long reads, long eexist,
                            long pollerWakeups) {
        public static final UffdStats NONE = new UffdStats(0, 0, new PerWake(0, 0), 0, 0, 0);
    }

    /** Waiters one wake visited: the mean over every wake (0 with none) and the most. */
    public record PerWake(double mean, long max) {}

    /** The process exit code this summary deserves: 0 only for a verified migration. */
    public int exitCode() {
        return verified ? 0 : 1;
    }
}
