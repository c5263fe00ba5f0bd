package org.postcopysim.source;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DefaultSocketChannelConfig;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import java.net.InetSocketAddress;
import java.net.Socket;
import io.netty.util.concurrent.Ticker;

/**
 * An {@link EmbeddedChannel} that is a {@link SocketChannel}, so that the source's real
 * {@code ChannelInitializer<SocketChannel>} can build its pipeline on it. Created unregistered:
 * the caller adds handlers, then calls {@link #register()}, as an accepted connection would go.
 * Half-closes are not modelled (the source never uses them).
 */
final class EmbeddedSocketChannel extends EmbeddedChannel implements SocketChannel {
    /** Backs every instance's socket options; never connected. */
    private static final Socket UNCONNECTED = new Socket();
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 4444);
    private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 40000);

    /** Set lazily: the superclass constructor already asks for the configuration. */
    private SocketChannelConfig socketConfig;

    EmbeddedSocketChannel(ChannelHandler... handlers) {
        super(false, false, handlers); // not registered, no disconnect support: close() closes
    }

    /** Like the other, with the event loop's time from {@code ticker} (one clock for several channels). */
    EmbeddedSocketChannel(Ticker ticker, ChannelHandler... handlers) {
        super(EmbeddedChannel.builder().register(false).hasDisconnect(false).handlers(handlers).ticker(ticker));
    }

    @Override
    public SocketChannelConfig config() {
        if (socketConfig == null) socketConfig = new DefaultSocketChannelConfig(this, UNCONNECTED);
        return socketConfig;
    }

    @Override
    public ServerSocketChannel parent() {
        return null;
    }

    @Override
    public InetSocketAddress localAddress() {
        return LOCAL;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return REMOTE;
    }

    @Override
    public boolean isInputShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdownInput() {
        return close();
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        return close(promise);
    }

    @Override
    public boolean isOutputShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return close();
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        return close(promise);
    }

    @Override
    public boolean isShutdown() {
        return !isActive();
    }

    @Override
    public ChannelFuture shutdown() {
        return close();
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        return close(promise);
    }
}
