package org.postcopysim.protocol.chaos;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;

/**
 * The source's direction: frames written, {@code [length][type][body]}. Held frames wait in a
 * {@link PendingWriteQueue}, so they count towards the channel's writability; a flush that
 * arrives while frames are held is passed on and repeated once the held frames are written.
 */
final class OutboundChaos extends ChaosDirection {
    private final PendingWriteQueue writes;
    private boolean flushOwed;

    OutboundChaos(ChannelHandlerContext ctx, ChaosState state) {
        super(ctx, state);
        this.writes = new PendingWriteQueue(ctx);
    }

    void flush(boolean holding) {
        if (holding) flushOwed = true;
        ctx.flush();
    }

    @Override
    void forward(Object msg, ChannelPromise promise, int pages) {
        if (!ctx.channel().isActive()) { // closed meanwhile: drop quietly, as the outbound buffer would
            ReferenceCountUtil.release(msg);
            if (!promise.isVoid()) promise.tryFailure(new ClosedChannelException());
            return;
        }
        ctx.write(msg, promise);
        if (pages > 0) state.onPagesPassed(pages);
    }

    @Override
    void hold(Object msg, ChannelPromise promise, int bytes) {
        writes.add(msg, promise);
    }

    @Override
    void releaseOldest(int pages, long bytes) {
        if (!ctx.channel().isActive()) {
            writes.removeAndFail(new ClosedChannelException());
        } else {
            writes.removeAndWrite();
            if (pages > 0) state.onPagesPassed(pages);
        }
    }

    @Override
    ChannelPromise copyPromise(ChannelPromise original) {
        return original.isVoid() ? ctx.voidPromise() : ctx.newPromise();
    }

    @Override
    void afterRelease(boolean fromTimer, boolean stillHolding) {
        if (flushOwed) {
            flushOwed = stillHolding;
            ctx.flush();
        }
    }

    @Override
    void discardHeld() {
        writes.removeAndFailAll(new ClosedChannelException());
    }
}
