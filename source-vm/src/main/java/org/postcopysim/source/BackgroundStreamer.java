package org.postcopysim.source;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.concurrent.TimeUnit;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.PageBatchCodec;

/**
 * One BACKGROUND stream: streams pages not yet sent down its connection, as a task on that
 * connection's event loop. Each turn claims up to {@code pagesPerBatch} pages at a time from the
 * migration's {@link BackgroundStreams} (the background order, shared by every stream), encodes
 * one PAGE_BATCH per claim, writes up to {@link #MAX_BATCHES_PER_TURN} batches and flushes once,
 * then yields the loop by re-queueing itself. It stops while the channel is unwritable (resumed
 * by {@link #onWritabilityChanged}) and, under its share of the bandwidth cap, schedules its
 * continuation for when the token bucket refills: it never sleeps or blocks. Time is the event
 * loop's ticker, so that a test on an {@code EmbeddedChannel} drives the cap by moving the
 * channel's clock. With precopy ({@link Precopy}) the streams carry the rounds first: a stream
 * that runs out of pages waits until the round ends ({@link BackgroundStreams#roundExhausted}),
 * and after the last round until the switchover resumes it as postcopy. Event-loop confined but
 * for {@link #resume}; allocates one frame per batch (a pooled header and, sent from guest
 * memory, a slice per run of pages) and nothing per page.
 */
final class BackgroundStreamer implements Runnable {
    /** Batches written per turn before flushing and yielding the event loop to other work. */
    static final int MAX_BATCHES_PER_TURN = 4;

    private final Channel channel;
    private final SourceGuest guest;
    private final Migration migration;
    private final BackgroundStreams streams;
    private final SourceGuest.Encoder encoder;
    private final int[] batch;
    /** This stream's precopy scratch (null without precopy). */
    private final Precopy.Encoder precopyEncoder;
    private boolean queued;
    private boolean finished;
    /** Waiting for the precopy round to end or for the switchover, either of which resumes the stream. */
    private boolean waiting;

    BackgroundStreamer(Channel channel, SourceGuest guest, Migration migration, BackgroundStreams streams, int pagesPerBatch) {
        this.channel = channel;
        this.guest = guest;
        this.migration = migration;
        this.streams = streams;
        this.encoder = guest.newEncoder();
        this.batch = new int[pagesPerBatch];
        Precopy precopy = migration.precopy();
        this.precopyEncoder = precopy == null ? null : precopy.newEncoder();
    }

    Channel channel() {
        return channel;
    }

    /** Upper bound of one background frame (bytes): the bucket's burst. */
    static long maxFrameBytes(int pagesPerBatch) {
        return PageBatchCodec.maxFrameBytes(pagesPerBatch, GuestLayout.PAGE_SIZE_BYTES);
    }

    /** Begins streaming (any thread). */
    void start() {
        channel.eventLoop().execute(this::queue);
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

    /** The precopy round ended, or the switchover is done: the stream goes on (any thread). */
    void resume() {
        channel.eventLoop().execute(() -> {
            waiting = false;
            queue();
        });
    }

    @Override
    public void run() {
        queued = false;
        if (finished || waiting) return;
        if (!channel.isActive() || migration.isEnded()) {
            finished = true;
            return;
        }
        int written = 0;
        while (written < MAX_BATCHES_PER_TURN && channel.isWritable()) {
            long waitNs = streams.nanosUntilNext(this, channel.eventLoop().ticker().nanoTime());
            if (waitNs > 0) {
                if (written > 0) channel.flush();
                queued = true;
                channel.eventLoop().schedule(this, waitNs, TimeUnit.NANOSECONDS);
                return;
            }
            Precopy precopy = migration.precopy();
            boolean precopyPages = precopy != null && precopy.running();
            int n = streams.claim(this, batch);
            if (n == 0) {
                if (precopyPages) {
                    if (streams.roundExhausted(precopy, this) == BackgroundStreams.Next.CLAIM_AGAIN) continue;
                    waiting = true;
                    if (written > 0) channel.flush();
                    return;
                }
                finished = true;
                break;
            }
            ByteBuf frame = precopyPages ? precopy.encode(channel.alloc(), batch, n, precopyEncoder)
                    : guest.encodeBatch(channel.alloc(), 0, batch, 0, n, encoder);
            int bytes = frame.readableBytes();
            channel.write(frame, channel.voidPromise());
            streams.sent(this, bytes);
            migration.recordBackground(n, bytes);
            if (precopyPages) precopy.recordSent(n, bytes); // before this stream can park and end the round
            written++;
        }
        if (written > 0) channel.flush();
        if (!finished && channel.isWritable()) queue();
    }
}
