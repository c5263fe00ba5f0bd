package org.postcopysim.dest.threads;

import java.util.concurrent.locks.LockSupport;
import org.postcopysim.time.NanoClock;

/**
 * The time a local "fetch" takes before its copy (fault-bench's {@code --fetch-delay-us}), the
 * same for the model's resolvers and the kernel backend's readers: short delays are spun, since a
 * park would oversleep them by the timer slack; longer ones park first, then spin the rest.
 */
public final class FetchDelay {
    /** Delays up to this long are spun (nanoseconds). */
    public static final long SPIN_DELAY_LIMIT_NS = 50_000;

    private FetchDelay() {
    }

    /** Waits {@code delayNs} (nothing for 0 or less) by {@code clock}. */
    public static void await(long delayNs, NanoClock clock, Object blocker) {
        if (delayNs <= 0) return;
        long until = clock.nanoTime() + delayNs;
        if (delayNs > SPIN_DELAY_LIMIT_NS) LockSupport.parkNanos(blocker, delayNs);
        while (clock.nanoTime() < until) Thread.onSpinWait();
    }
}
