package org.postcopysim.dest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.metrics.BlocktimeTracker;
import org.postcopysim.dest.metrics.Log2Buckets;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.qmp.MigrationStatus;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.dest.metrics.LatencyRecorder;

/**
 * The destination's meters, every one named {@code postcopy.dest.*} (Prometheus:
 * {@code postcopy_dest_*}; docs/metrics.md lists them all). Fault latency is a timer with
 * client-side percentiles (Micrometer keeps them in an HdrHistogram) and QEMU's log2 microsecond
 * buckets as service level objectives ({@link Log2Buckets}; Prometheus scrapes them as
 * {@code postcopy_dest_fault_latency_seconds_bucket}); the rest are counters and gauges.
 * Per-vCPU counts are function counters over each vCPU's own single-writer fields, so the access
 * loop pays nothing for them and a scrape sees them live; blocktime comes from the
 * {@link BlocktimeTracker} the same way. The summary reads from here.
 *
 * <p>A meter holds the object it reads weakly; these hold theirs strongly, so that a scrape after
 * the migration (the CLI's {@code --metrics-linger}) reads its final values, not NaN once the
 * migration's objects were collected.
 */
public final class DestMetrics {
    public static final String FAULT_LATENCY = "postcopy.dest.fault.latency";
    /**
     * The fault latency percentiles as a Prometheus summary ({@code quantile} label), read from
     * {@link #FAULT_LATENCY}'s snapshot at scrape time. Not a Micrometer meter: a timer with
     * histogram buckets is scraped as a histogram only, so the CLI's Prometheus endpoint publishes
     * this one itself.
     */
    public static final String FAULT_LATENCY_QUANTILES = "postcopy.dest.fault.latency.quantiles";
    public static final String PAGES_INSTALLED = "postcopy.dest.pages.installed";
    public static final String DEMAND_FAULTS = "postcopy.dest.demand.faults";
    public static final String REDUNDANT_FAULTS = "postcopy.dest.redundant.faults";
    /** Memory-fault exits, one series per vCPU (tag {@code vcpu}); their sum is the exits of the run. */
    public static final String EXITS = "postcopy.dest.vcpu.exits";
    public static final String STALE_READS = "postcopy.dest.guest.stale.reads";
    public static final String GUEST_READS = "postcopy.dest.guest.reads";
    public static final String GUEST_WRITES = "postcopy.dest.guest.writes";
    public static final String PAGES_PRESENT = "postcopy.dest.pages.present";
    public static final String PAGES_TOTAL = "postcopy.dest.guest.pages";
    public static final String PAGE_REQUESTS = "postcopy.dest.page.requests";
    public static final String POPULATES = "postcopy.dest.populated.faults";
    public static final String HOST_FAULTS = "postcopy.dest.uffd.faults";
    public static final String UFFD_WAKES = "postcopy.dest.uffd.wakes";
    public static final String UFFD_WAITERS_VISITED = "postcopy.dest.uffd.waiters.visited";
    public static final String UFFD_EEXIST = "postcopy.dest.uffd.copy.eexist";
    public static final String DUPLICATE_PAGES = "postcopy.dest.duplicate.pages";
    public static final String CRC_FAILURES = "postcopy.dest.crc.failures";
    /** Time all vCPUs were blocked at once (seconds, function counter). */
    public static final String BLOCKTIME_ALL = "postcopy.dest.all.vcpus.blocked";
    /** Time one vCPU was blocked on missing pages (seconds, function counter tagged {@code vcpu}). */
    public static final String BLOCKTIME_VCPU = "postcopy.dest.vcpu.blocked";
    /** vCPUs blocked on a missing page right now (gauge). */
    public static final String VCPUS_BLOCKED = "postcopy.dest.blocked.vcpus";
    public static final String PAGES_TOUCHED = "postcopy.dest.guest.pages.touched";
    /** Page contents received per migration phase (bytes, counter tagged {@code phase}: precopy, downtime, postcopy). */
    public static final String RECEIVED_BYTES = "postcopy.dest.received";
    /** Page contents received in every phase, duplicates included (bytes, counter). */
    public static final String RECEIVED_PAGE_BYTES = "postcopy.dest.received.page";
    /** Link recoveries completed: the link dropped, the migration paused and resumed (counter). */
    public static final String RECOVERIES = "postcopy.dest.recoveries";
    /** Times the link dropped and the migration paused (counter). */
    public static final String PAUSES = "postcopy.dest.pauses";
    /** Whether the migration is paused right now (gauge, 0 or 1). */
    public static final String PAUSED = "postcopy.dest.paused";
    /** Time the migration spent paused, the current pause included (seconds, function counter; the unit is in the name). */
    public static final String PAUSED_TIME = "postcopy.dest.paused.seconds";
    /**
     * The migration's status by QEMU's names (gauge tagged {@code status}, one series per
     * {@link MigrationStatus}): 1 for the current status, 0 for the others.
     */
    public static final String STATUS = "postcopy.dest.migration.status";
    /** vCPUs reported by the watchdog as blocked on one page longer than the stall timeout (counter, once per wait). */
    public static final String STALLS = "postcopy.dest.vcpu.stalls";
    /** Host events and what they did to KVM's MMU (docs/kvm-model.md), by the summary's names. */
    public static final String HOST_EVENTS = "postcopy.dest.host.events";
    public static final String INVALIDATIONS = "postcopy.dest.invalidations";
    public static final String STAGE2_ZAPPED = "postcopy.dest.stage2.zapped";
    public static final String LOCAL_REFAULTS = "postcopy.dest.local.refaults";
    public static final String PFN_CACHE_INVALIDATIONS = "postcopy.dest.pfn.cache.invalidations";
    public static final String PFN_CACHE_REFRESHES = "postcopy.dest.pfn.cache.refreshes";
    public static final String RETRIED_FAULTS = "postcopy.dest.retried.faults";
    public static final String LAZY_UPGRADES = "postcopy.dest.lazy.upgrades";
    public static final String REFETCHED_ARRIVED_PAGES = "postcopy.dest.refetched.arrived.pages";
    /**
     * The percentiles of {@link #FAULT_LATENCY} (the summary's and {@link #FAULT_LATENCY_QUANTILES}'):
     * the 0th is the lowest latency recorded.
     */
    public static final double[] PERCENTILES = {0, 0.5, 0.9, 0.99, 0.999};
    static final String RECEIVED_BYTES_HELP = "page contents received in one phase of the migration";

