package org.postcopysim.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
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
 * link once the stall outlasts the link timeout; recovery then reconnects when it wakes.
 *
 * <p>A busy or starved machine must not pass for a dead link (issue 8: a soak on a loaded 2-core
 * machine timed out live links whose event loops ran hundreds of ms late). Three rules:
 * <ul>
 *   <li><b>Keepalives from the read path.</b> An event loop busy with this connection's inbound
 *       work runs its scheduled check late; so every read also sends the keepalive when one is
 *       due, and a loop that is still reading still says it is alive.</li>
 *   <li><b>Silence counts only while this side runs on time.</b> Each check adds at most one
 *       keepalive interval to the silence, however late it runs: time this side itself did not
 *       run (a stopped process, a GC pause, a starved thread, whether in one piece or split over
 *       several checks) is not held against the peer, which was likely starved by the same
 *       cause. On a machine where the checks run on time this changes nothing; where they run
 *       late the timeout stretches by as much. A check that runs more than two intervals late
 *       reads what arrived meanwhile before it judges.</li>
 *   <li><b>A peer in this process.</b> When the other end of the connection is a
 *       {@code LinkLiveness} in this JVM (source and destination over loopback, as in
 *       {@code soak} and the tests), its silence is judged only once its own checks have run on
 *       time for a whole link timeout: an end whose event loop is overdue or was recently late
 *       is a stall of this very process, not a dead link. Between processes this never
 *       applies.</li>
 * </ul>
 *
 * <p>Runs on the channel's event loop only (the peer lookup reads two published times of the
 * other end); time comes from the loop's ticker, so tests drive it with
 * {@code EmbeddedChannel.advanceTimeBy}. Allocates nothing per read or write: the keepalive
 * frame is one shared read-only buffer.
 */
public final class LinkLiveness extends ChannelDuplexHandler {
    /** The keepalive frame: length 1, type byte, empty body. */
    private static final ByteBuf KEEPALIVE = Unpooled.unreleasableBuffer(Unpooled.directBuffer(FrameDescriptor.HEADER_BYTES)
            .writeInt(1).writeByte(FrameType.FRAME_TYPE_KEEPALIVE_VALUE).asReadOnly());

    /** The two ends of a TCP connection as one side sees them. */
    private record Ends(InetSocketAddress local, InetSocketAddress remote) {
        Ends reversed() {
            return new Ends(remote, local);
        }
    }

    /** The open connections of this process by their ends: the other end of a connection within this JVM is here too. */
    private static final ConcurrentHashMap<Ends, LinkLiveness> IN_PROCESS = new ConcurrentHashMap<>();

    private static final VarHandle LAST_TICK;
    private static final VarHandle LAST_LATE_TICK;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LAST_TICK = l.findVarHandle(LinkLiveness.class, "lastTickNs", long.class);
            LAST_LATE_TICK = l.findVarHandle(LinkLiveness.class, "lastLateTickNs", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long timeoutNs;
    private final long keepaliveIntervalNs;
    private Ticker ticker;
    private long lastReadNs;
    private long lastWriteNs;
    /** When the last check ran; published (release) for the other end in this process. */
    private long lastTickNs;
    /** When the last check that ran late ran; published (release) for the other end in this process. */
    private long lastLateTickNs;
    /** Silence since the last read, counted at most one interval per check (ns). */
    private long quietNs;
    private long keepalivesSent;
    private Ends ends;
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
        long now = now(ctx);
        lastReadNs = now;
        quietNs = 0;
        // A loop busy with this connection runs its check late: say we are alive from here too.
        if (tick != null && now - lastWriteNs >= keepaliveIntervalNs) sendKeepalive(ctx, now);
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        lastWriteNs = now(ctx);
        super.write(ctx, msg, promise);
    }

    private void start(ChannelHandlerContext ctx) {
        if (tick != null) return;
        ticker = ctx.executor().ticker();
        long now = now(ctx);
        lastReadNs = now;
        lastWriteNs = now;
        LAST_TICK.setRelease(this, now);
        LAST_LATE_TICK.setRelease(this, now - timeoutNs); // never late so far
        quietNs = 0;
        if (ctx.channel().localAddress() instanceof InetSocketAddress local
                && ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
            ends = new Ends(local, remote);
            IN_PROCESS.put(ends, this);
        }
        schedule(ctx);
    }

    private void stop() {
        if (tick != null) {
            tick.cancel(false);
            tick = null;
        }
        if (ends != null) {
            IN_PROCESS.remove(ends, this);
            ends = null;
        }
    }

    private void schedule(ChannelHandlerContext ctx) {
        tick = ctx.executor().schedule(() -> onTick(ctx), keepaliveIntervalNs, TimeUnit.NANOSECONDS);
    }

    private void onTick(ChannelHandlerContext ctx) {
        if (tick == null || !ctx.channel().isActive()) return;
        long now = now(ctx);
        long previous = lastTickNs;
        boolean late = now - previous > 2 * keepaliveIntervalNs;
        // At most one interval of silence per check: while this side did not run, the peer is not judged.
        long silentSince = Math.max(previous, lastReadNs);
        if (now > silentSince) quietNs += Math.min(now - silentSince, keepaliveIntervalNs);
        LAST_TICK.setRelease(this, now);
        if (late) LAST_LATE_TICK.setRelease(this, now);
        if (!ctx.channel().config().isAutoRead()) {
            lastReadNs = now; // reading is paused here: the silence is ours, not the peer's
            quietNs = 0;
        } else if (late) {
            // This side did not run for a while (a stopped process, a long GC pause): bytes that
            // arrived meanwhile wait in the socket, unread. Judge at the next tick, after reading them.
        } else if (quietNs >= timeoutNs && !peerInThisProcessStalled(now)) {
            tick = null;
            ctx.fireExceptionCaught(new LinkTimeoutException(
                    "no data from the peer for " + TimeUnit.NANOSECONDS.toMillis(now - lastReadNs)
                            + " ms (link timeout " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms): the link or the peer is gone"));
            ctx.close();
            return;
        }
        if (now - lastWriteNs >= keepaliveIntervalNs) sendKeepalive(ctx, now);
        schedule(ctx);
    }

    private void sendKeepalive(ChannelHandlerContext ctx, long now) {
        keepalivesSent++;
        lastWriteNs = now;
        ctx.writeAndFlush(keepaliveFrame(), ctx.voidPromise()); // from here towards the socket, not through write()
    }

    /**
     * Whether the other end of this connection is a {@code LinkLiveness} of this JVM whose own
     * checks have not run on time for a whole link timeout: its event loop is overdue now, or ran
     * a check late within the last link timeout. Its silence is then this process's stall.
     */
    private boolean peerInThisProcessStalled(long now) {
        if (ends == null) return false;
        LinkLiveness peer = IN_PROCESS.get(ends.reversed());
        if (peer == null || peer.ticker != ticker) return false;
        long peerTick = (long) LAST_TICK.getAcquire(peer);
        long peerLateTick = (long) LAST_LATE_TICK.getAcquire(peer);
        return now - peerTick > 2 * peer.keepaliveIntervalNs || now - peerLateTick < timeoutNs;
    }

    private long now(ChannelHandlerContext ctx) {
        return ticker != null ? ticker.nanoTime() : ctx.executor().ticker().nanoTime();
    }

    /** Nothing arrived on a connection for the whole link timeout. */
    public static final class LinkTimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        public LinkTimeoutException(String message) {
            super(message);
        }
    }
}
