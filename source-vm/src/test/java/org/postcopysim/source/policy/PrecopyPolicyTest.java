package org.postcopysim.source.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.postcopysim.memory.AtomicBitmap;

class PrecopyPolicyTest {
    @Test
    void roundsRunsExactlyThatManyRounds() {
        PrecopyPolicy p = PrecopyPolicy.rounds(3);
        assertTrue(p.enabled());
        assertFalse(p.switchoverAfter(1, 0), "no dirty-bytes target: an idle guest still gets its rounds");
        assertFalse(p.switchoverAfter(2, 1000));
        assertTrue(p.switchoverAfter(3, 1000));
        assertFalse(PrecopyPolicy.NONE.enabled());
    }

    @Test
    void untilEndsAfterTheFirstRoundThatLeavesLittleEnoughDirtyAndIsCappedInRounds() {
        PrecopyPolicy p = PrecopyPolicy.until(8192, 4); // two pages
        assertFalse(p.switchoverAfter(1, 3));
        assertTrue(p.switchoverAfter(2, 2));
        assertTrue(p.switchoverAfter(4, 1_000_000), "the cap");
        assertEquals(PrecopyPolicy.DEFAULT_MAX_ROUNDS_UNTIL, PrecopyPolicy.until(0, 0).maxRounds());
    }

    @Test
    void badValuesAreRefusedSayingWhy() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PrecopyPolicy.rounds(-1)).getMessage().contains(">= 0"));
        assertThrows(IllegalArgumentException.class, () -> PrecopyPolicy.until(-5, 2));
        assertThrows(IllegalArgumentException.class, () -> new PrecopyPolicy(0, 4096));
    }

    @Test
    void markUnsentPutsPagesBackForTheStreamFromPageZero() {
        SentBitmap sent = new SentBitmap(200);
        int[] out = new int[200];
        assertEquals(200, sent.claimNext(out, 200));
        AtomicBitmap dirty = new AtomicBitmap(200);
        dirty.set(7);
        dirty.set(130);
        dirty.set(199);
        assertEquals(3, sent.markUnsent(dirty));
        assertEquals(0, sent.cursor());
        assertEquals(3, sent.claimNext(out, 200));
        assertEquals(7, out[0]);
        assertEquals(130, out[1]);
        assertEquals(199, out[2]);
        assertEquals(0, sent.markUnsent(new AtomicBitmap(200)));
    }
}
