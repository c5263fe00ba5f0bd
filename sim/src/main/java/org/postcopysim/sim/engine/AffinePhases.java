package org.postcopysim.sim.engine;

import org.postcopysim.guest.SplitMix64;

/**
 * When the host's scheduler places woken threads on their waker's CPU: in phases, not wake-up by
 * wake-up. On the 2-CPU development VM (kernel 6.18) the free round trip's faults ran in long
 * runs, hundreds to thousands of faults in a row all on the waker's CPU, then all across
 * (sched_getcpu on both sides of every fault): the kernel's choice of an idle CPU for a woken
 * thread (its scan of the last-level cache's CPUs, whose depth follows the utilisation the load
 * balancer last saw) holds for milliseconds, not for one wake-up. While it places, every woken
 * thread of the uffd path joins its waker's CPU, so threads pile up on one CPU, and an idle CPU
 * does not pull them back (they ran microseconds ago: cache-hot, which Linux's balancer leaves
 * where they are).
 *
 * <p>Placement phases alternate with spread phases; each phase's length is drawn from an
 * exponential distribution, placing ones with a mean of {@code placingMeanNs}, spread ones with
 * a mean that makes {@code percent}% of a long run's time placing ({@code placingMeanNs * (100 -
 * percent) / percent}).
 * Deterministic for a seed; asked with a virtual time that never decreases. Single-threaded
 * (the simulator's), allocation-free.
 */
public final class AffinePhases {
    private final long percent;
    private final double placingMeanNs;
    private final double spreadMeanNs;
    private final SplitMix64 rng;
    private boolean placing;
    private long untilNs;
    private long phases;

    /**
     * @param percent       share of the time in placement phases (0-100)
     * @param placingMeanNs mean length of a placement phase (ns, above 0)
     */
    public AffinePhases(long percent, long placingMeanNs, long seed) {
        if (percent < 0 || percent > 100) throw new IllegalArgumentException("the share of placement is 0-100%, got " + percent);
        if (placingMeanNs <= 0) throw new IllegalArgumentException("a placement phase must last above 0 ns, got " + placingMeanNs);
        this.percent = percent;
        this.placingMeanNs = placingMeanNs;
        this.spreadMeanNs = percent == 0 ? 0 : placingMeanNs * (100.0 - percent) / percent;
        this.rng = new SplitMix64(seed);
        this.placing = rng.nextLong(100) >= percent; // flipped by the first phase drawn below
        this.untilNs = 0;
        this.phases = -1;
        nextPhase(0);
    }

    /** Whether wake-ups at {@code nowNs} are placed on their waker's CPU. */
    public boolean placing(long nowNs) {
        while (nowNs >= untilNs) nextPhase(untilNs);
        return placing;
    }

    /** Phases begun up to the last {@link #placing} call (the first included). */
    public long phases() {
        return phases + 1;
    }

    private void nextPhase(long fromNs) {
        placing = !placing;
        if (percent == 100) placing = true;
        if (percent == 0) placing = false;
        double mean = placing ? placingMeanNs : spreadMeanNs;
        // At least 1 ns, so that time always moves through the phases.
        untilNs = fromNs + Math.max(1, (long) (-mean * Math.log(1 - rng.nextDouble())));
        if (percent == 100 || percent == 0) untilNs = Long.MAX_VALUE;
        phases++;
    }
}
