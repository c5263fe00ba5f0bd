package org.postcopysim.source;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.concurrent.TimeUnit;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.PageBatchCodec;
import org.postcopysim.source.policy.BackgroundPolicy;

/**
 * Streams every page not yet sent down one BACKGROUND connection, as a task on that
 * connection's event loop. Each turn claims up to {@code pagesPerBatch} pages at a time from
 * the sent-bitmap (from the scan cursor, wrapping), encodes one PAGE_BATCH per claim, writes up
 * to {@link #MAX_BATCHES_PER_TURN} batches and flushes once, then yields the loop by
 * re-queueing itself. It stops while the channel is unwritable (resumed by
 * {@link #onWritabilityChanged}) and, under a bandwidth cap, schedules its continuation for
 * when the token bucket refills: it never sleeps or blocks. Time is the event loop's ticker, so
 * that a test on an {@code EmbeddedChannel} drives the cap by moving the channel's clock.
 * With precopy ({@link Precopy}) the stream carries the rounds first: each time it runs out of
 * pages the round ends, and the next begins at once or, at the switchover, the stream waits until
 * the precopy resumes it as postcopy. Single-threaded; allocates one pooled frame buffer per batch
 * and nothing per page.
 */
final class BackgroundStreamer implements Runnable {
    /** Batches written per turn before flushing and yielding the event loop to other work. */
    static final int MAX_BATCHES_PER_TURN = 4;

    private final Channel channel;
    private final SourceGuest guest;
    private final Migration migration;
    private final GuestMemory.View view;
    private final int[] batch;
    private final BackgroundPolicy policy;
    private boolean queued;
    private boolean finished;
    /** Waiting for the precopy's switchover, which resumes the stream. */
    private boolean awaitingSwitchover;

    BackgroundStreamer(Channel channel, SourceGuest guest, Migration migration, int pagesPerBatch, long maxBytesPerSec) {
        this.channel = channel;
        this.guest = guest;
        this.migration = migration;
        this.view = guest.newView();
        this.batch = new int[pagesPerBatch];
        this.policy = migration.policy().background(pagesPerBatch, maxBytesPerSec, maxFrameBytes(pagesPerBatch),
                channel.eventLoop().ticker().nanoTime());
    }

    /** Upper bound of one background frame (bytes): the bucket's burst. */
    static long maxFrameBytes(int pagesPerBatch) {
        return FrameDescriptor.HEADER_BYTES + 11L + (long) pagesPerBatch * PageBatchCodec.maxEntryBytes(GuestLayout.PAGE_SIZE_BYTES);
    }

    /** Begins streaming (call on the channel's event loop). */
    void start() {
        queue();
    }

    /** Resumes a stream the channel's backpressure stopped. */
    void onWritabilityChanged() {
        if (channel.isWritable()) queue();
    }

    private void queue() {
        if (queued || finished) return;
        queued = true;
        channel.eventLoop().execute(this);
    }

    /** The switchover is done: the stream goes on with the postcopy pages (call on the channel's event loop). */
    private void resumeAfterSwitchover() {
        awaitingSwitchover = false;
        queue();
    }

    @Override
    public void run() {
        queued = false;
        if (finished || awaitingSwitchover) return;
        if (!channel.isActive() || migration.isEnded()) {
            finished = true;
            return;
        }
        int written = 0;
        while (written < MAX_BATCHES_PER_TURN && channel.isWritable()) {
            long waitNs = policy.nanosUntilNext(channel.eventLoop().ticker().nanoTime());
            if (waitNs > 0) {
                if (written > 0) channel.flush();
                queued = true;
                channel.eventLoop().schedule(this, waitNs, TimeUnit.NANOSECONDS);
                return;
            }
            int n = policy.claim(batch);
            Precopy precopy = migration.precopy();
            boolean precopyPages = precopy != null && precopy.running();
            if (n == 0) {
                if (precopyPages) {
                    if (precopy.onRoundSent(migration, channel, this::resumeAfterSwitchover)) continue; // the next round
                    awaitingSwitchover = true;
                    if (written > 0) channel.flush();
                    return;
                }
                finished = true;
                break;
            }
            ByteBuf frame = precopyPages ? precopy.encode(channel.alloc(), batch, n)
                    : guest.encodeBatch(channel.alloc(), 0, batch, 0, n, view);
            int bytes = frame.readableBytes();
            policy.sent(bytes);
            channel.write(frame, channel.voidPromise());
            migration.recordBackground(n, bytes);
            if (precopyPages) precopy.recordSent(n, bytes);
            written++;
        }
        if (written > 0) channel.flush();
        if (!finished && channel.isWritable()) queue();
    }
}
