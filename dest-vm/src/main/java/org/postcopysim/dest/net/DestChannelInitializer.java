package org.postcopysim.dest.net;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import org.postcopysim.protocol.FrameDecoder;
import org.postcopysim.protocol.chaos.ChaosHandler;
import org.postcopysim.protocol.chaos.ChaosState;

/**
 * The destination's pipeline: TLS when configured (always first), frame splitting, fault injection
 * on the page frames received (when {@code --chaos} is set), then the connection's handler.
 */
public final class DestChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final int maxFrameBytes;
    private final DestConnectionHandler handler;
    private final SslContext tls;
    private final String sourceHost;
    private final int sourcePort;
    private final ChaosState chaos;

    public DestChannelInitializer(int maxFrameBytes, DestConnectionHandler handler) {
        this(maxFrameBytes, handler, null, null, 0);
    }

    /**
     * @param tls        the process's client TLS context, or null for plain TCP
     * @param sourceHost the host the source's certificate must name
     * @param sourcePort the source's port
     */
    public DestChannelInitializer(int maxFrameBytes, DestConnectionHandler handler, SslContext tls, String sourceHost,
                                  int sourcePort) {
        this(maxFrameBytes, handler, tls, sourceHost, sourcePort, null);
    }

    /**
     * @param tls        the process's client TLS context, or null for plain TCP
     * @param sourceHost the host the source's certificate must name
     * @param sourcePort the source's port
     * @param chaos      the migration's fault injection on the page frames received, shared by its
     *                   connections, or null for none
     */
    public DestChannelInitializer(int maxFrameBytes, DestConnectionHandler handler, SslContext tls, String sourceHost,
                                  int sourcePort, ChaosState chaos) {
        this.chaos = chaos;
        this.maxFrameBytes = maxFrameBytes;
        this.handler = handler;
        this.tls = tls;
        this.sourceHost = sourceHost;
        this.sourcePort = sourcePort;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (tls != null) ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), sourceHost, sourcePort));
        ch.pipeline().addLast("frames", new FrameDecoder(maxFrameBytes));
        if (chaos != null) ch.pipeline().addLast("chaos", new ChaosHandler(chaos, ChaosHandler.Side.INBOUND));
        ch.pipeline().addLast("connection", handler);
    }
}
