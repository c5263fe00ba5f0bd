package org.postcopysim.protocol.chaos;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.PageBatchCodec;

/**
 * Fault injection on one connection's PAGE_BATCH frames, as a {@link ChaosSpec} says: delay,
 * jitter, the {@code slow-source} cap, duplication, reordering, corruption and (through the
 * shared {@link ChaosState}) {@code disconnect@P%}. Every other frame passes untouched, though
 * never ahead of a page frame that is being held, so the conversation keeps its order.
 *
 * <p>Where it sits: on the source, on the {@link Side#OUTBOUND OUTBOUND} side (frames written by
 * the source's handlers, whole {@code [length][type][body]} buffers), between the frame decoder
 * and the source's handler; on the destination, on the {@link Side#INBOUND INBOUND} side, right
 * after the frame decoder (frames {@code [type][body]}). Behind any TLS handler in both cases.
 *
 * <p>Holding frames never blocks: a held frame waits in a FIFO with its release time, and one
 * task scheduled on the channel's event loop releases the frames that are due. Release times
 * never go backwards, so delayed frames keep their order unless {@code reorder} swaps them. A
 * flush that arrives while frames are held is passed on and repeated after the held frames are
 * written. Held outbound frames count towards the channel's writability (Netty's
 * {@link PendingWriteQueue}), so the source's background stream pauses as for a slow socket;
 * held inbound frames above {@link #MAX_HELD_INBOUND_BYTES} stop reading from the socket until
 * half have been delivered. Every buffer is released exactly once: forwarded, or released when
 * the channel closes (inbound frames still held then are delivered first, as the bytes had
 * arrived). One instance per channel; all methods run on its event loop.
 *
 * <p>What happens to each page frame is {@link ChaosDecider}'s pure decision (a {@link FrameFate}),
 * drawn from the connection's generator; this handler applies it, timing the holds, and
 * {@link OutboundChaos} or {@link InboundChaos} passes, holds and releases the frames of its
 * direction. A duplicate is an intact copy that follows its original at once; corruption
 * flips the frame's last byte, which is the last byte of its last page's contents (see
 * {@link PageBatchCodec}), so the destination's CRC32C check fails for that page. A frame chosen
 * for reordering waits until the next page frame has gone (at most {@link #REORDER_MAX_HOLD_NS});
 * a control frame arriving first releases it unswapped.
 */
public final class ChaosHandler extends ChannelDuplexHandler {
    /** Which direction the handler acts on. */
    public enum Side {
        /** Frames written (the source): {@code [length][type][body]}. */
        OUTBOUND,
        /** Frames read, after the frame decoder (the destination): {@code [type][body]}. */
        INBOUND
    }

    /** Longest a frame picked for reordering waits for a next page frame to swap with (ns): 2 ms. */
    public static final long REORDER_MAX_HOLD_NS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Held inbound bytes above which the handler stops reading the socket (bytes). */
    public static final int MAX_HELD_INBOUND_BYTES = 1 << 20;
    /** Bits flipped in the damaged byte. */
    static final int CORRUPT_XOR = 0xFF;

    private final ChaosState state;
    private final Side side;
    private final int typeOffset;
    private final PageBatchCodec.Reader reader = new PageBatchCodec.Reader();
    private final Runnable drainTask = this::drain;
    private final Runnable holdTimeoutTask = this::onHoldTimeout;
    /** The held frames' release times, pages and bytes; the direction holds the frames. */
    private final HeldRing held = new HeldRing();

    private ChannelHandlerContext ctx;
    private Ticker ticker;
    private ChaosDecider decider;
    private ChaosDirection direction;
    private long lastReleaseNs = Long.MIN_VALUE;
    private ScheduledFuture<?> drainTimer;
    /** The frame waiting to be swapped with the next page frame, its promise, copy and pages. */
    private ByteBuf swapFrame;
    private ChannelPromise swapPromise;
    private ByteBuf swapCopy;
    private int swapPages;
    private ScheduledFuture<?> swapTimer;

    public ChaosHandler(ChaosState state, Side side) {
        this.state = state;
        this.side = side;
        this.typeOffset = side == Side.OUTBOUND ? FrameDescriptor.TYPE_OFFSET : 0;
    }

