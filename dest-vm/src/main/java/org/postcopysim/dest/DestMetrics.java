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
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.dest.vcpu.VcpuRunner;

/**
 * The destination's meters. Fault latency is a timer with client-side percentiles (Micrometer
 * keeps them in an HdrHistogram); the rest are counters. Per-vCPU counts are function counters
 * over each vCPU's own single-writer fields, so the access loop pays nothing for them and a
 * scrape sees them live. The summary reads from here.
 */
public final class DestMetrics {
    public static final String FAULT_LATENCY = "postcopy.fault.latency";
    public static final String DEMAND_FAULTS = "postcopy.faults.demand";
    public static final String REDUNDANT_FAULTS = "postcopy.faults.redundant";
    public static final String EXITS = "postcopy.vcpu.exits";
    public static final String STALE_READS = "postcopy.reads.stale";
    public static final String GUEST_READS = "postcopy.guest.reads";
    public static final String GUEST_WRITES = "postcopy.guest.writes";
    public static final String PAGES_PRESENT = "postcopy.pages.present";
    public static final String PAGES_TOTAL = "postcopy.pages.total";
    public static final String PAGE_REQUESTS = "postcopy.page.requests";
    static final double[] PERCENTILES = {0.5, 0.9, 0.99, 0.999};

    final MeterRegistry registry;
    final Timer faultLatency;
    final Counter backgroundPages;
    final Counter demandPages;
    final Counter duplicatePages;
    final Counter crcFailures;
    final Counter bytesReceived;

    public DestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.faultLatency = Timer.builder(FAULT_LATENCY)
                .description("time a vCPU is blocked from a memory-fault exit to the page being present")
                .publishPercentiles(PERCENTILES)
                .percentilePrecision(2)
                // keep every sample of a migration in the percentiles, not a two-minute window
                .distributionStatisticExpiry(Duration.ofDays(1))
                .distributionStatisticBufferLength(1)
                .register(registry);
        this.backgroundPages = counter("postcopy.pages.background", "pages installed from the background stream");
        this.demandPages = counter("postcopy.pages.demand", "pages installed from demand answers");
        this.duplicatePages = counter("postcopy.pages.duplicate", "copies dropped because the page was present (EEXIST)");
        this.crcFailures = counter("postcopy.pages.crc_failures", "copies whose CRC32C did not match");
        this.bytesReceived = counter("postcopy.bytes.received", "page bytes received");
    }

    /** Registers the vCPUs' counts (sums, and exits per vCPU) as function counters. */
    void bindVcpus(List<VcpuRunner> runners) {
        vcpuSum(DEMAND_FAULTS, "faults that sent a page request", runners, c -> c.demandFaults);
        vcpuSum(REDUNDANT_FAULTS, "faults that joined a request already in flight", runners, c -> c.redundantFaults);
        vcpuSum(EXITS, "KVM_EXIT_MEMORY_FAULT exits", runners, c -> c.exits);
        vcpuSum(STALE_READS, "guest reads that saw contents other than the source's", runners, c -> c.staleReads);
        vcpuSum(GUEST_READS, "guest reads, each checked against the source's contents", runners, c -> c.reads);
        vcpuSum(GUEST_WRITES, "guest writes", runners, c -> c.writes);
        for (VcpuRunner r : runners) {
            FunctionCounter.builder(EXITS + ".per_vcpu", r, x -> x.counters().exits)
                    .description("KVM_EXIT_MEMORY_FAULT exits of one vCPU")
                    .tag("vcpu", Integer.toString(r.id()))
                    .register(registry);
        }
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

    private void vcpuSum(String name, String description, List<VcpuRunner> runners, ToLongFunction<VcpuCounters> field) {
        FunctionCounter.builder(name, runners, rs -> {
            long sum = 0;
            for (VcpuRunner r : rs) sum += field.applyAsLong(r.counters());
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

    /** Fault latency percentiles and max from the registry's timer (nanoseconds). */
    public MigrationSummary.Latency latency() {
        HistogramSnapshot snap = faultLatency.takeSnapshot();
        double[] v = new double[PERCENTILES.length];
        for (ValueAtPercentile p : snap.percentileValues()) {
            for (int i = 0; i < PERCENTILES.length; i++) {
                if (Math.abs(p.percentile() - PERCENTILES[i]) < 1e-9) v[i] = p.value(TimeUnit.NANOSECONDS);
            }
        }
        return new MigrationSummary.Latency(snap.count(), (long) v[0], (long) v[1], (long) v[2], (long) v[3],
                (long) snap.max(TimeUnit.NANOSECONDS), (long) snap.mean(TimeUnit.NANOSECONDS));
    }

    static long count(Counter c) {
        return (long) c.count();
    }
}
