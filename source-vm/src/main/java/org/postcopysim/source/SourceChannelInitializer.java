package org.postcopysim.source;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.SslContext;
import org.postcopysim.protocol.FrameDecoder;
import org.postcopysim.protocol.LinkLiveness;
import org.postcopysim.protocol.chaos.ChaosHandler;
import org.postcopysim.protocol.chaos.ChaosState;

/**
 * The pipeline of every accepted connection: TLS (when configured, always first), the link's
 * liveness check and keepalives (unless the link timeout is zero), frame decoder,
 * flow control (frames decoded in one read wait there while the handler has paused reading,
 * see {@link DemandHandler}), fault injection on the page frames written (when {@code --chaos} is
 * set), then the connection's handler: {@link HelloHandler}, which replaces itself with the
 * handler of the role the Hello names.
 */
final class SourceChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final SourceContext context;
    private final SslContext tls;
    private final ChaosState chaos;

    /** Plain TCP. */
    SourceChannelInitializer(SourceContext context) {
        this(context, null);
    }

    /** @param tls the process's server TLS context, or null for plain TCP */
    SourceChannelInitializer(SourceContext context, SslContext tls) {
        this(context, tls, null);
    }

    /**
     * @param tls   the process's server TLS context, or null for plain TCP
     * @param chaos the process's fault injection, shared by every connection, or null for none
     */
    SourceChannelInitializer(SourceContext context, SslContext tls, ChaosState chaos) {
        this.context = context;
        this.tls = tls;
        this.chaos = chaos;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) p.addLast("tls", tls.newHandler(ch.alloc()));
        LinkLiveness live = context.config().reliability().newLinkLiveness();
        if (live != null) p.addLast("liveness", live);
        p.addLast(new FrameDecoder(context.config().maxFrameBytes()));
        p.addLast("flow", new FlowControlHandler());
        if (chaos != null) p.addLast("chaos", new ChaosHandler(chaos, ChaosHandler.Side.OUTBOUND));
        p.addLast(SourceConnection.NAME, new HelloHandler(context));
    }
}
