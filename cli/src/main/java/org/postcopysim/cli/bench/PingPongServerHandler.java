package org.postcopysim.cli.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers every {@link PingPong#REQUEST_BYTES} received with one {@link PingPong#REPLY_BYTES}
 * reply (a retained slice of one off-heap page, so nothing is copied or allocated per reply but
 * the slice), flushed once per read burst. Counts bytes only: a request split over two reads is
 * answered when its last byte arrives.
 */
final class PingPongServerHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PingPongServerHandler.class);

    private final ByteBuf page;
    private int pendingRequestBytes;
    private long replies;

    /** @param page the reply, {@link PingPong#REPLY_BYTES} readable; not released here */
    PingPongServerHandler(ByteBuf page) {
        this.page = page;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            pendingRequestBytes += in.readableBytes();
        } finally {
            in.release();
        }
        while (pendingRequestBytes >= PingPong.REQUEST_BYTES) {
            pendingRequestBytes -= PingPong.REQUEST_BYTES;
            ctx.write(page.retainedDuplicate(), ctx.voidPromise());
            replies++;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        log.debug("ping-pong client left after {} replies", replies);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("ping-pong server: {}", cause.toString());
        ctx.close();
    }
}
