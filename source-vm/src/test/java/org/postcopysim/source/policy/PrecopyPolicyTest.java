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

    /**
     * A grow-chunks stream after round 1 has grown its chunks to 4 MiB; the next round starts
     * over at 64 KiB from page 0, as after a recovery. The negative control marks the pages
     * unsent behind the order's back (the sent bitmap alone) and keeps the grown chunk.
     */
    @Test
    void aRoundMarkedUnsentThroughThePolicyStartsTheOrderOver() {
        assertEquals(ChunkScan.MIN_CHUNK_PAGES, chunkAfterRound1(true));
        assertEquals(ChunkScan.MAX_CHUNK_PAGES, chunkAfterRound1(false), "negative control: the order kept its state");
    }

    /** The chunk size of the first claim of round 2, the round's pages marked unsent through the policy or not. */
    private static int chunkAfterRound1(boolean throughPolicy) {
        SourcePolicy p = new SourcePolicy(8192, BackgroundOrder.GROW_CHUNKS);
        BackgroundPolicy stream = p.background(16, 0, 1, 0);
        int[] out = new int[16];
        while (stream.claim(out) > 0) {
            // round 1: every page
        }
        AtomicBitmap dirty = new AtomicBitmap(8192);
        for (int page = 100; page < 3000; page++) dirty.set(page);
        assertEquals(2900, throughPolicy ? p.markUnsent(dirty) : p.sent().markUnsent(dirty));
        assertEquals(16, stream.claim(out));
        assertEquals(100, out[0], "round 2 starts at the first dirtied page");
        return ((ChunkScan) p.scan()).chunkPages();
    }
}
