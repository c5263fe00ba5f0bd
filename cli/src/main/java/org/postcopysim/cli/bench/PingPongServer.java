package org.postcopysim.cli.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.postcopysim.protocol.Transport;

/**
 * The server half of the raw ping-pong: binds, serves connections with a
 * {@link PingPongServerHandler} each (one acceptor thread {@code pingpong-accept}, one I/O thread
 * {@code pingpong-io}), and reports when the first connection has come and closed.
 */
final class PingPongServer implements AutoCloseable {
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup ioGroup;
    private final Channel serverChannel;
    private final ByteBuf page;
    private boolean closed;
    private final CompletableFuture<Void> firstClientCame = new CompletableFuture<>();
    private final CompletableFuture<Void> firstClientGone = new CompletableFuture<>();

    private PingPongServer(String host, int port) {
        acceptGroup = Transport.newGroup(1, "pingpong-accept");
        ioGroup = Transport.newGroup(1, "pingpong-io");
        page = Unpooled.directBuffer(PingPong.REPLY_BYTES);
        for (int i = 0; i < PingPong.REPLY_BYTES / Long.BYTES; i++) page.writeLong(0x9E3779B97F4A7C15L * (i + 1));
        try {
            serverChannel = new ServerBootstrap()
                    .group(acceptGroup, ioGroup)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_SNDBUF, PingPong.SERVER_SEND_BUFFER_BYTES)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new PingPongServerHandler(page));
                            firstClientCame.complete(null);
                            ch.closeFuture().addListener(f -> firstClientGone.complete(null));
                        }
                    })
                    .bind(host, port).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Binds {@code host:port} (0 = any free port). */
    static PingPongServer bind(String host, int port) {
        return new PingPongServer(host, port);
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Completes when the first client has connected. */
    CompletableFuture<Void> firstClientCame() {
        return firstClientCame;
    }

    /** Completes when the first client's connection has closed. */
    CompletableFuture<Void> firstClientGone() {
        return firstClientGone;
    }

    /** Closes the listening socket and every connection, stops the event loops. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (serverChannel != null) serverChannel.close().syncUninterruptibly();
        acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (page.refCnt() > 0) page.release();
    }
}
