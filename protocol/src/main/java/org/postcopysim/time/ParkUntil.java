package org.postcopysim.time;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** A thread's wait for a time on its clock, for the runners (the model never waits). */
public final class ParkUntil {
    private ParkUntil() {}

    /**
     * Parks the calling thread until {@code clock} reaches {@code dueNs} ({@code nowNs} is the
     * clock's time now, already read). A wake-up before then (a spurious one, or an unpark meant
     * for another wait) does not end the wait; {@code stopped} is checked after each. Returns
     * false when stopped, true once the time has come.
     *
     * @param blocker what the thread waits for, as {@link LockSupport#getBlocker} reports it
     */
    public static boolean until(NanoClock clock, long dueNs, long nowNs, BooleanSupplier stopped, Object blocker) {
        long now = nowNs;
        while (dueNs > now) {
            LockSupport.parkNanos(blocker, dueNs - now);
            if (stopped.getAsBoolean()) return false;
            now = clock.nanoTime();
        }
        return true;
    }
}
