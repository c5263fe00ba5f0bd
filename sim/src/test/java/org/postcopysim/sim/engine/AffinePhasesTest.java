package org.postcopysim.sim.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Placement phases: over a long run the placing share of the time is the given percent, a
 * placement phase lasts the given mean (long stretches, not a draw per wake-up), and a seed gives
 * the same phases.
 */
class AffinePhasesTest {
    private static final long STEP_NS = 1_000;
    private static final long SPAN_NS = 20_000_000_000L; // 20 s of virtual time

    /** Share of {@code SPAN_NS} placing (%), the phase changes seen, and the mean placement phase (ns). */
    private static long[] sample(long percent, long placingMeanNs, long seed) {
        AffinePhases p = new AffinePhases(percent, placingMeanNs, seed);
        long placing = 0;
        long changes = 0;
        long placingPhases = 0;
        boolean last = p.placing(0);
        if (last) placingPhases++;
        for (long t = 0; t < SPAN_NS; t += STEP_NS) {
            boolean now = p.placing(t);
            if (now) placing++;
            if (now != last) {
                changes++;
                if (now) placingPhases++;
            }
            last = now;
        }
        return new long[] {Math.round(100.0 * placing * STEP_NS / SPAN_NS), changes,
                placingPhases == 0 ? 0 : placing * STEP_NS / placingPhases};
    }

    @Test
    void theTimeShareIsThePercentAndAPlacementPhaseLastsItsMean() {
        // 30% with 6 ms placement phases and 80% with 16 ms ones: both a 20 ms cycle.
        for (long[] c : new long[][] {{30, 6_000_000}, {80, 16_000_000}}) {
            long[] s = sample(c[0], c[1], 7);
            assertTrue(Math.abs(s[0] - c[0]) <= 6, () -> "placing " + s[0] + "% of the time, asked " + c[0] + "%");
            // 20 s at a 20 ms cycle: about 1000 cycles, 2000 changes.
            assertTrue(s[1] > 1_500 && s[1] < 2_500, () -> s[1] + " phase changes over 20 s at a 20 ms cycle");
            assertTrue(Math.abs(s[2] - c[1]) < 0.15 * c[1], () -> "placement phases of " + s[2] + " ns on average, asked " + c[1]);
        }
        // Control: the share follows the percent, so two percents give clearly different shares.
        assertTrue(sample(80, 16_000_000, 7)[0] - sample(30, 6_000_000, 7)[0] > 35);
    }

    @Test
    void theMeanSetsHowLongAPhaseHolds() {
        long[] longer = sample(50, 100_000_000, 3);
        long[] shorter = sample(50, 1_000_000, 3);
        assertTrue(longer[1] < 300, () -> longer[1] + " changes with 100 ms placement phases");
        assertTrue(shorter[1] > 15_000, () -> shorter[1] + " changes with 1 ms placement phases");
    }

    @Test
    void aSeedGivesTheSamePhasesAndTheEndsOfTheRangeNeverChange() {
        AffinePhases a = new AffinePhases(60, 5_000_000, 11);
        AffinePhases b = new AffinePhases(60, 5_000_000, 11);
        AffinePhases other = new AffinePhases(60, 5_000_000, 12);
        boolean differs = false;
        for (long t = 0; t < 1_000_000_000L; t += 10_000) {
            assertEquals(a.placing(t), b.placing(t), "at " + t + " ns");
            differs |= a.placing(t) != other.placing(t);
        }
        assertTrue(differs, "another seed, other phases");
        AffinePhases always = new AffinePhases(100, 1_000, 1);
        AffinePhases never = new AffinePhases(0, 1_000, 1);
        for (long t = 0; t < 1_000_000; t += 100) {
            assertTrue(always.placing(t));
            assertFalse(never.placing(t));
        }
    }
}
