package org.postcopysim.cli.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts whole replies as they arrive (bytes only, no decoding) and, for each one, either wakes
 * the parked caller thread (as the destination's installer wakes a vCPU) or, when a
 * {@link ReplyListener} is set, calls it on the event loop.
 */
final class PingPongClientHandler extends ChannelInboundHandlerAdapter {
    /** Called on the event loop for each whole reply, at {@code nowNs}. */
    @FunctionalInterface
    interface ReplyListener {
        void onReply(ChannelHandlerContext ctx, long nowNs);
    }

    /** Whole replies received; written by the event loop only, read by the waiting caller. */
    private volatile long replies;
    /** The caller thread to wake for each reply (null: none waits). */
    private volatile Thread waiter;
    /** Set and cleared on the event loop. */
    private ReplyListener listener;
    private int pendingReplyBytes;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            pendingReplyBytes += in.readableBytes();
        } finally {
            in.release();
        }
        while (pendingReplyBytes >= PingPong.REPLY_BYTES) {
            pendingReplyBytes -= PingPong.REPLY_BYTES;
            replies = replies + 1; // single writer
            ReplyListener l = listener;
            if (l != null) {
                l.onReply(ctx, System.nanoTime());
            } else {
                Thread t = waiter;
                if (t != null) LockSupport.unpark(t);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Thread t = waiter;
        if (t != null) LockSupport.unpark(t);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** Whole replies received so far. */
    long replies() {
        return replies;
    }

    /** The thread {@link #channelRead} unparks for each reply. */
    void waiter(Thread t) {
        waiter = t;
    }

    /** Call on the event loop. */
    void listener(ReplyListener l) {
        listener = l;
    }
}
