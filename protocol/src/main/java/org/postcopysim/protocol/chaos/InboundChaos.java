package org.postcopysim.protocol.chaos;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The destination's direction: frames read, after the frame decoder, {@code [type][body]}. Held
 * frames above {@link ChaosHandler#MAX_HELD_INBOUND_BYTES} stop reading from the socket until
 * half have been delivered; a timer's release ends with a read-complete of its own.
 */
final class InboundChaos extends ChaosDirection {
    private final ArrayDeque<Object> reads = new ArrayDeque<>();
    private long heldBytes;
    private boolean readsPaused;

    InboundChaos(ChannelHandlerContext ctx, ChaosState state) {
        super(ctx, state);
    }

    @Override
    void forward(Object msg, ChannelPromise promise, int pages) {
        ctx.fireChannelRead(msg);
        if (pages > 0) state.onPagesPassed(pages);
    }

    @Override
    void hold(Object msg, ChannelPromise promise, int bytes) {
        reads.add(msg);
        heldBytes += bytes;
        if (!readsPaused && heldBytes > ChaosHandler.MAX_HELD_INBOUND_BYTES) {
            readsPaused = true;
            org.postcopysim.protocol.ReadPauses.pause(ctx.channel());
        }
    }

    @Override
    void releaseOldest(int pages, long bytes) {
        heldBytes -= bytes;
        forward(reads.poll(), null, pages);
    }

    @Override
    ChannelPromise copyPromise(ChannelPromise original) {
        return null;
    }

    @Override
    void afterRelease(boolean fromTimer, boolean stillHolding) {
        if (fromTimer) ctx.fireChannelReadComplete();
        if (readsPaused && heldBytes <= ChaosHandler.MAX_HELD_INBOUND_BYTES / 2) {
            readsPaused = false;
            org.postcopysim.protocol.ReadPauses.resume(ctx.channel());
        }
    }

    @Override
    void discardHeld() {
        for (Object m; (m = reads.poll()) != null; ) ReferenceCountUtil.release(m);
        heldBytes = 0;
    }
}
