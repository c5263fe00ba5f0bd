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
import java.util.function.ToLongFunction;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.metrics.BlocktimeTracker;
import org.postcopysim.dest.metrics.Log2Buckets;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.dest.metrics.LatencyRecorder;

/**
 * The destination's meters. Fault latency is a timer with client-side percentiles (Micrometer
 * keeps them in an HdrHistogram) and QEMU's log2 microsecond buckets as service level objectives
 * ({@link Log2Buckets}; Prometheus scrapes them as {@code postcopy_fault_latency_seconds_bucket});
 * the rest are counters. Per-vCPU counts are function counters over each vCPU's own
 * single-writer fields, so the access loop pays nothing for them and a scrape sees them live;
 * blocktime comes from the {@link BlocktimeTracker} the same way. The summary reads from here.
 */
public final class DestMetrics {
    public static final String FAULT_LATENCY = "postcopy.fault.latency";
    /**
     * Fault latency percentiles (seconds, gauges tagged {@code quantile}). The timer's own
     * percentiles are not in a Prometheus scrape once it has histogram buckets, so they are
     * published here as well.
     */
    public static final String FAULT_LATENCY_PERCENTILE = "postcopy.fault.latency.percentile";
    public static final String DEMAND_FAULTS = "postcopy.faults.demand";
    public static final String REDUNDANT_FAULTS = "postcopy.faults.redundant";
    public static final String EXITS = "postcopy.vcpu.exits";
    public static final String STALE_READS = "postcopy.reads.stale";
    public static final String GUEST_READS = "postcopy.guest.reads";
    public static final String GUEST_WRITES = "postcopy.guest.writes";
    public static final String PAGES_PRESENT = "postcopy.pages.present";
    public static final String PAGES_TOTAL = "postcopy.pages.total";
    public static final String PAGE_REQUESTS = "postcopy.page.requests";
    public static final String POPULATES = "postcopy.faults.populated";
    public static final String HOST_FAULTS = "postcopy.faults.uffd";
    public static final String UFFD_WAKES = "postcopy.uffd.wakes";
    public static final String UFFD_WAITERS_VISITED = "postcopy.uffd.waiters.visited";
    public static final String UFFD_EEXIST = "postcopy.uffd.eexist";
    public static final String DUPLICATE_PAGES = "postcopy.pages.duplicate";
    /** Time all vCPUs were blocked at once (seconds, function counter). */
    public static final String BLOCKTIME_ALL = "postcopy.blocktime.all";
    /** Time one vCPU was blocked on missing pages (seconds, function counter tagged {@code vcpu}). */
    public static final String BLOCKTIME_VCPU = "postcopy.blocktime.vcpu";
    /** vCPUs blocked on a missing page right now (gauge). */
    public static final String VCPUS_BLOCKED = "postcopy.vcpus.blocked";
    /** Bytes received per migration phase (bytes, function counter tagged {@code phase}: precopy, downtime, postcopy). */
    public static final String PHASE_BYTES = "postcopy.phase.bytes";
    /** Link recoveries completed: the link dropped, the migration paused and resumed (counter). */
    public static final String RECOVERIES = "postcopy.recoveries";
    /** Times the link dropped and the migration paused (counter). */
    public static final String PAUSES = "postcopy.pauses";
    /** Whether the migration is paused right now (gauge, 0 or 1). */
    public static final String PAUSED = "postcopy.paused";
    /** Time the migration spent paused, the current pause included (seconds, function counter). */
    public static final String PAUSED_TIME = "postcopy.paused.time";
    /** vCPUs reported by the watchdog as blocked on one page longer than the stall timeout (counter, once per wait). */
    public static final String STALLS = "postcopy.vcpu.stalls";
    static final double[] PERCENTILES = {0.5, 0.9, 0.99, 0.999};

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
    private volatile long downtimeBytes;

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
        for (double p : PERCENTILES) {
            Gauge.builder(FAULT_LATENCY_PERCENTILE, faultLatency, t -> percentileNs(t.takeSnapshot(), p) / 1e9)
                    .description("fault latency percentile from a memory-fault exit to the page being present")
                    .baseUnit("seconds")
                    .tag("quantile", Double.toString(p))
                    .register(registry);
        }
        this.backgroundPages = counter("postcopy.pages.background", "pages installed from the background stream");
        this.demandPages = counter("postcopy.pages.demand", "pages installed from demand answers");
        this.duplicatePages = counter(DUPLICATE_PAGES, "copies dropped because the page was present (EEXIST)");
        this.crcFailures = counter("postcopy.pages.crc_failures", "copies whose CRC32C did not match");
        this.bytesReceived = counter("postcopy.bytes.received", "page bytes received");
        this.recoveries = counter(RECOVERIES, "times the migration resumed after a dropped link");
        this.pauses = counter(PAUSES, "times a dropped link paused the migration");
        this.stalls = counter(STALLS, "vCPUs blocked on one missing page longer than the stall timeout");
        phaseBytes("precopy", MigrationSummary.BytesPerPhase::precopyBytes);
        phaseBytes("downtime", MigrationSummary.BytesPerPhase::downtimeBytes);
        phaseBytes("postcopy", MigrationSummary.BytesPerPhase::postcopyBytes);
    }

    /** Registers the vCPUs' counts (sums, and exits per vCPU) as function counters. */
    void bindVcpus(List<VcpuCounters> runners) {
        vcpuSum(DEMAND_FAULTS, "faults that sent a page request", runners, c -> c.demandFaults);
        vcpuSum(REDUNDANT_FAULTS, "faults that joined a request already in flight", runners, c -> c.redundantFaults);
        vcpuSum(EXITS, "KVM_EXIT_MEMORY_FAULT exits", runners, c -> c.exits);
        vcpuSum(STALE_READS, "guest reads that saw contents other than the source's", runners, c -> c.staleReads);
        vcpuSum(GUEST_READS, "guest reads, each checked against the source's contents", runners, c -> c.reads);
        vcpuSum(GUEST_WRITES, "guest writes", runners, c -> c.writes);
        vcpuSum(POPULATES, "exit-on-missing faults on pages another party installed (populated, not copied)", runners,
                c -> c.populates);
        vcpuSum(HOST_FAULTS, "accesses that slept on a userfaultfd wait queue", runners, c -> c.hostFaults);
        for (int v = 0; v < runners.size(); v++) {
            FunctionCounter.builder(EXITS + ".per_vcpu", runners.get(v), x -> x.exits)
                    .description("KVM_EXIT_MEMORY_FAULT exits of one vCPU")
                    .tag("vcpu", Integer.toString(v))
                    .register(registry);
        }
    }

    /** Registers the userfaultfd counts: wakes, waiters visited by them, EEXIST copies. */
    void bindUffd(org.postcopysim.dest.fault.UffdPaths uffd) {
        var set = uffd.uffds();
        FunctionCounter.builder(UFFD_WAKES, set, org.postcopysim.dest.uffd.UffdSet::wakes)
                .description("wakes of userfaultfd wait queues").register(registry);
        FunctionCounter.builder(UFFD_WAITERS_VISITED, set, org.postcopysim.dest.uffd.UffdSet::waitersVisited)
                .description("sleeping waiters visited by wakes (each wake visits every sleeper)").register(registry);
        FunctionCounter.builder(UFFD_EEXIST, set, org.postcopysim.dest.uffd.UffdSet::eexistCount)
                .description("UFFDIO_COPY calls that found the page already mapped").register(registry);
    }

    /** Registers pages present and total as gauges, and page requests sent as a counter. */
    void bindPages(PageInstaller installer, DemandFetcher fetcher) {
        Gauge.builder(PAGES_PRESENT, installer, PageInstaller::presentPages)
                .description("pages present on the destination").register(registry);
        Gauge.builder(PAGES_TOTAL, installer, PageInstaller::totalPages)
                .description("pages of the guest").register(registry);
        FunctionCounter.builder(PAGE_REQUESTS, fetcher, DemandFetcher::requestsSent)
                .description("page requests sent to the source").register(registry);
    }

    /** Registers the time all vCPUs were blocked at once, each vCPU's, and how many are blocked now. */
    void bindBlocktime(BlocktimeTracker tracker) {
        FunctionCounter.builder(BLOCKTIME_ALL, tracker, t -> t.allBlockedNs(System.nanoTime()) / 1e9)
                .description("time all vCPUs were blocked on missing pages at once (QEMU's postcopy blocktime)")
                .baseUnit("seconds")
                .register(registry);
        for (int v = 0; v < tracker.vcpus(); v++) {
            int vcpu = v;
            FunctionCounter.builder(BLOCKTIME_VCPU, tracker, t -> t.vcpuBlockedNs(vcpu, System.nanoTime()) / 1e9)
                    .description("time one vCPU was blocked on missing pages")
                    .baseUnit("seconds")
                    .tag("vcpu", Integer.toString(v))
                    .register(registry);
        }
        Gauge.builder(VCPUS_BLOCKED, tracker, BlocktimeTracker::blockedVcpus)
                .description("vCPUs blocked on a missing page right now").register(registry);
    }

    /** Registers whether the migration is paused and the time paused so far (nanoseconds from {@code pausedNs}). */
    <T> void bindPaused(T state, java.util.function.Predicate<T> paused, ToLongFunction<T> pausedNs) {
        Gauge.builder(PAUSED, state, x -> paused.test(x) ? 1 : 0)
                .description("1 while the migration is paused waiting for the source to come back").register(registry);
        FunctionCounter.builder(PAUSED_TIME, state, x -> pausedNs.applyAsLong(x) / 1e9)
                .description("time the migration spent paused after dropped links").baseUnit("seconds").register(registry);
    }

    /** Sets the bytes received during the downtime (the handshake and switchover, before the vCPUs resumed). */
    void downtimeBytes(long bytes) {
        downtimeBytes = bytes;
    }

    /** Bytes received per phase: precopy (always 0: no precopy rounds are simulated), downtime, postcopy. */
    MigrationSummary.BytesPerPhase bytesPerPhase() {
        return new MigrationSummary.BytesPerPhase(0, downtimeBytes, count(bytesReceived));
    }

    private void phaseBytes(String phase, ToLongFunction<MigrationSummary.BytesPerPhase> bytes) {
        // The meter holds its object weakly: this, which lives as long as the migration.
        FunctionCounter.builder(PHASE_BYTES, this, m -> bytes.applyAsLong(m.bytesPerPhase()))
                .description("bytes received in one phase of the migration")
                .baseUnit("bytes")
                .tag("phase", phase)
                .register(registry);
    }

    private void vcpuSum(String name, String description, List<VcpuCounters> runners, ToLongFunction<VcpuCounters> field) {
        FunctionCounter.builder(name, runners, rs -> {
            long sum = 0;
            for (VcpuCounters r : rs) sum += field.applyAsLong(r);
            return sum;
        }).description(description).register(registry);
    }

    /** The current value of the function counter {@code name} (0 when not registered). */
    long functionCount(String name) {
        FunctionCounter c = registry.find(name).functionCounter();
        return c == null ? 0 : (long) c.count();
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
        return new MigrationSummary.Latency(snap.count(), (long) v[0], (long) v[1], (long) v[2], (long) v[3],
                (long) snap.max(TimeUnit.NANOSECONDS), (long) snap.mean(TimeUnit.NANOSECONDS));
    }

    /** The snapshot's value at {@code percentile} (nanoseconds), 0 when it has none. */
    private static double percentileNs(HistogramSnapshot snap, double percentile) {
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
