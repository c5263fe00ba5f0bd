package org.postcopysim.source;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
