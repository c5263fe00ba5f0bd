package org.postcopysim.source.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SentBitmapTest {
    @Test
    void claimsUnsentPagesInOrderFromTheCursorAndWrapsAround() {
        SentBitmap b = new SentBitmap(100); // not a multiple of 64
        assertTrue(b.markSent(95));
        assertTrue(b.markSent(2));
        b.moveCursorAfter(90);
        assertEquals(91, b.cursor());
        int[] out = new int[12];
        assertEquals(12, b.claimNext(out, 12));
        assertArrayEquals(new int[] {91, 92, 93, 94, 96, 97, 98, 99, 0, 1, 3, 4}, out);
        assertEquals(5, b.cursor());
        assertEquals(100 - 14, b.unsent());
    }

    @Test
    void claimReachesPagesBeforeTheCursorInTheCursorsOwnWord() {
        SentBitmap b = new SentBitmap(64);
        b.moveCursorAfter(9);
        int[] out = new int[64];
        assertEquals(64, b.claimNext(out, 64));
        assertEquals(10, out[0]);
        assertEquals(63, out[53]);
        assertEquals(0, out[54]);
        assertEquals(9, out[63]);
        assertEquals(0, b.claimNext(out, 64), "0 only when every page is sent");
        assertEquals(0, b.unsent());
    }

    @Test
    void markSentReportsAPageSentBeforeAsADuplicate() {
        SentBitmap b = new SentBitmap(10);
        int[] out = new int[3];
        b.claimNext(out, 3);
        assertFalse(b.markSent(1), "claimed by the background already");
        assertTrue(b.markSent(7));
        assertFalse(b.markSent(7));
        assertEquals(10 - 4, b.unsent());
    }

    @Test
    void demandMovingTheCursorWinsOverAConcurrentClaim() {
        SentBitmap b = new SentBitmap(1000);
        int[] out = new int[8];
        b.claimNext(out, 8);
        b.moveCursorAfter(500);
        assertEquals(8, b.claimNext(out, 8));
        assertEquals(501, out[0]);
    }

    @Test
    void concurrentClaimsAndMarksSendEveryPageExactlyOnce() throws Exception {
        int pages = 200_003;
        long seed = 1234;
        System.err.println("concurrentClaimsAndMarksSendEveryPageExactlyOnce seed " + seed);
        SentBitmap b = new SentBitmap(pages);
        BitSet claimed = new BitSet(pages);
        BitSet marked = new BitSet(pages);
        CountDownLatch go = new CountDownLatch(1);
        Thread background = new Thread(() -> {
            int[] out = new int[64];
            await(go);
            for (int n; (n = b.claimNext(out, out.length)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (claimed.get(out[i])) throw new AssertionError("claimed twice: " + out[i]);
                    claimed.set(out[i]);
                }
            }
        }, "test-background");
        Thread demand = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(seed);
            await(go);
            for (int i = 0; i < 100_000; i++) {
                int p = r.nextInt(pages);
                if (b.markSent(p)) marked.set(p);
                if (i % 1000 == 0) b.moveCursorAfter(p);
            }
        }, "test-demand");
        background.start();
        demand.start();
        go.countDown();
        background.join(TimeUnit.SECONDS.toMillis(30));
        demand.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(background.isAlive() || demand.isAlive(), "threads did not finish");
        assertFalse(claimed.intersects(marked), "a page both claimed and newly marked");
        BitSet all = (BitSet) claimed.clone();
        all.or(marked);
        assertEquals(pages, all.cardinality());
        assertEquals(0, b.unsent());
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) throw new AssertionError("start latch");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void claimStopsAtMaxWithinOneWord() {
        SentBitmap b = new SentBitmap(64);
        int[] out = new int[5];
        assertEquals(5, b.claimNext(out, 5));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, out);
        assertEquals(5, b.claimNext(out, 5));
        assertArrayEquals(new int[] {5, 6, 7, 8, 9}, Arrays.copyOf(out, 5));
    }
}
