package org.postcopysim.source;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.Frames;
import org.postcopysim.source.policy.BackgroundOrder;
import org.postcopysim.source.policy.SentBitmap;
import org.postcopysim.source.policy.SourcePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One migration: its id, its DEMAND connection and its BACKGROUND streams
 * ({@link BackgroundStreams}), which pages have been sent, its counters and how it ended.
 * Touched by the DEMAND and BACKGROUND event loops, hence atomics throughout;
 * counters are updated once per frame. The first of {@link #finish} or {@link #fail} decides the
 * result.
 *
 * <p>Postcopy recovery (state changes are rare and take this object's lock):
 * <pre>
 *   RUNNING --a connection drops--> PAUSED --Hello(DEMAND, id, resume)--> RESUMING
 *   RESUMING --last PagesHeld, old connections closed: unsent = pages not held, ResumeAck--> RUNNING
 *   RESUMING --the new DEMAND drops--> PAUSED
 *   RUNNING --Hello(DEMAND, id, resume) (the destination saw a drop first)--> RESUMING
 *   PAUSED or RESUMING --recovery deadline since the drop--> failed
 * </pre>
 * A BACKGROUND stream attaches only while RUNNING, and gets a fresh streamer; the streamer
 * of a closed connection stops at its next turn. A drop of any stream is a drop of the link.
 */
final class Migration {
    private static final Logger log = LoggerFactory.getLogger(Migration.class);

    private enum State { RUNNING, PAUSED, RESUMING }

    private final String id;
    /** When the source guest stopped (System.nanoTime()): the DEMAND Hello, or the switchover after precopy. */
    private volatile long stopNs;
    private final SourceGuest guest;
    private final SourcePolicy policy;
    private final SentBitmap sent;
    private final SourceMetrics metrics;
    private final CompletableFuture<SourceResult> completion;
    private final Duration recoveryDeadline;
    private final AtomicReference<Channel> demandChannel = new AtomicReference<>();
    /** The BACKGROUND streams (set once, at the DEMAND Hello, before any stream can attach). */
    private volatile BackgroundStreams streams;
    private final AtomicLong demandPages = new AtomicLong();
    private final AtomicLong backgroundPages = new AtomicLong();
    private final AtomicLong duplicatePages = new AtomicLong();
    private final AtomicLong pagesFetchedOnDemand = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong pageRequests = new AtomicLong();
    private final AtomicBoolean allSentLogged = new AtomicBoolean();
    /** The precopy of this migration, or null without (set once, before any BACKGROUND connection). */
    private volatile Precopy precopy;
    // recovery state, guarded by this
    private State state = State.RUNNING;
    /** Number of the current (or last) outage: a deadline timer only fails the outage it was set for. */
    private int outage;
    private long pausedSinceNs;
    private String pauseReason;
    private long recoveries;
    private long pausedNs;

    /** {@code stopNs}: System.nanoTime() when the source guest stopped. */
    Migration(String id, long stopNs, SourceGuest guest, Channel demandChannel, SourceMetrics metrics,
              CompletableFuture<SourceResult> completion, Duration recoveryDeadline, BackgroundOrder order) {
        this.id = id;
        this.stopNs = stopNs;
        this.guest = guest;
        this.policy = new SourcePolicy(guest.totalPages(), order);
        this.sent = policy.sent();
        this.demandChannel.set(demandChannel);
        this.metrics = metrics;
        this.completion = completion;
        this.recoveryDeadline = recoveryDeadline;
    }

    String id() {
        return id;
    }

    long stopNs() {
        return stopNs;
    }

    /** The BACKGROUND streams the destination asked for. */
    void attachStreams(BackgroundStreams s) {
        streams = s;
    }

    BackgroundStreams streams() {
        return streams;
    }

    /** Runs precopy before the switchover ({@code p} owns the guest's vCPUs from now on). */
    void attachPrecopy(Precopy p) {
        precopy = p;
    }

    /** The precopy, or null without. */
    Precopy precopy() {
        return precopy;
    }

    /** Whether precopy runs and the switchover is not done yet. */
    boolean inPrecopy() {
        Precopy p = precopy;
        return p != null && p.running();
    }

    /** The source guest stopped at {@code nowNs} (System.nanoTime()): the precopy's switchover. */
    void guestStopped(long nowNs) {
        stopNs = nowNs;
    }

    /** Sends {@code switchover} on the DEMAND connection (any thread). */
    void sendSwitchover(org.postcopysim.protocol.Switchover switchover) {
        Channel d = demandChannel.get();
        if (d != null) d.writeAndFlush(Frames.encode(d.alloc(), org.postcopysim.protocol.FrameType.FRAME_TYPE_SWITCHOVER, switchover));
    }

    /** The send policies (demand first, the background order, the cap) over this migration's sent pages. */
    SourcePolicy policy() {
        return policy;
    }

    SentBitmap sent() {
        return sent;
    }

    boolean isEnded() {
        return completion.isDone();
    }

    /**
     * Binds BACKGROUND stream {@code index} to {@code streamer}; null when bound, else why not (out
     * of range, the stream is bound already, or the migration is paused).
     */
    synchronized String attachBackground(int index, BackgroundStreamer streamer, long nowNs) {
        if (state != State.RUNNING) return "migration " + id + " is " + state.name().toLowerCase(java.util.Locale.ROOT)
                + "; resume it on DEMAND first";
        return streams.attach(index, streamer, nowNs);
    }

    /** Recoveries completed (count). */
    synchronized long recoveries() {
        return recoveries;
    }

    /** Time spent paused over completed recoveries (ms). */
    synchronized long pausedMs() {
        return TimeUnit.NANOSECONDS.toMillis(pausedNs);
    }

    /**
     * A Hello(DEMAND, id, resume) arrived on {@code channel}: it becomes the DEMAND connection and
     * the migration is RESUMING. Any connection of the old link is closed.
     *
     * @return the old connections' close futures (the caller waits for them before
     *         {@link #completeResume}), or null when the migration has ended
     */
    synchronized List<ChannelFuture> beginResume(Channel channel) {
        if (isEnded()) return null;
        if (state == State.RUNNING) {
            pause("destination resumed on a new connection, so the old link is dead", channel.eventLoop());
        }
        state = State.RESUMING;
        List<ChannelFuture> closes = new ArrayList<>(2);
        Channel oldDemand = demandChannel.getAndSet(channel);
        if (oldDemand != null && oldDemand != channel) closes.add(oldDemand.close());
        BackgroundStreams s = streams;
        if (s != null) for (Channel old : s.detachAll()) closes.add(old.close());
        log.info("migration {}: resume requested from {}", id, channel.remoteAddress());
        return closes;
    }

    /**
     * Ends a resume on {@code channel}'s event loop, once no connection of the old link can send:
     * every page the destination does not hold ({@code heldWords}) is unsent again.
     *
     * @return pages to send again (count), or -1 when {@code channel} no longer resumes the migration
     */
    synchronized long completeResume(Channel channel, long[] heldWords) {
        if (isEnded() || state != State.RESUMING || demandChannel.get() != channel) return -1;
        long toResend = policy.resume(heldWords);
        allSentLogged.set(false);
        state = State.RUNNING;
        recoveries++;
        long pausedForNs = System.nanoTime() - pausedSinceNs;
        pausedNs += pausedForNs;
        metrics.recoveries.increment();
        metrics.pausedTime.record(pausedForNs, TimeUnit.NANOSECONDS);
        log.info("migration {} resumed after {} ms paused (recovery {}): {} pages to send again", id,
                TimeUnit.NANOSECONDS.toMillis(pausedForNs), recoveries, toResend);
        return toResend;
    }

    /** Pauses (call with the lock held): closes both connections and arms the recovery deadline on {@code timer}. */
    private void pause(String reason, ScheduledExecutorService timer) {
        if (state != State.RUNNING) {
            log.warn("migration {} stays paused: {}", id, reason);
            state = State.PAUSED;
            return;
        }
        state = State.PAUSED;
        int thisOutage = ++outage;
        pausedSinceNs = System.nanoTime();
        pauseReason = reason;
        metrics.pauses.increment();
        log.warn("migration {} paused: {}; waiting up to {} s for the destination to resume", id, reason,
                recoveryDeadline.toSeconds());
        Channel d = demandChannel.get();
        if (d != null) d.close();
        BackgroundStreams s = streams;
        if (s != null) for (Channel b : s.channels()) b.close();
        timer.schedule(() -> onRecoveryDeadline(thisOutage), recoveryDeadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void onRecoveryDeadline(int forOutage) {
        String error;
        synchronized (this) {
            if (isEnded() || state == State.RUNNING || outage != forOutage) return;
            error = "link dropped and the destination did not resume migration " + id + " within "
                    + recoveryDeadline.toMillis() / 1000.0 + " s (" + pauseReason + "); "
                    + org.postcopysim.text.Plural.of(sent.unsent(), "page") + " never sent";
        }
        fail(error);
    }

    void recordRequest() {
        pageRequests.incrementAndGet();
        metrics.pageRequests.increment();
    }

    /**
     * Requested pages the background had not sent when their request arrived: the demand answer
     * was their first copy (count). The destination's network-bound faults.
     */
    long pagesFetchedOnDemand() {
        return pagesFetchedOnDemand.get();
    }

    /** One demand frame of {@code pages} pages ({@code duplicates} of them sent before) and {@code bytes} bytes. */
    void recordDemand(int pages, int duplicates, long bytes) {
        demandPages.addAndGet(pages);
        duplicatePages.addAndGet(duplicates);
        pagesFetchedOnDemand.addAndGet(pages - duplicates);
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
        if (sent.unsent() == 0 && !inPrecopy() && allSentLogged.compareAndSet(false, true)) {
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
        stopGuest();
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
        stopGuest();
        if (!completion.complete(result(false, 0, 0, List.of(), error))) return;
        log.error("migration {} failed: {}", id, error);
        Channel d = demandChannel.get();
        if (d != null) closeWithError(d, error);
        BackgroundStreams s = streams;
        if (s != null) for (Channel bg : s.channels()) closeWithError(bg, error);
    }

    /** Stops the source's vCPUs if precopy still runs them; completes once none runs. */
    java.util.concurrent.CompletableFuture<Void> stopGuest() {
        Precopy p = precopy;
        return p == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : p.stopGuest();
    }

    private void closeWithError(Channel channel, String error) {
        if (!channel.isActive()) return;
        channel.writeAndFlush(Frames.error(channel.alloc(), Error.Code.CODE_INTERNAL, "migration " + id + " failed: " + error))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * A connection closed; {@code reason} says why when known (else null). A drop of the current
     * DEMAND connection, or of the BACKGROUND connection while pages remain to be streamed,
     * pauses the migration; with no recovery deadline, or when it was closed over a protocol
     * error ({@code linkLoss} false), it fails at once. Connections of an old link are ignored.
     */
    void onChannelClosed(Channel channel, String reason, boolean linkLoss) {
        String failure = null;
        synchronized (this) {
            if (isEnded()) return;
            String why = reason == null ? "" : " (" + reason + ")";
            String what = linkLoss ? "link dropped: " : "protocol error: ";
            if (demandChannel.get() == channel) {
                failure = what + "DEMAND connection closed before completion" + why;
            } else if (streams != null && streams.isStream(channel)) {
                long unsent = sent.unsent();
                if (unsent == 0 && !inPrecopy()) {
                    log.info("migration {}: a BACKGROUND stream closed after every page was sent", id);
                    return;
                }
                // During precopy every page may be claimed (at a round's end) while rounds or the discard set are to come.
                failure = what + "BACKGROUND connection closed"
                        + (unsent == 0 ? "" : " with " + org.postcopysim.text.Plural.of(unsent, "page") + " not yet sent") + why;
            } else {
                return;
            }
            if (inPrecopy()) {
                failure += " during precopy (recovery resumes postcopy only)";
            } else if (linkLoss && !recoveryDeadline.isZero()) {
                pause(failure, channel.eventLoop());
                return;
            }
        }
        fail(failure);
    }

    private SourceResult result(boolean verified, long pagesVerified, long mismatches, List<Long> gfns, String error) {
        Precopy p = precopy;
        SourceResult.Precopy pre = p == null ? SourceResult.Precopy.NONE : p.result();
        return new SourceResult(verified, guest.totalPages(), pagesVerified, mismatches, gfns, demandPages.get(),
                backgroundPages.get(), duplicatePages.get(), bytesSent.get(), pageRequests.get(),
                guest.memoryDigest(), recoveries(), pausedMs(), pre, error);
    }
}