    final MeterRegistry registry;
    final Timer faultLatency;
    private final LatencyRecorder latencyRecorder;
    final Counter backgroundPages;
    final Counter demandPages;
    final Counter duplicatePages;
    final Counter crcFailures;
    final Counter bytesReceived;
    final Counter recoveries;
    final Counter pauses;
    final Counter stalls;
    /** Page copies and contents bytes received when precopy ended and when the vCPUs resumed ({pages, bytes}; null before). */
    private volatile long[] atPrecopyEnd;
    private volatile long[] atResume;
    /** The userfaultfds of a uffd mode, once set up; null before and in the other modes (the counts read 0). */
    private volatile UffdSet uffds;

    public DestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.faultLatency = Timer.builder(FAULT_LATENCY)
                .description("time a vCPU is blocked from a memory-fault exit to the page being present")
                .publishPercentiles(PERCENTILES)
                .percentilePrecision(2)
                .serviceLevelObjectives(Log2Buckets.serviceLevelObjectives())
                // keep every sample of a migration in the percentiles, not a two-minute window
                .distributionStatisticExpiry(Duration.ofDays(1))
                .distributionStatisticBufferLength(1)
                .register(registry);
        Timer timer = faultLatency;
        this.latencyRecorder = ns -> timer.record(ns, TimeUnit.NANOSECONDS);
        this.backgroundPages = pagesInstalled("background");
        this.demandPages = pagesInstalled("demand");
        this.duplicatePages = counter(DUPLICATE_PAGES, "copies dropped because the page was present (EEXIST)");
        this.crcFailures = counter(CRC_FAILURES, "copies whose CRC32C did not match");
        // Every page's contents count here; the phases split them at the end of precopy and at the resume.
        this.bytesReceived = Counter.builder(RECEIVED_PAGE_BYTES)
                .description("page contents received in every phase, duplicates included").baseUnit("bytes").register(registry);
        phaseBytes("precopy", MigrationSummary.BytesPerPhase::precopyBytes);
        phaseBytes("downtime", MigrationSummary.BytesPerPhase::downtimeBytes);
        phaseBytes("postcopy", MigrationSummary.BytesPerPhase::postcopyBytes);
        this.recoveries = counter(RECOVERIES, "times the migration resumed after a dropped link");
        this.pauses = counter(PAUSES, "times a dropped link paused the migration");
        this.stalls = counter(STALLS, "vCPU waits on one missing page longer than the stall timeout");
        uffdCount(UFFD_WAKES, "wakes of userfaultfd wait queues (uffd modes; 0 in the others)", UffdSet::wakes);
        uffdCount(UFFD_WAITERS_VISITED, "sleeping waiters visited by wakes; each wake visits every sleeper "
                + "(uffd modes; 0 in the others)", UffdSet::waitersVisited);
        uffdCount(UFFD_EEXIST, "UFFDIO_COPY calls that found the page already mapped (uffd modes; 0 in the others)",
                UffdSet::eexistCount);
    }

    /** Registers the vCPUs' counts (sums, and exits per vCPU) as function counters. */
    void bindVcpus(List<VcpuCounters> runners) {
        vcpuSum(DEMAND_FAULTS, "faults that sent a page request", runners, c -> c.demandFaults);
        vcpuSum(REDUNDANT_FAULTS, "faults that joined a request already in flight", runners, c -> c.redundantFaults);
        vcpuSum(STALE_READS, "guest reads that saw contents other than the source's", runners, c -> c.staleReads);
        vcpuSum(GUEST_READS, "guest reads, each checked against the source's contents", runners, c -> c.reads);
        vcpuSum(GUEST_WRITES, "guest writes", runners, c -> c.writes);
        vcpuSum(POPULATES, "exit-on-missing faults on pages another party installed (populated, not copied)", runners,
                c -> c.populates);
        vcpuSum(HOST_FAULTS, "accesses that faulted in the host and went to a userfaultfd", runners, c -> c.hostFaults);
        for (int v = 0; v < runners.size(); v++) {
            VcpuCounters r = runners.get(v);
            FunctionCounter.builder(EXITS, r, held(r, x -> x.exits))
                    .description("KVM_EXIT_MEMORY_FAULT exits of one vCPU")
                    .tag("vcpu", Integer.toString(v))
                    .register(registry);
        }
    }

    /** Makes the userfaultfd counts (wakes, waiters visited by them, EEXIST copies) read {@code uffd}'s. */
    void bindUffd(org.postcopysim.dest.fault.UffdPaths uffd) {
        this.uffds = uffd.uffds();
    }

    /** Registers pages present and total as gauges, and page requests sent as a counter. */
    void bindPages(PageInstaller installer, DemandFetcher fetcher) {
        Gauge.builder(PAGES_PRESENT, installer, PageInstaller::presentPages).strongReference(true)
                .description("pages present on the destination").register(registry);
        Gauge.builder(PAGES_TOTAL, installer, PageInstaller::totalPages).strongReference(true)
                .description("pages of the guest").register(registry);
        FunctionCounter.builder(PAGE_REQUESTS, fetcher, held(fetcher, DemandFetcher::requestsSent))
                .description("page requests sent to the source").register(registry);
    }

    /** Registers the host-event and MMU counters of {@code model} (zeros without host events). */
    void bindMmu(DestModel model) {
        mmuCounter(HOST_EVENTS, model, DestModel::hostEvents,
                "host events (reclaim, page migration, protection changes, conversions) run against the guest");
        mmuCounter(INVALIDATIONS, model, DestModel::invalidations,
                "mmu_notifier invalidate_range_start calls");
        mmuCounter(STAGE2_ZAPPED, model, DestModel::stage2Zapped,
                "stage-2 entries zapped by invalidations");
        mmuCounter(LOCAL_REFAULTS, model, DestModel::localRefaults,
                "faults that mapped an arrived page again after an invalidation, without an exit or a request");
        mmuCounter(PFN_CACHE_INVALIDATIONS, model, DestModel::pfnCacheInvalidations,
                "valid gfn-to-pfn cache entries invalidated in invalidate_range_start");
        mmuCounter(PFN_CACHE_REFRESHES, model, DestModel::pfnCacheRefreshes,
                "gfn-to-pfn cache refreshes");
        mmuCounter(RETRIED_FAULTS, model, DestModel::retriedFaults,
                "stage-2 faults retried because an invalidation began or was in progress");
        mmuCounter(LAZY_UPGRADES, model, DestModel::lazyUpgrades,
                "read-only stage-2 entries made writable on a write fault, without a notification");
        mmuCounter(REFETCHED_ARRIVED_PAGES, model, DestModel::refetchedArrivedPages,
                "page requests for pages that had arrived (must stay 0)");
    }

    /**
     * Registers the distinct pages the guest touched as a gauge: the denominator of Hines and
     * Gopalan's network-bound fault fraction, whose numerator the source counts (a scrape can take
     * the demand connection's installs as the destination's view of it).
     */
    void bindTouched(DestModel model) {
        Gauge.builder(PAGES_TOUCHED, model, DestModel::pagesTouched).strongReference(true)
                .description("distinct pages the guest's accesses touched so far").register(registry);
    }

    private void mmuCounter(String name, DestModel model,
                            ToLongFunction<DestModel> f, String description) {
        FunctionCounter.builder(name, model, held(model, m -> f.applyAsLong(m))).description(description).register(registry);
    }

    /** Registers the time all vCPUs were blocked at once, each vCPU's, and how many are blocked now. */
    void bindBlocktime(BlocktimeTracker tracker) {
        FunctionCounter.builder(BLOCKTIME_ALL, tracker, held(tracker, t -> t.allBlockedNs(System.nanoTime()) / 1e9))
                .description("time all vCPUs were blocked on missing pages at once (QEMU's postcopy blocktime)")
                .baseUnit("seconds")
                .register(registry);
        for (int v = 0; v < tracker.vcpus(); v++) {
            int vcpu = v;
            FunctionCounter.builder(BLOCKTIME_VCPU, tracker, held(tracker, t -> t.vcpuBlockedNs(vcpu, System.nanoTime()) / 1e9))
                    .description("time one vCPU was blocked on missing pages")
                    .baseUnit("seconds")
                    .tag("vcpu", Integer.toString(v))
                    .register(registry);
        }
        Gauge.builder(VCPUS_BLOCKED, tracker, BlocktimeTracker::blockedVcpus).strongReference(true)
                .description("vCPUs blocked on a missing page right now").register(registry);
    }

    /** Registers whether the migration is paused and the time paused so far (nanoseconds from {@code pausedNs}). */
    <T> void bindPaused(T state, java.util.function.Predicate<T> paused, ToLongFunction<T> pausedNs) {
        Gauge.builder(PAUSED, state, x -> paused.test(x) ? 1 : 0).strongReference(true)
                .description("1 while the migration is paused waiting for the source to come back").register(registry);
        FunctionCounter.builder(PAUSED_TIME, state, held(state, x -> pausedNs.applyAsLong(x) / 1e9))
                .description("time the migration spent paused after dropped links, in seconds").register(registry);
    }

    /** Registers the migration's status as one 0/1 gauge per QEMU status, read from {@code status} at each scrape. */
    <T> void bindStatus(T state, java.util.function.Function<T, MigrationStatus> status) {
        for (MigrationStatus s : MigrationStatus.values()) {
            Gauge.builder(STATUS, state, x -> status.apply(x) == s ? 1 : 0).strongReference(true)
                    .description("1 for the migration's current status (QEMU's names), 0 for the others")
                    .tag("status", s.qemuName())
                    .register(registry);
        }
    }

    /** Page copies received so far (installed, duplicates and bad copies) and their contents bytes: {pages, bytes}. */
    private long[] received() {
        return new long[] {count(backgroundPages) + count(demandPages) + count(duplicatePages) + count(crcFailures),
            count(bytesReceived)};
    }

    /** Page contents received so far, every phase (bytes). */
    long pageBytesReceived() {
        return count(bytesReceived);
    }

    /** Precopy is over (the discard set applied): what arrived so far was precopy's. */
    void markPrecopyEnd() {
        atPrecopyEnd = received();
    }

    /** The vCPUs resume: what arrived since precopy ended (or since the start) was the downtime's. */
    void markResume() {
        atResume = received();
    }

    /**
     * Page copies and their contents received per phase: precopy (before the discard set was
     * applied; nothing without precopy), downtime (from then until the vCPUs resumed), postcopy
     * (since). The three add up to every copy received.
     */
    MigrationSummary.BytesPerPhase bytesPerPhase() {
        long[] now = received();
        long[] pre = atPrecopyEnd == null ? new long[2] : atPrecopyEnd;
        long[] resume = atResume == null ? now : atResume;
        return new MigrationSummary.BytesPerPhase(pre[1], pre[0], resume[1] - pre[1], resume[0] - pre[0],
                now[1] - resume[1], now[0] - resume[0]);
    }

    private Counter pagesInstalled(String channel) {
        return Counter.builder(PAGES_INSTALLED).description("pages installed, by the connection they arrived on")
                .tag("channel", channel).register(registry);
    }

    private void phaseBytes(String phase, ToLongFunction<MigrationSummary.BytesPerPhase> bytes) {
        FunctionCounter.builder(RECEIVED_BYTES, this, held(this, m -> bytes.applyAsLong(m.bytesPerPhase())))
                .description(RECEIVED_BYTES_HELP)
                .baseUnit("bytes")
                .tag("phase", phase)
                .register(registry);
    }

    private void uffdCount(String name, String description, ToLongFunction<UffdSet> count) {
        FunctionCounter.builder(name, this, held(this, m -> {
            UffdSet u = m.uffds;
            return u == null ? 0 : count.applyAsLong(u);
        })).description(description).register(registry);
    }

    private void vcpuSum(String name, String description, List<VcpuCounters> runners, ToLongFunction<VcpuCounters> field) {
        FunctionCounter.builder(name, runners, held(runners, rs -> {
            long sum = 0;
            for (VcpuCounters r : rs) sum += field.applyAsLong(r);
            return sum;
        })).description(description).register(registry);
    }

    /**
     * {@code f} applied to {@code state}, held strongly: a function counter keeps its function but
     * only a weak reference to its object, which a collection after the run would clear (NaN).
     */
    private static <T> ToDoubleFunction<T> held(T state, ToDoubleFunction<T> f) {
        return ignored -> f.applyAsDouble(state);
    }

    /** The current value of the function counter {@code name}, summed over its tags (0 when not registered). */
    long functionCount(String name) {
        double sum = 0;
        for (FunctionCounter c : registry.find(name).functionCounters()) sum += c.count();
        return (long) sum;
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    public Timer faultLatency() {
        return faultLatency;
    }

    /** Fault latencies into {@link #faultLatency()} (one recorder, made once: no allocation per fault). */
    public LatencyRecorder latencyRecorder() {
        return latencyRecorder;
    }

    /** Fault latency percentiles and max from the registry's timer (nanoseconds). */
    public MigrationSummary.Latency latency() {
        HistogramSnapshot snap = faultLatency.takeSnapshot();
        double[] v = new double[PERCENTILES.length];
        for (int i = 0; i < PERCENTILES.length; i++) v[i] = percentileNs(snap, PERCENTILES[i]);
        return new MigrationSummary.Latency(snap.count(), (long) v[0], (long) v[1], (long) v[2], (long) v[3], (long) v[4],
                (long) snap.max(TimeUnit.NANOSECONDS), (long) snap.mean(TimeUnit.NANOSECONDS));
    }

    /** The snapshot's value at {@code percentile} (nanoseconds), 0 when it has none. */
    public static double percentileNs(HistogramSnapshot snap, double percentile) {
        for (ValueAtPercentile p : snap.percentileValues()) {
            if (Math.abs(p.percentile() - percentile) < 1e-9) return p.value(TimeUnit.NANOSECONDS);
        }
        return 0;
    }

    /** Fault latency in QEMU's log2 microsecond buckets, non-empty ones only (see {@link Log2Buckets}). */
    public List<Log2Buckets.Bucket> latencyLog2Us() {
        return Log2Buckets.from(faultLatency.takeSnapshot());
    }

    static long count(Counter c) {
        return (long) c.count();
    }
}
