package org.postcopysim.guest;

/**
 * A vCPU's pace ({@code --access-rate}) as arithmetic: the vCPU runs its accesses in batches of
 * {@link #BATCH_ACCESSES} and, after each, asks when the next batch is due. A vCPU that fell
 * behind (it was blocked on a fault, or descheduled) does not run flat out to catch up, which
 * would starve the threads that fetch its pages: it is paced from then on. Time is passed in; the
 * runner decides how to wait. Confined to its vCPU; allocation-free.
 */
public final class Pacing {
    /** Accesses between two looks at the clock (and at the stop flag). */
    public static final int BATCH_ACCESSES = 256;

    private final long accessesPerSec;
    private long startedNs;
    private long accessesSinceStart;

    /** @param accessesPerSec accesses per second, 0 for as fast as possible; {@code nowNs} on the runner's clock */
    public Pacing(long accessesPerSec, long nowNs) {
        if (accessesPerSec < 0) throw new IllegalArgumentException("access rate must be >= 0, got " + accessesPerSec);
        this.accessesPerSec = accessesPerSec;
        this.startedNs = nowNs;
    }

    /** Whether the vCPU is paced at all (else it never needs the clock). */
    public boolean paced() {
        return accessesPerSec > 0;
    }

    /**
     * A batch of {@link #BATCH_ACCESSES} ended at {@code nowNs}: when the next one is due, on the
     * same clock. At most {@code nowNs} means at once (unpaced, or behind: then pacing restarts
     * from {@code nowNs}).
     */
    public long nextBatchDueNs(long nowNs) {
        if (accessesPerSec == 0) return nowNs;
        accessesSinceStart += BATCH_ACCESSES;
        long dueNs = startedNs + accessesSinceStart * 1_000_000_000L / accessesPerSec;
        if (dueNs > nowNs) return dueNs;
        startedNs = nowNs;
        accessesSinceStart = 0;
        return nowNs;
    }
}
