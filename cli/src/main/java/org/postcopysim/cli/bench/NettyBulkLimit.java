package org.postcopysim.cli.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.postcopysim.protocol.Transport;

/**
 * The fallback limit when iperf3 is not installed: a raw Netty bulk transfer on 127.0.0.1 with
 * the project's transport, one event loop thread sending and one receiving (in this JVM). The
 * sender writes 4 KiB pages, each a slice of one off-heap 1 MiB buffer (nothing is copied in
 * user space), while the channel is writable; the receiver counts and drops what it reads. The
 * rate is the bytes received after the first {@link #WARMUP_MS} ms over the time since.
 */
final class NettyBulkLimit implements WireLimit {
    /** Bytes of one page. */
    static final int PAGE_BYTES = 4096;
    /** The source region the pages are sliced from (bytes). */
    static final int REGION_BYTES = 1 << 20;
    /** Unmeasured start of the transfer (ms). */
    static final long WARMUP_MS = 500;

    @Override
    public String tool() {
        return "netty";
    }

    @Override
    public double measureBytesPerSec(int seconds) throws IOException, InterruptedException {
        EventLoopGroup rx = Transport.newGroup(1, "bulk-rx");
        EventLoopGroup tx = Transport.newGroup(1, "bulk-tx");
        ByteBuf region = PooledByteBufAllocator.DEFAULT.directBuffer(REGION_BYTES);
        try {
            for (int i = 0; i < REGION_BYTES / Long.BYTES; i++) region.writeLong(0x9E3779B97F4A7C15L * (i + 1));
            Receiver receiver = new Receiver(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WARMUP_MS));
            Channel server = new ServerBootstrap().group(rx).channel(Transport.serverChannel())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(receiver);
                        }
                    })
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
            long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WARMUP_MS) + TimeUnit.SECONDS.toNanos(seconds);
            Sender sender = new Sender(region, endNs);
            Channel client = new Bootstrap().group(tx).channel(Transport.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(REGION_BYTES / 4, REGION_BYTES))
                    .handler(sender)
                    .connect((InetSocketAddress) server.localAddress()).syncUninterruptibly().channel();
            if (!receiver.done.await(seconds + 30L, TimeUnit.SECONDS)) throw new IOException("the bulk transfer did not end");
            client.close().syncUninterruptibly();
            server.close().syncUninterruptibly();
            return receiver.bytesPerSec();
        } finally {
            region.release();
            tx.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            rx.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Writes pages until {@code endNs}, then closes; resumes when the channel turns writable again. */
    private static final class Sender extends ChannelInboundHandlerAdapter {
        private final ByteBuf region;
        private final long endNs;
        private int offset;

        Sender(ByteBuf region, long endNs) {
            this.region = region;
            this.endNs = endNs;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) pump(ctx);
        }

        private void pump(ChannelHandlerContext ctx) {
            if (System.nanoTime() >= endNs) {
                ctx.close();
                return;
            }
            while (ctx.channel().isWritable()) {
                ctx.write(region.retainedSlice(offset, PAGE_BYTES), ctx.voidPromise());
                offset = (offset + PAGE_BYTES) % REGION_BYTES;
                if (offset == 0) ctx.flush();
            }
            ctx.flush();
        }
    }

    /** Counts the bytes after the warm-up and the time they took. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Receiver extends ChannelInboundHandlerAdapter {
        private final long measureFromNs;
        final CountDownLatch done = new CountDownLatch(1);
        private long firstNs;
        private long lastNs;
        private long bytes;

        Receiver(long measureFromNs) {
            this.measureFromNs = measureFromNs;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            long now = System.nanoTime();
            if (now >= measureFromNs) {
                if (firstNs == 0) firstNs = now;
                else bytes += in.readableBytes(); // the bytes after the first measured read
                lastNs = now;
            }
            in.release();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.countDown();
        }

        double bytesPerSec() throws IOException {
            if (lastNs <= firstNs || bytes == 0) throw new IOException("the bulk transfer moved no bytes to measure");
            return bytes * 1e9 / (lastNs - firstNs);
        }
    }
}
