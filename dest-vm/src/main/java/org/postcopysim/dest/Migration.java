package org.postcopysim.dest;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import org.postcopysim.dest.net.BatchInstaller;
import org.postcopysim.dest.net.DestConnectionHandler;
import org.postcopysim.dest.threads.RunControl;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.Discard;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.ResumeAck;
import org.postcopysim.protocol.Switchover;
import org.postcopysim.time.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one migration that the connections report into: the handshake and switchover
 * as they arrive, where each connection's pages are installed, and the first failure.
 *
 * <p>Postcopy recovery: each link (a DEMAND and a BACKGROUND connection) has an epoch number.
 * Once the vCPUs run ({@link #resumable}) and with reconnect on, a drop of the current link
 * completes {@link #linkDown()} instead of failing; the runner then pauses and reconnects,
 * starting a new link with {@link #newLink()}. Drops of older links are ignored.
 *
 * <p>Precopy (the Handshake says so): until the last Discard chunk has been applied
 * ({@link #precopyOver}), the background installer replaces present pages with later copies, the
 * last page made present does not end the migration, and {@link #discarded} completes with the
 * discard set's size once the set is applied.
 */
final class Migration implements DestConnectionHandler.Listener {
    private static final Logger log = LoggerFactory.getLogger(Migration.class);

    final CompletableFuture<Handshake> handshake = new CompletableFuture<>();
    final CompletableFuture<Switchover> switchover = new CompletableFuture<>();
    final CompletableFuture<CompletionResult> result = new CompletableFuture<>();
    final CompletableFuture<Void> allPresent = new CompletableFuture<>();
    /** Precopy: the discard set's size (pages), once the last Discard chunk was applied. */
    final CompletableFuture<Long> discarded = new CompletableFuture<>();
    final RunControl control = new RunControl();
    private final NanoClock clock;
    /** When the Switchover arrived (the clock's time; 0 before). */
    private volatile long switchoverArrivedNs;
    /** Precopy: applies the Discard chunks; null without precopy. */
    volatile DiscardApplier discardApplier;
    /** Runs on the BACKGROUND event loop once the discard set is applied (the phase counters, the last-page check). */
    volatile Runnable onPrecopyOver = () -> { };
    private volatile boolean precopyRunning;

    Migration(NanoClock clock) {
        this.clock = clock;
    }

    /** Precopy runs until the discard set is applied ({@link #precopyOver}). */
    void precopyStarts() {
        precopyRunning = true;
    }

    /** Whether precopy runs: pages arrive but the guest still runs on the source. */
    boolean precopyRunning() {
        return precopyRunning;
    }

    /** When the Switchover arrived on the clock (0 before). */
    long switchoverArrivedNs() {
        return switchoverArrivedNs;
    }

    volatile BatchInstaller demandInstaller;
    /** One per BACKGROUND stream, by stream index. */
    volatile BatchInstaller[] backgroundInstallers = new BatchInstaller[0];
    private final java.util.concurrent.atomic.AtomicBoolean precopyEnded = new java.util.concurrent.atomic.AtomicBoolean();

    /** Whether a dropped link pauses the migration (else it fails it, as without recovery). */
    volatile boolean reconnect;
    /** Set once the vCPUs run: from then on a drop is recoverable. */
    volatile boolean resumable;
    private volatile int epoch;
    private volatile CompletableFuture<String> linkDown = new CompletableFuture<>();
    private volatile CompletableFuture<ResumeAck> resumeAck = new CompletableFuture<>();

    /** Starts link {@code epoch + 1}: fresh futures for its drop and its resume ack. Called by the runner only. */
    int newLink() {
        linkDown = new CompletableFuture<>();
        resumeAck = new CompletableFuture<>();
        return ++epoch;
    }

    int epoch() {
        return epoch;
    }

    /** Completes with why when the current link drops. */
    CompletableFuture<String> linkDown() {
        return linkDown;
    }

    /** Completes when the source acknowledges the current link's resume. */
    CompletableFuture<ResumeAck> resumeAck() {
        return resumeAck;
    }

    @Override
    public void onLinkDown(int linkEpoch, ChannelRole role, String why) {
        if (role == ChannelRole.CHANNEL_ROLE_BACKGROUND && allPresent.isDone()) {
            log.debug("background connection closed after every page was present: {}", why);
            return;
        }
        if (!reconnect || !resumable) {
            onFailure(role, why + (reconnect ? "" : " (reconnect is off)"));
        } else if (linkEpoch == epoch) {
            linkDown.complete(why);
        } else {
            log.debug("a connection of old link {} closed: {}", linkEpoch, why);
        }
    }

    @Override
    public void onResumeAck(int linkEpoch, ResumeAck ack) {
        if (linkEpoch == 0) {
            onFailure(ChannelRole.CHANNEL_ROLE_DEMAND, "source sent a ResumeAck on the first link, which resumes nothing");
        } else if (linkEpoch == epoch) {
            resumeAck.complete(ack);
        }
    }

    @Override
    public void onHandshake(Handshake h) {
        if (!handshake.complete(h)) onFailure(ChannelRole.CHANNEL_ROLE_DEMAND, "source sent a second Handshake");
    }

    @Override
    public void onSwitchover(Switchover s) {
        if (!switchover.isDone()) switchoverArrivedNs = clock.nanoTime();
        if (!switchover.complete(s)) onFailure(ChannelRole.CHANNEL_ROLE_DEMAND, "source sent a second Switchover");
    }

    @Override
    public String onPageBatch(ByteBuf frame, int stream) {
        BatchInstaller[] background = backgroundInstallers;
        BatchInstaller installer = stream < 0 ? demandInstaller : stream < background.length ? background[stream] : null;
        if (installer == null) return "PAGE_BATCH before the migration was set up";
        return installer.installFrame(frame);
    }

    @Override
    public CompletableFuture<?> holdPagesUntil(int stream) {
        DiscardApplier applier = discardApplier;
        // Past its discard set while another stream is not: postcopy pages wait until the set is applied.
        return applier != null && !discarded.isDone() && applier.streamDone(stream) ? discarded : null;
    }

    @Override
    public String onDiscard(Discard chunk, int stream) {
        DiscardApplier applier = discardApplier;
        if (applier == null) return "Discard from a source that announced no precopy, or before the guest was set up";
        String error = applier.accept(chunk, stream);
        if (error != null) return error;
        if (applier.applied() && precopyEnded.compareAndSet(false, true)) precopyOver(applier);
        return null;
    }

    /** The discard set is applied: from the next frame on, pages are postcopy's. BACKGROUND event loop. */
    private void precopyOver(DiscardApplier applier) {
        for (BatchInstaller bg : backgroundInstallers) bg.replacePresentPages(false);
        precopyRunning = false;
        onPrecopyOver.run();
        log.info("precopy over: {} pages discarded ({} of them present and dropped)", applier.pages(), applier.dropped());
        discarded.complete(applier.pages());
    }

    @Override
    public void onCompletionResult(CompletionResult r) {
        result.complete(r);
    }

    @Override
    public void onFailure(ChannelRole role, String why) {
        if (control.failed() || result.isDone()) {
            log.debug("after the first failure or the result: {}", why);
        } else {
            log.error("migration failed: {}", why);
        }
        fail(why);
    }

    void fail(String why) {
        control.fail(why);
        RuntimeException e = new IllegalStateException(why);
        handshake.completeExceptionally(e);
        switchover.completeExceptionally(e);
        discarded.completeExceptionally(e);
        result.completeExceptionally(e);
    }
}
