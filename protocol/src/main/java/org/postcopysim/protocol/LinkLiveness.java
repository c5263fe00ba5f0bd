package org.postcopysim.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Tells a dead link from a quiet one. A host that dies, or a network path that starts dropping
 * every packet, closes nothing: no FIN or RST ever arrives, and a connection with nothing to send
 * waits forever. So each side sends a {@code Keepalive} frame on a connection it has written
 * nothing to for a quarter of the link timeout, and a connection from which not one byte arrived
 * for the whole link timeout fails with a {@link LinkTimeoutException} (an {@link IOException}:
 * the handlers treat it as a dropped link, which postcopy recovery resumes).
 *
 * <p>Sits right after TLS and before the frame decoder, so that it counts bytes, not frames: a
 * large frame crawling over a slow link keeps the link alive while it arrives. A connection
 * whose reading this side has paused ({@code autoRead} off: backpressure, or held fault
 * injection) is never timed out, since the silence is this side's own. A peer that merely stalls
 * (a stopped process on a live host) stops sending keepalives too, and is timed out like a dead
 * link once the stall outlasts the link timeout; recovery then reconnects when it wakes. When
 * this side itself stalls (its check runs late), it reads what arrived meanwhile before it
 * judges the link.
 *
 * <p>Runs on the channel's event loop only; time comes from the loop's ticker, so tests drive it
 * with {@code EmbeddedChannel.advanceTimeBy}. Allocates nothing per read or write: the keepalive
 * frame is one shared read-only buffer.
 */
public final class LinkLiveness extends ChannelDuplexHandler {
    /** The keepalive frame: length 1, type byte, empty body. */
    private static final ByteBuf KEEPALIVE = Unpooled.unreleasableBuffer(Unpooled.directBuffer(FrameDescriptor.HEADER_BYTES)
            .writeInt(1).writeByte(FrameType.FRAME_TYPE_KEEPALIVE_VALUE).asReadOnly());

    private final long timeoutNs;
    private final long keepaliveIntervalNs;
    private long lastReadNs;
    private long lastWriteNs;
    private long lastTickNs;
    private long keepalivesSent;
    private ScheduledFuture<?> tick;

    /** @param timeoutNs how long a connection may stay silent before it counts as dropped (positive) */
    public LinkLiveness(long timeoutNs) {
        if (timeoutNs <= 0) throw new IllegalArgumentException("link timeout must be positive, got " + timeoutNs + " ns");
        this.timeoutNs = timeoutNs;
        this.keepaliveIntervalNs = Math.max(1, timeoutNs / 4);
    }

    /** A keepalive frame, for peers and tests that write one themselves (a duplicate of the shared buffer). */
    public static ByteBuf keepaliveFrame() {
        return KEEPALIVE.duplicate();
    }

    /** Keepalive frames this handler sent (count). */
    public long keepalivesSent() {
        return keepalivesSent;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) start(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        lastReadNs = now(ctx);
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        lastWriteNs = now(ctx);
        super.write(ctx, msg, promise);
    }

    private void start(ChannelHandlerContext ctx) {
        if (tick != null) return;
        long now = now(ctx);
        lastReadNs = now;
        lastWriteNs = now;
        lastTickNs = now;
        schedule(ctx);
    }

    private void stop() {
        if (tick != null) {
            tick.cancel(false);
            tick = null;
        }
    }

    private void schedule(ChannelHandlerContext ctx) {
        tick = ctx.executor().schedule(() -> onTick(ctx), keepaliveIntervalNs, TimeUnit.NANOSECONDS);
    }

    private void onTick(ChannelHandlerContext ctx) {
        if (tick == null || !ctx.channel().isActive()) return;
        long now = now(ctx);
        boolean late = now - lastTickNs > 2 * keepaliveIntervalNs;
        lastTickNs = now;
        if (!ctx.channel().config().isAutoRead()) {
            lastReadNs = now; // reading is paused here: the silence is ours, not the peer's
        } else if (late) {
            // This side did not run for a while (a stopped process, a long GC pause): bytes that
            // arrived meanwhile wait in the socket, unread. Judge at the next tick, after reading them.
        } else if (now - lastReadNs >= timeoutNs) {
            tick = null;
            ctx.fireExceptionCaught(new LinkTimeoutException(
                    "no data from the peer for " + TimeUnit.NANOSECONDS.toMillis(now - lastReadNs)
                            + " ms (link timeout " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms): the link or the peer is gone"));
            ctx.close();
            return;
        }
        if (now - lastWriteNs >= keepaliveIntervalNs) {
            keepalivesSent++;
            lastWriteNs = now;
            ctx.writeAndFlush(keepaliveFrame(), ctx.voidPromise()); // from here towards the socket, not through write()
        }
        schedule(ctx);
    }

    private static long now(ChannelHandlerContext ctx) {
        return ctx.executor().ticker().nanoTime();
    }

    /** Nothing arrived on a connection for the whole link timeout. */
    public static final class LinkTimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        public LinkTimeoutException(String message) {
            super(message);
        }
    }
}
