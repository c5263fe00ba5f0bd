package org.postcopysim.protocol;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The Netty transport: native epoll where it loads (Linux x86_64 and aarch64), NIO otherwise.
 * {@code -Dpostcopysim.transport=nio} forces NIO.
 */
public final class Transport {
    /** System property naming the transport: {@code epoll} (default where available) or {@code nio}. */
    public static final String PROPERTY = "postcopysim.transport";

    private static final boolean EPOLL = !"nio".equalsIgnoreCase(System.getProperty(PROPERTY))
            && Epoll.isAvailable();

    private Transport() {}

    /** "epoll" or "nio". */
    public static String name() {
        return EPOLL ? "epoll" : "nio";
    }

    private static IoHandlerFactory ioHandlerFactory() {
        return EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /** An event loop group of {@code threads} threads named {@code prefix-N}. */
    public static EventLoopGroup newGroup(int threads, String prefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(prefix, true), ioHandlerFactory());
    }

    /** An event loop group of {@code threads} threads made by {@code factory}. */
    public static EventLoopGroup newGroup(int threads, java.util.concurrent.ThreadFactory factory) {
        return new MultiThreadIoEventLoopGroup(threads, factory, ioHandlerFactory());
    }

    public static Class<? extends SocketChannel> socketChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public static Class<? extends ServerSocketChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }
}
