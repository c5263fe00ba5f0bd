package org.postcopysim.source;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.postcopysim.protocol.SocketErrors;
import org.postcopysim.protocol.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's listening socket: binds, serves once the guest is ready, owns the event loops (one
 * acceptor thread {@code source-accept}, {@link #IO_THREADS} I/O threads {@code source-io}), and
 * shuts them down.
 * Demand and background connections normally land on different I/O threads.
 */
final class SourceServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SourceServer.class);

    /** I/O threads: one for each of a migration's two connections. */
    static final int IO_THREADS = 2;
    /** Kernel send buffer per connection (bytes). */
    static final int SEND_BUFFER_BYTES = 1 << 20;
    /** Outbound bytes queued in Netty above which a connection turns unwritable. */
    static final int WRITE_HIGH_WATER_BYTES = 1 << 20;
    /** Outbound bytes queued in Netty below which it turns writable again. */
    static final int WRITE_LOW_WATER_BYTES = 256 << 10;
    /** Longest wait for the event loops to stop on close (ms). */
    static final long SHUTDOWN_TIMEOUT_MS = 5_000;

    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup ioGroup;
    private final Channel serverChannel;
    /** What every accepted connection's pipeline is set up by; null until {@link #serve}. */
    private final AtomicReference<ChannelHandler> pipeline;

    private SourceServer(EventLoopGroup acceptGroup, EventLoopGroup ioGroup, Channel serverChannel,
                         AtomicReference<ChannelHandler> pipeline) {
        this.acceptGroup = acceptGroup;
        this.ioGroup = ioGroup;
        this.serverChannel = serverChannel;
        this.pipeline = pipeline;
    }

    /**
     * Binds {@code host:port} (port 0 = any free port) but accepts no connection until
     * {@link #serve}: a source binds before it spends seconds generating guest memory, so that an
     * address in use fails at once, and a destination that connects meanwhile waits in the
     * kernel's backlog instead of meeting a source with no guest.
     *
     * @throws UncheckedIOException "cannot listen on HOST:PORT: why" (address in use, unknown host, ...)
     */
    static SourceServer bind(String host, int port) {
        InetSocketAddress address = new InetSocketAddress(host, port);
        String where = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        if (address.isUnresolved()) {
            throw new UncheckedIOException("cannot listen on " + where + ": unknown host", new UnknownHostException(host));
        }
        EventLoopGroup acceptGroup = Transport.newGroup(1, "source-accept");
        EventLoopGroup ioGroup = Transport.newGroup(IO_THREADS, "source-io");
        AtomicReference<ChannelHandler> pipeline = new AtomicReference<>();
        try {
            Channel ch = new ServerBootstrap()
                    .group(acceptGroup, ioGroup)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.AUTO_READ, false) // accept nothing before serve()
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_SNDBUF, SEND_BUFFER_BYTES)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(WRITE_LOW_WATER_BYTES, WRITE_HIGH_WATER_BYTES))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel child) {
                            child.pipeline().addLast(pipeline.get());
                        }
                    })
                    .bind(address).syncUninterruptibly().channel();
            return new SourceServer(acceptGroup, ioGroup, ch, pipeline);
        } catch (Exception e) { // Netty rethrows the bind's IOException unchecked
            shutdown(acceptGroup);
            shutdown(ioGroup);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot listen on " + where + ": " + SocketErrors.describe(String.valueOf(io.getMessage())), io);
            }
            throw e;
        }
    }

    /** Starts accepting connections, each set up by {@code initializer}. */
    void serve(ChannelInitializer<SocketChannel> initializer) {
        if (!pipeline.compareAndSet(null, initializer)) throw new IllegalStateException("already serving");
        serverChannel.config().setAutoRead(true);
        log.info("source listening on {} ({} transport)", localAddress(), Transport.name());
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * Closes the listening socket and every connection and stops the event loops.
     *
     * @return true when every event loop thread has stopped (no handler runs any more)
     */
    boolean shutdown() {
        serverChannel.close().syncUninterruptibly();
        boolean a = shutdown(acceptGroup);
        boolean b = shutdown(ioGroup);
        return a && b;
    }

    private static boolean shutdown(EventLoopGroup group) {
        group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        try {
            return group.awaitTermination(SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        shutdown();
    }
}
