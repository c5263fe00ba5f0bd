package org.postcopysim.source;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import org.postcopysim.protocol.FrameDecoder;

/** The pipeline of every accepted connection: frame decoder, then the source handler. */
final class SourceChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final SourceContext context;

    SourceChannelInitializer(SourceContext context) {
        this.context = context;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast(new FrameDecoder(context.config().maxFrameBytes()), new SourceHandler(context));
    }
}
