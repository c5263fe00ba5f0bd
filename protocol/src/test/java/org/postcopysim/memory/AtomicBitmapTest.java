package org.postcopysim.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AtomicBitmapTest {
    private static final long TIMEOUT_SECONDS = 30;

    @Test
    void rejectsNegativeAndOversizedSizes() {
        assertThrows(IllegalArgumentException.class, () -> new AtomicBitmap(-1));
        assertThrows(IllegalArgumentException.class, () -> new AtomicBitmap((long) Integer.MAX_VALUE * 64 + 1));
    }

    @Test
    void sizeAndWordCount() {
        assertEquals(0, new AtomicBitmap(0).wordCount());
        assertEquals(1, new AtomicBitmap(1).wordCount());
        assertEquals(1, new AtomicBitmap(64).wordCount());
        assertEquals(2, new AtomicBitmap(65).wordCount());
        assertEquals(130, new AtomicBitmap(130).size());
    }

    @Test
    void testAndSetAndTestAndClearReturnThePreviousValue() {
        AtomicBitmap b = new AtomicBitmap(200);
        assertFalse(b.get(70));
        assertFalse(b.testAndSet(70));
        assertTrue(b.get(70));
        assertTrue(b.testAndSet(70));
        assertFalse(b.get(69));
        assertFalse(b.get(71));
        assertTrue(b.testAndClear(70));
        assertFalse(b.get(70));
        assertFalse(b.testAndClear(70));

        b.set(199);
        assertTrue(b.get(199));
        assertTrue(b.testAndClearVolatile(199));
        assertFalse(b.get(199));
        assertFalse(b.testAndClearVolatile(199));

        b.set(0);
        b.set(0);
        assertTrue(b.get(0));
        b.clear(0);
        assertFalse(b.get(0));
        b.clear(0);
        assertEquals(0, b.cardinality());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 63, 64, 65, 130})
    void setAllSetsOnlyBitsBelowSize(long size) {
        AtomicBitmap b = new AtomicBitmap(size);
        b.setAll();
        assertEquals(size, b.cardinality());
        for (long i = 0; i < size; i++) assertTrue(b.get(i), "bit " + i);
        // No bit at or past size: nothing to clear-count there, and nextClear finds none.
        assertEquals(-1, b.nextClear(0));
        assertEquals(size, b.clearAllAndCount());
        b.setAll();
        b.setAll();
        assertEquals(size, b.cardinality(), "setAll is idempotent");
        if (size > 0) {
            assertEquals(size - 1, b.nextSet(size - 1));
            b.clear(size - 1);
            assertEquals(size - 1, b.nextClear(0));
        }
        assertEquals(-1, b.nextSet(size));
    }

    @Test
    void cardinalityCountsAcrossWords() {
        AtomicBitmap b = new AtomicBitmap(300);
        assertEquals(0, b.cardinality());
        for (long i : new long[] {0, 63, 64, 127, 128, 299}) b.set(i);
        assertEquals(6, b.cardinality());
        b.clear(64);
        assertEquals(5, b.cardinality());
        b.clearAll();
        assertEquals(0, b.cardinality());
        assertEquals(-1, b.nextSet(0));
    }

    @Test
    void nextSetAcrossWordBoundariesAndAtTheEnd() {
        AtomicBitmap b = new AtomicBitmap(200);
        assertEquals(-1, b.nextSet(0));
        for (long i : new long[] {63, 64, 127, 199}) b.set(i);
        assertEquals(63, b.nextSet(-5));
        assertEquals(63, b.nextSet(0));
        assertEquals(63, b.nextSet(63));
        assertEquals(64, b.nextSet(64));
        assertEquals(127, b.nextSet(65));
        assertEquals(199, b.nextSet(128));
        assertEquals(199, b.nextSet(199));
        assertEquals(-1, b.nextSet(200));
        assertEquals(-1, b.nextSet(1000));
        b.clear(199);
        assertEquals(-1, b.nextSet(128));
    }

    @Test
    void nextClearAcrossWordBoundariesAndAtTheEnd() {
        AtomicBitmap b = new AtomicBitmap(200);
        b.setAll();
        assertEquals(-1, b.nextClear(0));
        for (long i : new long[] {63, 64, 127, 199}) b.clear(i);
        assertEquals(63, b.nextClear(-1));
        assertEquals(63, b.nextClear(0));
        assertEquals(64, b.nextClear(64));
        assertEquals(127, b.nextClear(65));
        assertEquals(199, b.nextClear(128));
        assertEquals(-1, b.nextClear(200));
        b.set(199);
        assertEquals(-1, b.nextClear(128), "bits past size never count as clear");
    }

    @Test
    void allClearMasksPartialWordsAtBothEnds() {
        AtomicBitmap b = new AtomicBitmap(300);
        assertTrue(b.allClear(0, 300));
        b.set(70);
        assertTrue(b.allClear(0, 70));
        assertFalse(b.allClear(0, 71));
        assertFalse(b.allClear(70, 71));
        assertTrue(b.allClear(71, 300));
        assertTrue(b.allClear(65, 70), "both ends inside the same word");
        assertFalse(b.allClear(65, 128));
        assertFalse(b.allClear(5, 250), "partial first and last word, full word between");
        assertTrue(b.allClear(10, 10));
        assertTrue(b.allClear(80, 20), "empty range");
        b.set(63);
        assertFalse(b.allClear(63, 64));
        assertTrue(b.allClear(0, 63));
        assertTrue(b.allClear(64, 70));
        b.set(299);
        assertFalse(b.allClear(128, 300));
        assertTrue(b.allClear(128, 299));
        assertFalse(b.allClear(299, 1000), "range end clipped to size");
        b.set(0);
        assertFalse(b.allClear(-10, 1));
        assertTrue(b.allClear(300, 1000));
    }

    @Test
    void allClearOnWordAlignedBoundaries() {
        AtomicBitmap b = new AtomicBitmap(256);
        b.set(128);
        assertTrue(b.allClear(64, 128));
        assertFalse(b.allClear(64, 129));
        assertFalse(b.allClear(128, 192));
        assertTrue(b.allClear(129, 256));
        assertTrue(b.allClear(0, 128));
    }

    @Test
    void clearWordClearsOnlyThatWordAndCountsItsBits() {
        AtomicBitmap b = new AtomicBitmap(200);
        for (long i : new long[] {63, 64, 65, 100, 127, 128}) b.set(i);
        assertEquals(4, b.clearWord(1));
        assertTrue(b.get(63));
        assertTrue(b.get(128));
        assertTrue(b.allClear(64, 128));
        assertEquals(0, b.clearWord(1));
        b.setAll();
        assertEquals(64, b.clearWord(0));
        assertEquals(200 - 192, b.clearWord(3), "the partial last word holds only bits below size");
        assertEquals(200 - 64 - 8, b.cardinality());
        assertThrows(IndexOutOfBoundsException.class, () -> b.clearWord(4));
    }

    @Test
    void clearAllAndCountReturnsTheBitsItCleared() {
        AtomicBitmap b = new AtomicBitmap(130);
        assertEquals(0, b.clearAllAndCount());
        for (long i : new long[] {1, 64, 65, 129}) b.set(i);
        assertEquals(4, b.clearAllAndCount());
        assertEquals(0, b.cardinality());
        assertEquals(0, b.clearAllAndCount());
        assertEquals(0, new AtomicBitmap(0).clearAllAndCount());
    }

    @Test
    void concurrentSetsOfDisjointBitsInSharedWordsLoseNothing() throws InterruptedException {
        int threads = 4;
        long size = 64 * 64 + 17;
        for (int round = 0; round < 20; round++) {
            AtomicBitmap b = new AtomicBitmap(size);
            AtomicLong newlySet = new AtomicLong();
            // Thread t sets bits t, t + threads, ...: every word is shared by all threads.
            runConcurrently(threads, t -> {
                long n = 0;
                for (long i = t; i < size; i += threads) {
                    if (!b.testAndSet(i)) n++;
                }
                newlySet.addAndGet(n);
            });
            assertEquals(size, newlySet.get());
            assertEquals(size, b.cardinality());
            assertEquals(-1, b.nextClear(0));
        }
    }

    @Test
    void concurrentClearsOfDisjointBitsInSharedWordsLoseNothing() throws InterruptedException {
        int threads = 4;
        long size = 64 * 64 + 17;
        for (int round = 0; round < 20; round++) {
            AtomicBitmap b = new AtomicBitmap(size);
            b.setAll();
            runConcurrently(threads, t -> {
                for (long i = t; i < size; i += threads) {
                    if ((i & 1) == 0) b.clear(i);
                    else b.testAndClearVolatile(i);
                }
            });
            assertEquals(0, b.cardinality());
        }
    }

    @Test
    void racingTestAndSetOnTheSameBitsHasExactlyOneWinnerPerBit() throws InterruptedException {
        int threads = 4;
        int size = 2000;
        for (int round = 0; round < 10; round++) {
            AtomicBitmap b = new AtomicBitmap(size);
            int[][] wonBy = new int[threads][size];
            runConcurrently(threads, t -> {
                for (int i = 0; i < size; i++) {
                    if (!b.testAndSet(i)) wonBy[t][i] = 1;
                }
            });
            for (int i = 0; i < size; i++) {
                int winners = 0;
                for (int t = 0; t < threads; t++) winners += wonBy[t][i];
                assertEquals(1, winners, "winners of bit " + i);
            }
            assertEquals(size, b.cardinality());
        }
    }

    @Test
    void racingTestAndClearOnTheSameBitsHasExactlyOneWinnerPerBit() throws InterruptedException {
        int threads = 4;
        long size = 2000;
        AtomicBitmap b = new AtomicBitmap(size);
        b.setAll();
        AtomicLong wins = new AtomicLong();
        runConcurrently(threads, t -> {
            long won = 0;
            for (long i = 0; i < size; i++) {
                if (b.testAndClear(i)) won++;
            }
            wins.addAndGet(won);
        });
        assertEquals(size, wins.get());
        assertEquals(0, b.cardinality());
    }

    /** Runs {@code body(threadIndex)} on {@code threads} threads released together; bounded wait, no sleeps. */
    private static void runConcurrently(int threads, IntConsumer body) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] all = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int index = t;
            all[t] = new Thread(() -> {
                try {
                    start.await();
                    body.accept(index);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "bitmap-" + t);
            all[t].setDaemon(true);
            all[t].start();
        }
        start.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        for (Thread thread : all) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            assertFalse(thread.isAlive(), thread.getName() + " did not finish in time");
        }
        if (failure.get() != null) throw new AssertionError("bitmap thread failed", failure.get());
    }

    @Test
    void setClearBitsInWordSetsTheLowestClearBitsOfOneWordOnly() {
        AtomicBitmap b = new AtomicBitmap(200);
        b.set(3);
        b.set(5);
        // from 2, at most 4: bits 2, 4, 6, 7 (3 and 5 were set already)
        assertEquals(0b1101_0100L, b.setClearBitsInWord(2, 200, 4));
        assertTrue(b.get(2) && b.get(4) && b.get(6) && b.get(7) && !b.get(8));
        // a range that ends inside the word stops there; one that runs past it stops at the word's end
        assertEquals(0b1_0000_0000L | 0b10_0000_0000L, b.setClearBitsInWord(8, 10, 64));
        assertEquals(-1L << 10, b.setClearBitsInWord(10, 200, 64));
        assertEquals(0b11L, b.setClearBitsInWord(0, 64, 64), "bits 0 and 1 were still clear");
        assertEquals(0, b.setClearBitsInWord(0, 64, 64), "nothing clear is left in word 0");
        // the last word is clipped to the size
        assertEquals((1L << 8) - 1, b.setClearBitsInWord(192, 1000, 64));
        assertEquals(0, b.setClearBitsInWord(70, 70, 5), "an empty range sets nothing");
        assertEquals(1L << 6, b.setClearBitsInWord(70, 200, 1), "max 1: only the first clear bit");
        assertEquals(64 + 8 + 1, b.cardinality(), "word 0 full, the 8 bits of the last word, bit 70");
    }
}
