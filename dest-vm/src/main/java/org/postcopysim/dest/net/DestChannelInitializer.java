package org.postcopysim.dest.net;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import org.postcopysim.protocol.FrameDecoder;
import org.postcopysim.protocol.LinkLiveness;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.chaos.ChaosHandler;
import org.postcopysim.protocol.chaos.ChaosState;

/**
 * The destination's pipeline: TLS when configured (always first), the link's liveness check and
 * keepalives (unless the link timeout is zero), frame splitting, fault injection on the page frames
 * received (when {@code --chaos} is set), then the connection's handler.
 */
public final class DestChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final int maxFrameBytes;
    private final DestConnectionHandler handler;
    private final SslContext tls;
    private final String sourceHost;
    private final int sourcePort;
    private final ChaosState chaos;
    private final Reliability liveness;

    /**
     * @param tls        the process's client TLS context, or null for plain TCP
     * @param sourceHost the host the source's certificate must name
     * @param sourcePort the source's port
     * @param chaos      the migration's fault injection on the page frames received, shared by its
     *                   connections, or null for none
     * @param liveness   the migration's reliability settings, for the link timeout; null for no liveness check
     */
    public DestChannelInitializer(int maxFrameBytes, DestConnectionHandler handler, SslContext tls, String sourceHost,
                                  int sourcePort, ChaosState chaos, Reliability liveness) {
        this.chaos = chaos;
        this.maxFrameBytes = maxFrameBytes;
        this.handler = handler;
        this.tls = tls;
        this.sourceHost = sourceHost;
        this.sourcePort = sourcePort;
        this.liveness = liveness;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (tls != null) ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), sourceHost, sourcePort));
        LinkLiveness live = liveness == null ? null : liveness.newLinkLiveness();
        if (live != null) ch.pipeline().addLast("liveness", live);
        ch.pipeline().addLast("frames", new FrameDecoder(maxFrameBytes));
        if (chaos != null) ch.pipeline().addLast("chaos", new ChaosHandler(chaos, ChaosHandler.Side.INBOUND));
        ch.pipeline().addLast("connection", handler);
    }
}
