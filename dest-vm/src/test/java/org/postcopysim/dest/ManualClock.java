package org.postcopysim.dest;

import java.time.Duration;
import org.postcopysim.time.NanoClock;

/**
 * A clock that runs with real time and jumps forward when the test says so: a run on it behaves
 * as usual (pacing, latencies, backoff) until the test moves it past a deadline, which then
 * passes at once instead of after a real wait. Monotonic, as {@link NanoClock} requires.
 */
final class ManualClock implements NanoClock {
    private volatile long offsetNs;

    @Override
    public long nanoTime() {
        return System.nanoTime() + offsetNs;
    }

    /** Moves the clock forward by {@code d}. */
    synchronized void advance(Duration d) {
        if (d.isNegative()) throw new IllegalArgumentException("a clock never goes back: " + d);
        offsetNs += d.toNanos();
    }
}
