package org.postcopysim.dest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The destination's meters. Fault latency is a timer with client-side percentiles (Micrometer
 * keeps them in an HdrHistogram); the rest are counters. The summary reads from here.
 */
public final class DestMetrics {
    public static final String FAULT_LATENCY = "postcopy.fault.latency";
    static final double[] PERCENTILES = {0.5, 0.9, 0.99, 0.999};

    final MeterRegistry registry;
    final Timer faultLatency;
    final Counter demandFaults;
    final Counter redundantFaults;
    final Counter exits;
    final Counter backgroundPages;
    final Counter demandPages;
    final Counter duplicatePages;
    final Counter crcFailures;
    final Counter bytesReceived;
    final Counter staleReads;

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
        this.demandFaults = counter("postcopy.faults.demand", "faults that sent a page request");
        this.redundantFaults = counter("postcopy.faults.redundant", "faults that joined a request already in flight");
        this.exits = counter("postcopy.vcpu.exits", "KVM_EXIT_MEMORY_FAULT exits");
        this.backgroundPages = counter("postcopy.pages.background", "pages installed from the background stream");
        this.demandPages = counter("postcopy.pages.demand", "pages installed from demand answers");
        this.duplicatePages = counter("postcopy.pages.duplicate", "copies dropped because the page was present (EEXIST)");
        this.crcFailures = counter("postcopy.pages.crc_failures", "copies whose CRC32C did not match");
        this.bytesReceived = counter("postcopy.bytes.received", "page bytes received");
        this.staleReads = counter("postcopy.reads.stale", "guest reads that saw contents other than the source's");
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
