package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class UserfaultBitmapTest {

    @Test
    void clearReturnsWhetherTheBitWasSet() {
        UserfaultBitmap bitmap = new UserfaultBitmap(100);
        bitmap.set(42);
        assertTrue(bitmap.isSet(42));
        assertTrue(bitmap.clear(42));
        assertFalse(bitmap.isSet(42));
        assertFalse(bitmap.clear(42));
    }

    @Test
    void setAllSetsOnlyBitsBelowAPageCountThatIsNotAMultipleOf64() {
        UserfaultBitmap bitmap = new UserfaultBitmap(130);
        bitmap.setAll();
        assertEquals(130, bitmap.countSet());
        assertEquals(129, bitmap.nextSetBit(129));
        assertEquals(-1, bitmap.nextSetBit(130));
        assertTrue(bitmap.isSet(128));
        assertTrue(bitmap.isSet(129));
    }

    @Test
    void countSetAndNextSetBitWorkAcrossWordBoundaries() {
        UserfaultBitmap bitmap = new UserfaultBitmap(200);
        assertEquals(-1, bitmap.nextSetBit(0));
        for (long i : new long[] {63, 64, 127, 199}) bitmap.set(i);
        assertEquals(4, bitmap.countSet());
        assertEquals(63, bitmap.nextSetBit(0));
        assertEquals(64, bitmap.nextSetBit(64));
        assertEquals(127, bitmap.nextSetBit(65));
        assertEquals(199, bitmap.nextSetBit(128));
        assertEquals(-1, bitmap.nextSetBit(200));
        bitmap.clear(199);
        assertEquals(-1, bitmap.nextSetBit(128));
        assertEquals(3, bitmap.countSet());
    }

    @Test
    void allClearInRangeMasksPartialWordsAtBothEnds() {
        UserfaultBitmap bitmap = new UserfaultBitmap(300);
        bitmap.set(70);
        assertTrue(bitmap.allClearInRange(0, 70));
        assertFalse(bitmap.allClearInRange(0, 71));
        assertFalse(bitmap.allClearInRange(70, 71));
        assertTrue(bitmap.allClearInRange(71, 300));
        assertTrue(bitmap.allClearInRange(65, 70));
        assertFalse(bitmap.allClearInRange(5, 250));
        assertTrue(bitmap.allClearInRange(10, 10));
        bitmap.set(299);
        assertFalse(bitmap.allClearInRange(128, 300));
        assertTrue(bitmap.allClearInRange(128, 299));
    }

    @Test
    void rejectsIndexesOutsideThePages() {
        UserfaultBitmap bitmap = new UserfaultBitmap(130);
        assertThrows(IndexOutOfBoundsException.class, () -> bitmap.isSet(130));
        assertThrows(IndexOutOfBoundsException.class, () -> bitmap.set(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> bitmap.clear(131));
        assertThrows(IndexOutOfBoundsException.class, () -> bitmap.allClearInRange(0, 131));
    }

    @Test
    void concurrentClearsOfDisjointBitsInSharedWordsLoseNoUpdate() throws InterruptedException {
        int threads = 4;
        long pages = 64 * 64 + 17;
        for (int round = 0; round < 20; round++) {
            UserfaultBitmap bitmap = new UserfaultBitmap(pages);
            bitmap.setAll();
            AtomicLong clearedBySomeone = new AtomicLong();
            // Thread t clears bits t, t + threads, ...: every word is shared by all threads.
            Concurrently.run("clearer", threads, t -> {
                long cleared = 0;
                for (long i = t; i < pages; i += threads) {
                    if (bitmap.clear(i)) cleared++;
                }
                clearedBySomeone.addAndGet(cleared);
            });
            assertEquals(0, bitmap.countSet());
            assertEquals(pages, clearedBySomeone.get());
        }
    }

    @Test
    void racingClearsOfTheSameBitReportItSetExactlyOnce() throws InterruptedException {
        int threads = 4;
        long pages = 1000;
        UserfaultBitmap bitmap = new UserfaultBitmap(pages);
        bitmap.setAll();
        AtomicLong wins = new AtomicLong();
        Concurrently.run("clearer", threads, t -> {
            long won = 0;
            for (long i = 0; i < pages; i++) {
                if (bitmap.clear(i)) won++;
            }
            wins.addAndGet(won);
        });
        assertEquals(pages, wins.get());
        assertEquals(0, bitmap.countSet());
    }
}
