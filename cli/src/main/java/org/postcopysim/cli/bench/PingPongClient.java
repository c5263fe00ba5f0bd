package org.postcopysim.cli.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.postcopysim.protocol.Transport;

/**
 * The client half of the raw ping-pong: one connection (TCP_NODELAY, the project's
 * {@link Transport}), one request in flight at a time, each round trip recorded in nanoseconds.
 *
 * <p>Two ways to wait, measured separately:
 * <ul>
 *   <li>{@link #roundTripsParked}: the calling thread writes the request (a cross-thread write
 *       the event loop picks up, as a vCPU thread sends its PAGE_REQUEST) and parks until the
 *       event loop, having read the whole reply, unparks it (as the installer wakes a vCPU). This
 *       is the like-for-like floor of a demand fault.</li>
 *   <li>{@link #roundTripsOnEventLoop}: the event loop sends the next request itself from the
 *       reply handler; no other thread is involved. This is the network stack and Netty alone.</li>
 * </ul>
 */
final class PingPongClient implements AutoCloseable {
    /** How long a parked caller sleeps before it re-checks the connection (as a blocked vCPU does; ns). */
    static final long PARK_RECHECK_NS = 1_000_000;
    /** Largest round trip the histograms hold (ns); longer ones are clamped to it. */
    static final long HIGHEST_TRACKABLE_NS = TimeUnit.SECONDS.toNanos(10);
    /** Significant digits of the histograms. */
    static final int SIGNIFICANT_DIGITS = 3;

    private final EventLoopGroup group;
    private final Channel channel;
    private final PingPongClientHandler handler;

    private PingPongClient(EventLoopGroup group, Channel channel, PingPongClientHandler handler) {
        this.group = group;
        this.channel = channel;
        this.handler = handler;
    }

    /** Connects to the server at {@code host:port}. */
    static PingPongClient connect(String host, int port, long timeoutMs) throws IOException {
        EventLoopGroup group = Transport.newGroup(1, "bench-io");
        PingPongClientHandler handler = new PingPongClientHandler();
        ChannelFuture f = new Bootstrap()
                .group(group)
                .channel(Transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_RCVBUF, PingPong.CLIENT_RECEIVE_BUFFER_BYTES)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMs)
                .handler(handler)
                .connect(host, port)
                .awaitUninterruptibly();
        if (!f.isSuccess()) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            throw new IOException("cannot connect to the ping-pong server at " + host + ":" + port + ": " + f.cause());
        }
        return new PingPongClient(group, f.channel(), handler);
    }

    static Histogram newHistogram() {
        return new Histogram(HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
    }

    /**
     * {@code warmup} unrecorded then {@code iterations} recorded round trips, the calling thread
     * parked while each is in flight. Throws when the connection drops or {@code deadlineNs}
     * (a {@link System#nanoTime()} value) passes.
     */
    Histogram roundTripsParked(int warmup, int iterations, long deadlineNs) throws IOException {
        Histogram h = newHistogram();
        handler.waiter(Thread.currentThread());
        try {
            long expected = handler.replies();
            for (int i = 0; i < warmup + iterations; i++) {
                long t0 = System.nanoTime();
                channel.writeAndFlush(request(channel.alloc(), i), channel.voidPromise());
                expected++;
                while (handler.replies() < expected) {
                    if (!channel.isActive()) throw new IOException("the ping-pong server closed the connection");
                    if (System.nanoTime() - deadlineNs > 0) throw new IOException("ping-pong timed out");
                    LockSupport.parkNanos(this, PARK_RECHECK_NS);
                }
                long rttNs = System.nanoTime() - t0;
                if (i >= warmup) h.recordValue(Math.min(rttNs, HIGHEST_TRACKABLE_NS));
            }
        } finally {
            handler.waiter(null);
        }
        return h;
    }

    /**
     * {@code warmup} unrecorded then {@code iterations} recorded round trips driven by the event
     * loop itself; the caller only waits for the end.
     */
    Histogram roundTripsOnEventLoop(int warmup, int iterations, long deadlineNs) throws IOException, InterruptedException {
        EventLoopDriver driver = new EventLoopDriver(warmup, warmup + iterations);
        channel.eventLoop().execute(() -> driver.start(channel.pipeline().context(handler)));
        channel.closeFuture().addListener(f -> driver.done.completeExceptionally(
                new IOException("the ping-pong server closed the connection")));
        try {
            return driver.done.get(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IOException("ping-pong timed out");
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    /** Sends each request from the reply handler of the previous one; lives on the event loop. */
    private final class EventLoopDriver implements PingPongClientHandler.ReplyListener {
        final CompletableFuture<Histogram> done = new CompletableFuture<>();
        private final Histogram histogram = newHistogram();
        private final int warmup;
        private final int total;
        private int completed;
        private long sentNs;

        EventLoopDriver(int warmup, int total) {
            this.warmup = warmup;
            this.total = total;
        }

        void start(ChannelHandlerContext ctx) {
            if (total == 0) {
                done.complete(histogram);
                return;
            }
            handler.listener(this);
            send(ctx);
        }

        @Override
        public void onReply(ChannelHandlerContext ctx, long nowNs) {
            if (completed >= warmup) histogram.recordValue(Math.min(nowNs - sentNs, HIGHEST_TRACKABLE_NS));
            if (++completed == total) {
                handler.listener(null);
                done.complete(histogram);
                return;
            }
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            sentNs = System.nanoTime();
            ctx.writeAndFlush(request(ctx.alloc(), completed), ctx.voidPromise());
        }
    }

    /** One request: its sequence number, zero padded to {@link PingPong#REQUEST_BYTES}. */
    private static ByteBuf request(ByteBufAllocator alloc, long sequence) {
        ByteBuf b = alloc.buffer(PingPong.REQUEST_BYTES);
        b.writeLong(sequence);
        b.writeZero(PingPong.REQUEST_BYTES - Long.BYTES);
        return b;
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
