package org.postcopysim.source;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The source's Micrometer meters, every one named {@code postcopy.source.*} (Prometheus:
 * {@code postcopy_source_*}; docs/metrics.md lists them all). Counters are bumped once per frame,
 * never per page.
 *
 * <ul>
 *   <li>{@value #PAGES_SENT}, {@value #SENT_BYTES} (tag {@code channel=demand|background})</li>
 *   <li>{@value #PAGE_REQUESTS}: PAGE_REQUEST frames answered</li>
 *   <li>{@value #DUPLICATE_PAGES}: requested pages that had been sent already</li>
 *   <li>{@value #CHANNEL_ERRORS}: connections closed because of an error</li>
 *   <li>{@value #PAGES_REMAINING}: gauge of pages the background stream has yet to send</li>
 *   <li>{@value #PAUSES}, {@value #RECOVERIES}: links lost, and resumed</li>
 *   <li>{@value #PAUSED}: timer of each completed pause (drop to resume)</li>
 *   <li>{@value #DEMAND_READ_PAUSES}: times a DEMAND connection stopped reading because its
 *       outbound buffer passed the high water mark (a destination that requests faster than it reads)</li>
 *   <li>{@value #DEMAND_OUTBOUND_PEAK}: gauge of the most bytes ever queued in Netty on a DEMAND
 *       connection right after a request was answered</li>
 * </ul>
 *
 * <p>The gauges hold what they read strongly (a meter's default is weakly), so that a scrape after
 * the migration reads the final values rather than NaN.
 */
final class SourceMetrics {
    static final String PAGES_SENT = "postcopy.source.pages.sent";
    static final String SENT_BYTES = "postcopy.source.sent";
    static final String PAGE_REQUESTS = "postcopy.source.page.requests";
    static final String DUPLICATE_PAGES = "postcopy.source.duplicate.pages";
    static final String CHANNEL_ERRORS = "postcopy.source.channel.errors";
    static final String PAGES_REMAINING = "postcopy.source.pages.remaining";
    static final String PAUSES = "postcopy.source.pauses";
    static final String RECOVERIES = "postcopy.source.recoveries";
    static final String PAUSED = "postcopy.source.paused";
    static final String DEMAND_READ_PAUSES = "postcopy.source.demand.read.pauses";
    static final String DEMAND_OUTBOUND_PEAK = "postcopy.source.demand.outbound.peak";

    final Counter demandPagesSent;
    final Counter backgroundPagesSent;
    final Counter demandBytesSent;
    final Counter backgroundBytesSent;
    final Counter pageRequests;
    final Counter duplicatePages;
    final Counter channelErrors;
    final Counter pauses;
    final Counter recoveries;
    final Timer pausedTime;
    final Counter demandReadsPaused;
    final AtomicLong demandOutboundPeakBytes = new AtomicLong();

    SourceMetrics(MeterRegistry registry) {
        demandPagesSent = pagesSent(registry, "demand");
        backgroundPagesSent = pagesSent(registry, "background");
        demandBytesSent = bytesSent(registry, "demand");
        backgroundBytesSent = bytesSent(registry, "background");
        pageRequests = Counter.builder(PAGE_REQUESTS).description("page requests received").register(registry);
        duplicatePages = Counter.builder(DUPLICATE_PAGES)
                .description("requested pages that had already been sent").register(registry);
        channelErrors = Counter.builder(CHANNEL_ERRORS)
                .description("connections closed because of an error").register(registry);
        pauses = Counter.builder(PAUSES)
                .description("times a connection dropped before completion and the migration paused").register(registry);
        recoveries = Counter.builder(RECOVERIES)
                .description("paused migrations resumed by the destination").register(registry);
        pausedTime = Timer.builder(PAUSED)
                .description("time from a dropped link to the migration resuming").register(registry);
        demandReadsPaused = Counter.builder(DEMAND_READ_PAUSES)
                .description("times a DEMAND connection stopped reading until its outbound buffer drained").register(registry);
        Gauge.builder(DEMAND_OUTBOUND_PEAK, demandOutboundPeakBytes, AtomicLong::get).baseUnit("bytes").strongReference(true)
                .description("most bytes queued on a DEMAND connection after answering a request").register(registry);
    }

    /** Registers the remaining-pages gauge; the registry holds {@code source} strongly, so it reads after the run too. */
    static <T> void remainingPagesGauge(MeterRegistry registry, T source, ToDoubleFunction<T> remainingPages) {
        Gauge.builder(PAGES_REMAINING, source, remainingPages).strongReference(true)
                .description("pages the background stream has yet to send").register(registry);
    }

    private static Counter pagesSent(MeterRegistry registry, String channel) {
        return Counter.builder(PAGES_SENT).tag("channel", channel)
                .description("guest pages sent").register(registry);
    }

    private static Counter bytesSent(MeterRegistry registry, String channel) {
        return Counter.builder(SENT_BYTES).tag("channel", channel).baseUnit("bytes")
                .description("PAGE_BATCH frame bytes sent").register(registry);
    }
}
