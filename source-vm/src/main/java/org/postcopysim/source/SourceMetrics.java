package org.postcopysim.source;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The source's Micrometer meters. Counters are bumped once per frame, never per page.
 *
 * <ul>
 *   <li>{@code source.pages.sent}, {@code source.bytes.sent} (tag {@code channel=demand|background})</li>
 *   <li>{@code source.page.requests}: PAGE_REQUEST frames answered</li>
 *   <li>{@code source.pages.duplicate}: requested pages that had been sent already</li>
 *   <li>{@code source.channel.errors}: connections closed because of an error</li>
 *   <li>{@code source.pages.remaining}: gauge of pages the background stream has yet to send</li>
 *   <li>{@code source.migration.pauses}, {@code source.migration.recoveries}: links lost, and resumed</li>
 *   <li>{@code source.migration.paused}: timer of each completed pause (drop to resume)</li>
 *   <li>{@code source.demand.reads.paused}: times a DEMAND connection stopped reading because its
 *       outbound buffer passed the high water mark (a destination that requests faster than it reads)</li>
 *   <li>{@code source.demand.outbound.peak}: gauge of the most bytes ever queued in Netty on a DEMAND
 *       connection right after a request was answered</li>
 * </ul>
 */
final class SourceMetrics {
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
        pageRequests = Counter.builder("source.page.requests").description("page requests received").register(registry);
        duplicatePages = Counter.builder("source.pages.duplicate")
                .description("requested pages that had already been sent").register(registry);
        channelErrors = Counter.builder("source.channel.errors")
                .description("connections closed because of an error").register(registry);
        pauses = Counter.builder("source.migration.pauses")
                .description("times a connection dropped before completion and the migration paused").register(registry);
        recoveries = Counter.builder("source.migration.recoveries")
                .description("paused migrations resumed by the destination").register(registry);
        pausedTime = Timer.builder("source.migration.paused")
                .description("time from a dropped link to the migration resuming").register(registry);
        demandReadsPaused = Counter.builder("source.demand.reads.paused")
                .description("times a DEMAND connection stopped reading until its outbound buffer drained").register(registry);
        Gauge.builder("source.demand.outbound.peak", demandOutboundPeakBytes, AtomicLong::get).baseUnit("bytes")
                .description("most bytes queued on a DEMAND connection after answering a request").register(registry);
    }

    /** Registers the remaining-pages gauge; the registry holds {@code source} weakly, the caller keeps it. */
    static <T> void remainingPagesGauge(MeterRegistry registry, T source, ToDoubleFunction<T> remainingPages) {
        Gauge.builder("source.pages.remaining", source, remainingPages)
                .description("pages the background stream has yet to send").baseUnit("pages").register(registry);
    }

    private static Counter pagesSent(MeterRegistry registry, String channel) {
        return Counter.builder("source.pages.sent").tag("channel", channel).baseUnit("pages")
                .description("guest pages sent").register(registry);
    }

    private static Counter bytesSent(MeterRegistry registry, String channel) {
        return Counter.builder("source.bytes.sent").tag("channel", channel).baseUnit("bytes")
                .description("PAGE_BATCH frame bytes sent").register(registry);
    }
}