    // ---- lifecycle

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.ticker = ctx.executor().ticker();
        direction = side == Side.OUTBOUND ? new OutboundChaos(ctx, state) : new InboundChaos(ctx, state);
        if (ctx.channel().isActive()) register();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        register();
        ctx.fireChannelActive();
    }

    private void register() {
        if (decider == null) decider = new ChaosDecider(state.spec(), state.register(ctx.channel()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state.unregister(ctx.channel());
        if (side == Side.INBOUND) deliverAllHeld();
        else discardAllHeld();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        state.unregister(ctx.channel());
        discardAllHeld();
    }

    // ---- the two directions

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (side == Side.OUTBOUND) onFrame(msg, promise);
        else ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (side == Side.OUTBOUND) ((OutboundChaos) direction).flush(holdsAnything());
        else ctx.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (side == Side.INBOUND) onFrame(msg, null);
        else ctx.fireChannelRead(msg);
    }

    // ---- per frame

    private void onFrame(Object msg, ChannelPromise promise) {
        register();
        int pages = pageCount(msg);
        long now = ticker.nanoTime();
        if (pages < 0) { // not a page frame: untouched, but behind any held page frame
            releaseSwap(false);
            submit(msg, promise, 0, now);
            afterRelease(false);
            return;
        }
        ByteBuf frame = (ByteBuf) msg;
        FrameFate fate = decider.decide(pages);
        ByteBuf copy = null; // the duplicate, which stays intact
        if (fate.corrupt()) {
            // Corrupt a copy, never the frame's own bytes: a sender's frame may be its guest memory.
            ByteBuf bad = frame.copy();
            int last = bad.writerIndex() - 1;
            bad.setByte(last, bad.getByte(last) ^ CORRUPT_XOR);
            if (fate.duplicate()) copy = frame;
            else frame.release();
            frame = bad;
            state.framesCorrupted.increment();
        } else if (fate.duplicate()) {
            copy = frame.retainedDuplicate();
        }
        if (fate.duplicate()) state.framesDuplicated.increment();
        long release = fate.releaseAtNs(now);
        if (fate.delayed()) state.framesDelayed.increment();
        if (fate.throttled()) {
            release = state.reserveBandwidth(frame.readableBytes() + (copy == null ? 0 : copy.readableBytes()), release);
            state.framesThrottled.increment();
        }
        if (swapFrame != null) { // this is the frame the held one swaps with
            submitWithCopy(frame, promise, copy, pages, release);
            releaseSwap(true);
        } else if (fate.reorder()) {
            swapFrame = frame;
            swapPromise = promise;
            swapCopy = copy;
            swapPages = pages;
            lastReleaseNs = Math.max(lastReleaseNs, release);
            swapTimer = ctx.executor().schedule(holdTimeoutTask, REORDER_MAX_HOLD_NS, TimeUnit.NANOSECONDS);
        } else {
            submitWithCopy(frame, promise, copy, pages, release);
        }
        afterRelease(false);
    }

    /** Pages of a well-formed PAGE_BATCH frame, or -1 for any other message. Allocates nothing. */
    private int pageCount(Object msg) {
        if (!(msg instanceof ByteBuf b)) return ChaosDecider.NOT_A_PAGE_FRAME;
        int bodyOffset = typeOffset + 1;
        if (b.readableBytes() < bodyOffset) return ChaosDecider.NOT_A_PAGE_FRAME;
        if (b.getUnsignedByte(b.readerIndex() + typeOffset) != FrameType.FRAME_TYPE_PAGE_BATCH_VALUE) {
            return ChaosDecider.NOT_A_PAGE_FRAME;
        }
        int pages = reader.validate(b, b.readerIndex() + bodyOffset, b.readableBytes() - bodyOffset);
        return pages == PageBatchCodec.MALFORMED ? ChaosDecider.NOT_A_PAGE_FRAME : pages;
    }

    private void submitWithCopy(ByteBuf frame, ChannelPromise promise, ByteBuf copy, int pages, long release) {
        submit(frame, promise, pages, release);
        if (copy != null) submit(copy, promise == null ? null : direction.copyPromise(promise), 0, release);
    }

    /** Sends {@code msg} now if nothing is held and it is due, else queues it; release times never go back. */
    private void submit(Object msg, ChannelPromise promise, int pages, long releaseAtNs) {
        long release = Math.max(releaseAtNs, lastReleaseNs);
        lastReleaseNs = release;
        if (held.isEmpty() && release <= ticker.nanoTime()) {
            direction.forward(msg, promise, pages);
            return;
        }
        int bytes = msg instanceof ByteBuf b ? b.readableBytes() : 0;
        direction.hold(msg, promise, bytes);
        held.push(release, pages, bytes);
        if (drainTimer == null) scheduleDrain(release);
    }

    /** Releases the frame waiting for a swap partner, after whatever was submitted since. */
    private void releaseSwap(boolean swapped) {
        if (swapFrame == null) return;
        ByteBuf frame = swapFrame;
        ByteBuf copy = swapCopy;
        ChannelPromise promise = swapPromise;
        int pages = swapPages;
        swapFrame = null;
        swapCopy = null;
        swapPromise = null;
        if (swapTimer != null) {
            swapTimer.cancel(false);
            swapTimer = null;
        }
        if (swapped) state.framesReordered.increment();
        submitWithCopy(frame, promise, copy, pages, lastReleaseNs);
    }

    private void onHoldTimeout() {
        swapTimer = null;
        releaseSwap(false);
        afterRelease(true);
    }

    // ---- the held queue

    private void scheduleDrain(long atNs) {
        long delay = Math.max(0, atNs - ticker.nanoTime());
        drainTimer = ctx.executor().schedule(drainTask, delay, TimeUnit.NANOSECONDS);
    }

    private void drain() {
        drainTimer = null;
        long now = ticker.nanoTime();
        boolean released = !held.isEmpty() && held.oldestReleaseNs() <= now;
        while (!held.isEmpty() && held.oldestReleaseNs() <= now) releaseOldest();
        if (released) afterRelease(true);
        if (!held.isEmpty() && drainTimer == null) scheduleDrain(held.oldestReleaseNs());
    }

    private void releaseOldest() {
        int pages = held.oldestPages();
        long bytes = held.oldestBytes();
        held.pop();
        direction.releaseOldest(pages, bytes);
    }

    /**
     * Completes a round of releases: repeats an owed flush; inbound, ends the read burst of a timer
     * (a frame's own read burst ends with the decoder's read-complete) and resumes reading.
     */
    private void afterRelease(boolean fromTimer) {
        direction.afterRelease(fromTimer, holdsAnything());
    }

    private boolean holdsAnything() {
        return !held.isEmpty() || swapFrame != null;
    }

    /** The channel closed: inbound frames that had arrived reach the next handler, in order. */
    private void deliverAllHeld() {
        cancelTimers();
        boolean any = holdsAnything();
        while (!held.isEmpty()) releaseOldest();
        if (swapFrame != null) {
            ByteBuf frame = swapFrame;
            ByteBuf copy = swapCopy;
            int pages = swapPages;
            swapFrame = null;
            swapCopy = null;
            direction.forward(frame, null, pages);
            if (copy != null) direction.forward(copy, null, 0);
        }
        if (any) ctx.fireChannelReadComplete();
    }

    /** Releases every held buffer and fails the promises of held writes. Idempotent. */
    private void discardAllHeld() {
        cancelTimers();
        held.clear();
        if (direction != null) direction.discardHeld();
        if (swapFrame != null) {
            swapFrame.release();
            if (swapCopy != null) swapCopy.release();
            if (swapPromise != null && !swapPromise.isVoid()) swapPromise.tryFailure(new ClosedChannelException());
            swapFrame = null;
            swapCopy = null;
            swapPromise = null;
        }
    }

    private void cancelTimers() {
        if (drainTimer != null) {
            drainTimer.cancel(false);
            drainTimer = null;
        }
        if (swapTimer != null) {
            swapTimer.cancel(false);
            swapTimer = null;
        }
    }
}
