package org.postcopysim.dest.net;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import org.postcopysim.protocol.FrameDecoder;

/** The destination's pipeline: frame splitting, then the connection's handler. Nothing else. */
public final class DestChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final int maxFrameBytes;
    private final DestConnectionHandler handler;

    public DestChannelInitializer(int maxFrameBytes, DestConnectionHandler handler) {
        this.maxFrameBytes = maxFrameBytes;
        this.handler = handler;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast("frames", new FrameDecoder(maxFrameBytes)).addLast("connection", handler);
    }
}
