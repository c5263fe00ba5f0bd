package org.postcopysim.source;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One migration: its id, its two connections, which pages have been sent, its counters and
 * how it ended. Touched by the DEMAND and BACKGROUND event loops, hence atomics throughout;
 * counters are updated once per frame. The first of {@link #finish} or {@link #fail} decides the
 * result.
 */
final class Migration {
    private static final Logger log = LoggerFactory.getLogger(Migration.class);

    private final String id;
    private final long stopNs;
    private final SourceGuest guest;
    private final SentBitmap sent;
    private final SourceMetrics metrics;
    private final CompletableFuture<SourceResult> completion;
    private final Channel demandChannel;
    private final AtomicReference<Channel> backgroundChannel = new AtomicReference<>();
    private final AtomicLong demandPages = new AtomicLong();
    private final AtomicLong backgroundPages = new AtomicLong();
    private final AtomicLong duplicatePages = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong pageRequests = new AtomicLong();
    private final AtomicBoolean allSentLogged = new AtomicBoolean();

    /** {@code stopNs}: System.nanoTime() when the source guest stopped. */
    Migration(String id, long stopNs, SourceGuest guest, Channel demandChannel, SourceMetrics metrics,
              CompletableFuture<SourceResult> completion) {
        this.id = id;
        this.stopNs = stopNs;
        this.guest = guest;
        this.sent = new SentBitmap(guest.totalPages());
        this.demandChannel = demandChannel;
        this.metrics = metrics;
        this.completion = completion;
    }

    String id() {
        return id;
    }

    long stopNs() {
        return stopNs;
    }

    SentBitmap sent() {
        return sent;
    }

    boolean isEnded() {
        return completion.isDone();
    }

    /** Binds the BACKGROUND connection; false when the migration already has one. */
    boolean attachBackground(Channel channel) {
        return backgroundChannel.compareAndSet(null, channel);
    }

    void recordRequest() {
        pageRequests.incrementAndGet();
        metrics.pageRequests.increment();
    }

    /** One demand frame of {@code pages} pages ({@code duplicates} of them sent before) and {@code bytes} bytes. */
    void recordDemand(int pages, int duplicates, long bytes) {
        demandPages.addAndGet(pages);
        duplicatePages.addAndGet(duplicates);
        bytesSent.addAndGet(bytes);
        metrics.demandPagesSent.increment(pages);
        metrics.demandBytesSent.increment(bytes);
        if (duplicates > 0) metrics.duplicatePages.increment(duplicates);
        logIfAllSent();
    }

    /** One background frame of {@code pages} pages and {@code bytes} bytes. */
    void recordBackground(int pages, long bytes) {
        backgroundPages.addAndGet(pages);
        bytesSent.addAndGet(bytes);
        metrics.backgroundPagesSent.increment(pages);
        metrics.backgroundBytesSent.increment(bytes);
        logIfAllSent();
    }

    private void logIfAllSent() {
        if (sent.unsent() == 0 && allSentLogged.compareAndSet(false, true)) {
            log.info("migration {}: every page sent ({} pages: {} background, {} on demand, {} duplicates) {} ms after stop",
                    id, guest.totalPages(), backgroundPages.get(), demandPages.get(), duplicatePages.get(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopNs));
        }
    }

    /** Ends the migration with the digest's verdict; the result frame has been flushed (or failed: {@code sendError}). */
    void finish(DigestVerifier.Verdict verdict, String sendError) {
        String error = sendError != null ? "completion result not delivered: " + sendError
                : verdict.verified() ? null
                : verdict.pageMismatches() + " of " + verdict.pagesTotal() + " pages failed verification";
        SourceResult result = result(error == null, verdict.pagesVerified(), verdict.pageMismatches(),
                verdict.mismatchedGfns(), error);
        if (completion.complete(result)) {
            if (result.verified()) {
                log.info("migration {} verified: {} pages, memory digest {}, {} ms after stop", id, verdict.pagesTotal(),
                        Integer.toHexString(verdict.memoryDigest()), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopNs));
            } else {
                log.error("migration {} failed verification: {} (first mismatched gfns {})", id, error, verdict.mismatchedGfns());
            }
        }
    }

    /** Ends the migration as failed (unless it already ended) and closes its connections. */
    void fail(String error) {
        if (!completion.complete(result(false, 0, 0, List.of(), error))) return;
        log.error("migration {} failed: {}", id, error);
        closeWithError(demandChannel, error);
        Channel bg = backgroundChannel.get();
        if (bg != null) closeWithError(bg, error);
    }

    private void closeWithError(Channel channel, String error) {
        if (!channel.isActive()) return;
        channel.writeAndFlush(Frames.error(channel.alloc(), Error.Code.CODE_INTERNAL, "migration " + id + " failed: " + error))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** The DEMAND connection closed; {@code reason} says why when known (else null). */
    void onDemandClosed(String reason) {
        if (isEnded()) return;
        fail("link dropped: DEMAND connection closed before completion" + (reason == null ? "" : " (" + reason + ")"));
    }

    /** The BACKGROUND connection closed; fatal only while pages remain to be streamed. */
    void onBackgroundClosed(Channel channel, String reason) {
        if (backgroundChannel.get() != channel || isEnded()) return;
        long unsent = sent.unsent();
        if (unsent == 0) {
            log.info("migration {}: BACKGROUND connection closed after every page was sent", id);
            return;
        }
        fail("link dropped: BACKGROUND connection closed with " + unsent + " pages not yet sent"
                + (reason == null ? "" : " (" + reason + ")"));
    }

    private SourceResult result(boolean verified, long pagesVerified, long mismatches, List<Long> gfns, String error) {
        return new SourceResult(verified, guest.totalPages(), pagesVerified, mismatches, gfns, demandPages.get(),
                backgroundPages.get(), duplicatePages.get(), bytesSent.get(), pageRequests.get(),
                guest.memoryDigest(), error);
    }
}
