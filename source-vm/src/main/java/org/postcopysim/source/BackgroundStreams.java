package org.postcopysim.source;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import org.postcopysim.source.policy.BackgroundPolicy;

/**
 * The BACKGROUND streams of one migration (QEMU's multifd channels): up to
 * {@link org.postcopysim.protocol.StreamCount#MAX} connections, each with its own
 * {@link BackgroundStreamer} on its own event loop, drawing from the migration's one background
 * order. The scan is single-caller state, so every claim goes through this object's lock: the
 * streams carry disjoint pages (the sent bitmap's test-and-set makes that so whatever the order
 * does). The bandwidth cap is split evenly: each stream's token bucket gets 1/N of it, so that
 * together they stay under the cap and each gets its share (one shared bucket lets whichever
 * stream's timer fires first take every refill, and a stream can starve). Encoding a batch, the
 * per-page work, runs outside the lock, on each stream's own event loop.
 *
 * <p>The streams of a link start together, once all of them have attached, so that a precopy
 * round is spread over all of them from its first page. A precopy round ends when every stream
 * of the link has found nothing unsent and parked ({@link #roundExhausted}; QEMU's multifd
 * syncs its channels at each round's end the same way): the last to park ends the round,
 * starting the next one or the switchover. No stream runs during the switchover, which writes
 * the discard set behind each stream's last precopy page and queues each stream's resume behind
 * it (see {@link Precopy}). A stream that is not parked (between batches, waiting for its share
 * of the cap or for its socket) holds the round open until it parks.
 */
final class BackgroundStreams {
    /** What a stream that found no page to claim during precopy does next. */
    enum Next { CLAIM_AGAIN, WAIT }

    private final Migration migration;
    private final int streams;
    private final int pagesPerBatch;
    private final long maxBytesPerSec;
    /** The negative control's broken source: each stream gets the whole cap. */
    private final boolean capPerStream;
    // guarded by this
    /** Each stream's policy: the migration's scan, and the stream's share of the cap. */
    private final BackgroundPolicy[] policies;
    private final Channel[] channels;
    private final BackgroundStreamer[] streamers;
    private int attached;
    /** Streams parked until the precopy round ends, or until the switchover is done. */
    private final List<BackgroundStreamer> waiting = new ArrayList<>();
    private boolean awaitingSwitchover;

    BackgroundStreams(Migration migration, int streams, int pagesPerBatch, long maxBytesPerSec) {
        this(migration, streams, pagesPerBatch, maxBytesPerSec, false);
    }

    /** @param capPerStream the negative control's broken source: each stream gets the whole cap, not 1/N */
    BackgroundStreams(Migration migration, int streams, int pagesPerBatch, long maxBytesPerSec, boolean capPerStream) {
        this.migration = migration;
        this.capPerStream = capPerStream;
        this.policies = new BackgroundPolicy[streams];
        this.streams = streams;
        this.pagesPerBatch = pagesPerBatch;
        this.maxBytesPerSec = maxBytesPerSec;
        this.channels = new Channel[streams];
        this.streamers = new BackgroundStreamer[streams];
    }

    /** The stream count the destination asked for. */
    int count() {
        return streams;
    }

    /**
     * Binds stream {@code index} of the current link to {@code streamer}'s channel. Returns null
     * when bound, else why not (out of range, or taken). When it was the last of the link's
     * streams, every stream starts.
     */
    String attach(int index, BackgroundStreamer streamer, long nowNs) {
        List<BackgroundStreamer> start;
        synchronized (this) {
            if (index < 0 || index >= streams) {
                return "BACKGROUND stream " + Integer.toUnsignedString(index) + " of a migration with " + streams
                        + " stream" + (streams == 1 ? "" : "s") + " (0.." + (streams - 1) + ")";
            }
            if (channels[index] != null) return "migration " + migration.id() + " already has BACKGROUND stream " + index;
            if (policies[index] == null) policies[index] = newPolicy(nowNs);
            channels[index] = streamer.channel();
            streamers[index] = streamer;
            if (++attached < streams) return null;
            start = List.of(streamers.clone());
        }
        for (BackgroundStreamer s : start) s.start();
        return null;
    }

