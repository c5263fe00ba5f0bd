package org.postcopysim.cli;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Micrometer timer's client-side percentiles as a Prometheus summary ({@code quantile} label,
 * {@code _count}, {@code _sum}), read from the timer's snapshot at each scrape. Micrometer scrapes
 * a timer that has histogram buckets as a histogram only and drops its percentiles; this publishes
 * them under a name of their own instead of as gauges with a {@code quantile} label, which
 * Prometheus reserves for summaries ({@code promtool check metrics} rejects such gauges). Nothing is
 * published until the timer exists.
 */
final class TimerQuantiles implements Collector {
    private final MeterRegistry registry;
    private final String timerName;
    private final String prometheusName;
    private final String help;

    /** Publishes timer {@code timerName}'s percentiles as {@code summaryName} (a Micrometer-style name; seconds). */
    TimerQuantiles(MeterRegistry registry, String timerName, String summaryName, String help) {
        this.registry = registry;
        this.timerName = timerName;
        this.prometheusName = new PrometheusNamingConvention().name(summaryName, Meter.Type.DISTRIBUTION_SUMMARY, "seconds");
        this.help = help;
    }

    @Override
    public String getPrometheusName() {
        return prometheusName;
    }

    @Override
    public MetricSnapshot collect() {
        Timer timer = registry.find(timerName).timer();
        if (timer == null) return null;
        HistogramSnapshot snap = timer.takeSnapshot();
        List<Quantile> quantiles = new ArrayList<>();
        for (ValueAtPercentile p : snap.percentileValues()) {
            quantiles.add(new Quantile(p.percentile(), p.value(TimeUnit.SECONDS)));
        }
        return SummarySnapshot.builder().name(prometheusName).help(help).unit(Unit.SECONDS)
                .dataPoint(SummarySnapshot.SummaryDataPointSnapshot.builder()
                        .count(snap.count()).sum(snap.total(TimeUnit.SECONDS)).quantiles(Quantiles.of(quantiles)).build())
                .build();
    }
}
