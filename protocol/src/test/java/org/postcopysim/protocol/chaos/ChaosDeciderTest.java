package org.postcopysim.protocol.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The pure decision of a frame's fate: no channel, no clock, only the spec and a seeded generator. */
class ChaosDeciderTest {
    private static final int FRAMES = 100_000;

    static ChaosDecider decider(String spec, long seed) {
        return new ChaosDecider(ChaosSpec.parse(spec), new SplittableRandom(seed));
    }

    @Test
    void aFrameThatIsNotAPageFrameIsUntouchedAndDrawsNothing() {
        SplittableRandom random = new SplittableRandom(3);
        ChaosDecider d = new ChaosDecider(ChaosSpec.parse("duplicate:1,reorder:1,corrupt:1,delay:5,jitter:5,slow-source:1M"),
                random);
        assertSame(FrameFate.UNTOUCHED, d.decide(ChaosDecider.NOT_A_PAGE_FRAME));
        assertEquals(new SplittableRandom(3).nextLong(), random.nextLong(), "the generator did not move");
    }

    @Test
    void eachFateAtRateOne() {
        assertTrue(decider("duplicate:1", 1).decide(2).duplicate());
        assertTrue(decider("reorder:1", 1).decide(2).reorder());
        assertTrue(decider("corrupt:1", 1).decide(2).corrupt());
        assertTrue(decider("slow-source:64K", 1).decide(2).throttled());
        FrameFate delayed = decider("delay:5", 1).decide(2);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(5), delayed.holdNs());
        assertTrue(delayed.delayed());
        assertEquals(1_000 + TimeUnit.MILLISECONDS.toNanos(5), delayed.releaseAtNs(1_000), "time is passed in");
    }

    @Test
    void aTermNotInTheSpecNeverHappens() {
        ChaosDecider d = decider("delay:0", 1);
        for (int i = 0; i < 1_000; i++) assertEquals(FrameFate.UNTOUCHED, d.decide(1 + i % 3));
    }

    @Test
    void aFrameWithoutPagesIsNeverCorruptedButStillDraws() {
        ChaosDecider empty = decider("corrupt:1,duplicate:0.5", 9);
        ChaosDecider full = decider("corrupt:1,duplicate:0.5", 9);
        for (int i = 0; i < 100; i++) {
            FrameFate e = empty.decide(0);
            FrameFate f = full.decide(1);
            assertFalse(e.corrupt());
            assertTrue(f.corrupt());
            assertEquals(f.duplicate(), e.duplicate(), "the same draws either way");
        }
    }

    @Test
    void jitterHoldsForABoundedRandomTimeOnTopOfTheDelay() {
        ChaosDecider d = decider("delay:2,jitter:3", 5);
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < FRAMES; i++) {
            long hold = d.decide(1).holdNs();
            min = Math.min(min, hold);
            max = Math.max(max, hold);
        }
        assertTrue(min >= TimeUnit.MILLISECONDS.toNanos(2), "never less than the delay: " + min);
        assertTrue(max <= TimeUnit.MILLISECONDS.toNanos(5), "never more than delay + jitter: " + max);
        assertTrue(max - min > TimeUnit.MILLISECONDS.toNanos(2), "spread over the jitter: " + (max - min));
    }

    @Test
    void theSameSeedDecidesTheSameFates() {
        String spec = "duplicate:0.3,reorder:0.3,corrupt:0.3,jitter:4";
        assertEquals(fates(decider(spec, 5)), fates(decider(spec, 5)));
        assertNotEquals(fates(decider(spec, 5)), fates(decider(spec, 6)), "another seed, other fates");
    }

    @Test
    void eachRateIsHonouredOverManyFrames() {
        ChaosDecider d = decider("duplicate:0.2,reorder:0.05,corrupt:0.1", 11);
        int[] n = new int[3];
        for (int i = 0; i < FRAMES; i++) {
            FrameFate f = d.decide(1);
            if (f.duplicate()) n[0]++;
            if (f.reorder()) n[1]++;
            if (f.corrupt()) n[2]++;
        }
        assertAbout(0.2, n[0], "duplicated");
        assertAbout(0.05, n[1], "reordered");
        assertAbout(0.1, n[2], "corrupted");
    }

    @Test
    void theCorruptRateCountCheckCatchesADecisionThatIgnoresTheRate() {
        ChaosDecider d = decider("corrupt:0.1", 13);
        assertCorruptRate(0.1, d::decide);
        // negative control: a decision that corrupts every frame with pages, whatever the rate
        ChaosDecider ignoring = decider("corrupt:0.1", 13);
        IntFunction<FrameFate> ignoresRate = pages -> {
            FrameFate f = ignoring.decide(pages);
            return new FrameFate(f.duplicate(), f.reorder(), pages > 0, f.holdNs(), f.throttled());
        };
        assertThrows(AssertionFailedError.class, () -> assertCorruptRate(0.1, ignoresRate));
        // and one that never corrupts
        ChaosDecider never = decider("delay:0", 13);
        assertThrows(AssertionFailedError.class, () -> assertCorruptRate(0.1, never::decide));
    }

    private static void assertCorruptRate(double rate, IntFunction<FrameFate> decision) {
        int corrupted = 0;
        for (int i = 0; i < FRAMES; i++) if (decision.apply(1 + i % 3).corrupt()) corrupted++;
        assertAbout(rate, corrupted, "corrupted");
    }

    /** {@code count} of {@link #FRAMES} is within 10% of {@code rate} (at least 7 sigma for these rates). */
    private static void assertAbout(double rate, int count, String what) {
        double expected = rate * FRAMES;
        assertTrue(Math.abs(count - expected) <= expected * 0.1,
                what + ": " + count + " of " + FRAMES + ", expected about " + (long) expected);
    }

    private static List<FrameFate> fates(ChaosDecider d) {
        List<FrameFate> out = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) out.add(d.decide(i % 4));
        return out;
    }
}