    /** A stream's policy: its share of the cap (all of it in the negative control), its burst one frame. */
    private BackgroundPolicy newPolicy(long nowNs) {
        long share = maxBytesPerSec == 0 || capPerStream ? maxBytesPerSec : Math.max(1, maxBytesPerSec / streams);
        return migration.policy().background(pagesPerBatch, share, BackgroundStreamer.maxFrameBytes(pagesPerBatch), nowNs);
    }

    /** The policy {@code streamer} draws from (a stream of an old link, stopping, draws from stream 0's). */
    private BackgroundPolicy policyOf(BackgroundStreamer streamer) {
        for (int i = 0; i < streamers.length; i++) if (streamers[i] == streamer) return policies[i];
        return policies[0];
    }

    /** Streams attached to the current link (count). */
    synchronized int attached() {
        return attached;
    }

    /** Whether {@code channel} is one of the current link's streams. */
    synchronized boolean isStream(Channel channel) {
        for (Channel c : channels) if (c == channel) return true;
        return false;
    }

    /** The current link's stream channels (the attached ones). */
    synchronized List<Channel> channels() {
        List<Channel> out = new ArrayList<>(streams);
        for (Channel c : channels) if (c != null) out.add(c);
        return out;
    }

    /**
     * Forgets the current link's streams (recovery closes them; a new link attaches its own),
     * and returns their channels.
     */
    synchronized List<Channel> detachAll() {
        List<Channel> out = channels();
        java.util.Arrays.fill(channels, null);
        java.util.Arrays.fill(streamers, null);
        attached = 0;
        waiting.clear();
        return out;
    }

    /** Nanoseconds until {@code streamer}'s next batch may go at {@code nowNs}, under its share of the cap; 0 = now. */
    synchronized long nanosUntilNext(BackgroundStreamer streamer, long nowNs) {
        return policyOf(streamer).nanosUntilNext(nowNs);
    }

    /** Claims the next batch into {@code out}: up to pages-per-batch unsent pages in the background order, marked sent. */
    synchronized int claim(BackgroundStreamer streamer, int[] out) {
        return policyOf(streamer).claim(out); // the scan is the migration's, whichever stream claims
    }

    /** A batch of {@code bytes} bytes went out on {@code streamer}: charged to its share of the cap. */
    synchronized void sent(BackgroundStreamer streamer, long bytes) {
        policyOf(streamer).sent(bytes);
    }

    /**
     * During precopy, {@code streamer} found no unsent page: it parks ({@link Next#WAIT}) until
     * the round ends. When it is the last of the link's streams to park, the round is over: the
     * next round begins ({@link Next#CLAIM_AGAIN}, and the parked streams go on too), or the
     * switchover (every stream stays parked until it is done).
     */
    Next roundExhausted(Precopy precopy, BackgroundStreamer streamer) {
        List<BackgroundStreamer> resume;
        synchronized (this) {
            if (!precopy.running()) return Next.CLAIM_AGAIN; // the switchover is done: postcopy pages
            waiting.add(streamer);
            if (awaitingSwitchover || waiting.size() < attached) return Next.WAIT;
            if (!precopy.onRoundSent(migration, channels(), this::resumeAfterSwitchover)) {
                awaitingSwitchover = true;
                return Next.WAIT;
            }
            waiting.remove(streamer);
            resume = new ArrayList<>(waiting);
            waiting.clear();
        }
        for (BackgroundStreamer s : resume) s.resume();
        return Next.CLAIM_AGAIN;
    }

    /** The switchover is out: every stream goes on with the postcopy pages (any thread). */
    private void resumeAfterSwitchover() {
        List<BackgroundStreamer> resume;
        synchronized (this) {
            awaitingSwitchover = false;
            resume = new ArrayList<>(waiting);
            waiting.clear();
        }
        for (BackgroundStreamer s : resume) s.resume();
    }
}
