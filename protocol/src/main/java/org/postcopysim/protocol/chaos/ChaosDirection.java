package org.postcopysim.protocol.chaos;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * How {@link ChaosHandler} passes, holds and releases frames in one pipeline direction:
 * {@link OutboundChaos} (frames written) or {@link InboundChaos} (frames read). The handler
 * decides when; this says how. Runs on the channel's event loop.
 */
abstract class ChaosDirection {
    final ChannelHandlerContext ctx;
    final ChaosState state;

    ChaosDirection(ChannelHandlerContext ctx, ChaosState state) {
        this.ctx = ctx;
        this.state = state;
    }

    /** Passes {@code msg} on now; counts its pages towards {@code disconnect@P%}. */
    abstract void forward(Object msg, ChannelPromise promise, int pages);

    /** Queues {@code msg} ({@code bytes} readable) behind the frames already held. */
    abstract void hold(Object msg, ChannelPromise promise, int bytes);

    /** Passes on the oldest held frame, which has {@code pages} pages and {@code bytes} bytes. */
    abstract void releaseOldest(int pages, long bytes);

    /** The promise of a duplicate whose original has {@code original}. */
    abstract ChannelPromise copyPromise(ChannelPromise original);

    /** Completes a round of releases; {@code fromTimer} when a scheduled task made it. */
    abstract void afterRelease(boolean fromTimer, boolean stillHolding);

    /** Releases every held buffer, failing held writes. Idempotent. */
    abstract void discardHeld();
}
