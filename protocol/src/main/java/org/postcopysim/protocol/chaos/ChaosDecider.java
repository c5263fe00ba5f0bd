package org.postcopysim.protocol.chaos;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Decides each frame's {@link FrameFate} from the {@link ChaosSpec} and one connection's seeded
 * generator: no Netty, no clock, no threads, so the same seed gives the same fates for the same
 * frames. One instance per connection, used from one thread at a time.
 *
 * <p>Per page frame it draws, in this order and only for the terms the spec has: duplicate?,
 * reorder?, corrupt?, jitter. A frame that is not a page frame draws nothing. A page frame with
 * no pages still draws corrupt? but is never corrupted (it has no page to damage).
 */
public final class ChaosDecider {
    /** The page count {@link #decide} takes for a frame that is not a PAGE_BATCH frame. */
    public static final int NOT_A_PAGE_FRAME = -1;

    private final ChaosSpec spec;
    private final SplittableRandom random;
    private final long delayNs;
    private final long jitterBoundNs;
    /** The fate of a page frame nothing but the fixed delay happens to: made once, as most frames get it. */
    private final FrameFate plain;

    public ChaosDecider(ChaosSpec spec, SplittableRandom random) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.random = Objects.requireNonNull(random, "random");
        this.delayNs = TimeUnit.MILLISECONDS.toNanos(spec.delayMs());
        this.jitterBoundNs = TimeUnit.MILLISECONDS.toNanos(spec.jitterMs()) + 1;
        this.plain = new FrameFate(false, false, false, delayNs, spec.slowSourceBytesPerSec() > 0);
    }

    /** The fate of a frame of {@code pages} pages ({@link #NOT_A_PAGE_FRAME} for any other frame). */
    public FrameFate decide(int pages) {
        if (pages < 0) return FrameFate.UNTOUCHED;
        boolean duplicate = draw(spec.duplicateRate());
        boolean reorder = draw(spec.reorderRate());
        boolean corrupt = draw(spec.corruptRate()) && pages > 0;
        long holdNs = delayNs;
        if (spec.jitterMs() > 0) holdNs += random.nextLong(jitterBoundNs);
        if (!duplicate && !reorder && !corrupt && holdNs == delayNs) return plain; // no allocation per frame
        return new FrameFate(duplicate, reorder, corrupt, holdNs, spec.slowSourceBytesPerSec() > 0);
    }

    private boolean draw(double rate) {
        return rate > 0 && random.nextDouble() < rate;
    }
}
