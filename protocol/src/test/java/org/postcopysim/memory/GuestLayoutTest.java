package org.postcopysim.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout.Slot;

class GuestLayoutTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    /** Slots are in base-gfn order, start on a 2 MiB boundary, leave no gap and cover exactly the guest. */
    private static void assertContiguousHugeAlignedCover(GuestLayout layout, long guestBytes, int slotCountAsked) {
        long pages = guestBytes / GuestLayout.PAGE_SIZE_BYTES;
        assertEquals(pages, layout.totalPages());
        assertEquals(guestBytes, layout.totalBytes());
        assertTrue(layout.slotCount() >= 1 && layout.slotCount() <= slotCountAsked, "slots " + layout.slotCount());
        long next = 0;
        for (int i = 0; i < layout.slotCount(); i++) {
            Slot s = layout.slot(i);
            assertEquals(next, s.baseGfn(), "slot " + i + " starts where the previous one ended");
            assertEquals(next, s.firstPageIndex(), "contiguous: dense index equals gfn");
            assertEquals(0, s.baseGfn() % GuestLayout.PAGES_PER_HUGE_PAGE, "slot " + i + " is 2 MiB aligned");
            if (i < layout.slotCount() - 1) {
                assertEquals(0, s.pageCount() % GuestLayout.PAGES_PER_HUGE_PAGE, "slot " + i + " is whole huge pages");
            }
            next += s.pageCount();
        }
        assertEquals(pages, next, "the slots cover exactly the guest");
    }

    @Test
    void contiguousSplitsOneGibIntoEqualHugeAlignedSlots() {
        GuestLayout layout = GuestLayout.contiguous(GIB, 4);
        assertContiguousHugeAlignedCover(layout, GIB, 4);
        assertEquals(4, layout.slotCount());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, layout.slot(i).id());
            assertEquals(65_536L, layout.slot(i).pageCount());
        }
    }

    @Test
    void contiguousGivesTheRemainderToTheLastSlot() {
        long bytes = 5 * 2 * MIB + 3 * GuestLayout.PAGE_SIZE_BYTES; // 5 huge pages and 3 small ones
        GuestLayout layout = GuestLayout.contiguous(bytes, 2);
        assertContiguousHugeAlignedCover(layout, bytes, 2);
        assertEquals(2, layout.slotCount());
        assertEquals(1024L, layout.slot(0).pageCount());
        assertEquals(3 * 512L + 3, layout.slot(1).pageCount());
    }

    @Test
    void contiguousCoversOddSizesExactly() {
        for (long bytes : new long[] {4096, 2 * MIB, 2 * MIB + 4096, 7 * MIB, 3 * GIB + 4096, 64 * GIB}) {
            for (int slots = 1; slots <= 9; slots++) {
                assertContiguousHugeAlignedCover(GuestLayout.contiguous(bytes, slots), bytes, slots);
            }
        }
    }

    @Test
    void contiguousRejectsSizesThatAreNotWholePagesAndZeroSlots() {
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.contiguous(0, 1));
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.contiguous(-4096, 1));
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.contiguous(4097, 1));
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.contiguous(GIB, 0));
    }

    @Test
    void gappedLeavesTheGapBeforeEveryMemslotAndKeepsTheContiguousSizes() {
        long bytes = 5 * 2 * MIB + 37 * GuestLayout.PAGE_SIZE_BYTES; // 5 huge pages and 37 small ones
        long gap = 0x10D; // 269 pages: a multiple of neither 64 nor 512
        GuestLayout dense = GuestLayout.contiguous(bytes, 3);
        GuestLayout layout = GuestLayout.gapped(bytes, 3, gap);
        assertEquals(dense.totalPages(), layout.totalPages());
        assertEquals(3, layout.slotCount());
        long end = 0;
        for (int i = 0; i < 3; i++) {
            Slot s = layout.slot(i);
            assertEquals(i, s.id());
            assertEquals(dense.slot(i).pageCount(), s.pageCount(), "slot " + i + " keeps its size");
            assertEquals(dense.slot(i).firstPageIndex(), s.firstPageIndex(), "and its dense indexes");
            assertEquals(end + gap, s.baseGfn(), "slot " + i + " starts " + gap + " pages after the one before");
            for (long g = end; g < s.baseGfn(); g++) assertEquals(-1, layout.pageIndexOfGfn(g), "gfn " + g + " is in a gap");
            assertEquals(s.firstPageIndex(), layout.pageIndexOfGfn(s.baseGfn()));
            assertEquals(s.baseGfn(), layout.gfnOfPageIndex(s.firstPageIndex()));
            end = s.endGfnExclusive();
        }
        assertEquals(3 * gap + layout.totalPages(), end, "three gaps and the pages, nothing else");
        assertEquals(3 * 512 + 37, layout.slot(2).pageCount(), "the last slot's size is no multiple of 64");
        assertEquals(dense.slots(), GuestLayout.gapped(bytes, 3, 0).slots(), "no gap is contiguous");
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.gapped(bytes, 3, -1));
    }

    /** Three slots with gaps, given out of order: [0,512) [1024,1536) [10000,10100). */
    private static GuestLayout gapped() {
        return GuestLayout.of(List.of(
                new Slot(7, 10_000, 100, 0),
                new Slot(3, 0, 512, 0),
                new Slot(5, 1024, 512, 0)));
    }

    @Test
    void ofOrdersSlotsByBaseGfnAndAssignsDenseIndexes() {
        GuestLayout layout = gapped();
        assertEquals(3, layout.slotCount());
        assertEquals(1124, layout.totalPages());
        assertEquals(List.of(new Slot(3, 0, 512, 0), new Slot(5, 1024, 512, 512), new Slot(7, 10_000, 100, 1024)),
                layout.slots());
        assertThrows(UnsupportedOperationException.class, () -> layout.slots().clear());
    }

    @Test
    void gfnAndDensePageIndexMapBothWaysAtSlotEdges() {
        GuestLayout layout = gapped();
        long[][] gfnToIndex = {
            {0, 0}, {1, 1}, {511, 511},
            {1024, 512}, {1025, 513}, {1535, 1023},
            {10_000, 1024}, {10_099, 1123},
        };
        for (long[] p : gfnToIndex) {
            assertEquals(p[1], layout.pageIndexOfGfn(p[0]), "gfn " + p[0]);
            assertEquals(p[0], layout.gfnOfPageIndex(p[1]), "page index " + p[1]);
        }
        assertEquals(0, layout.slotPositionOfGfn(511));
        assertEquals(1, layout.slotPositionOfGfn(1024));
        assertEquals(2, layout.slotPositionOfGfn(10_099));
    }

    @Test
    void gfnsInGapsAndOutsideEverySlotMapToMinusOne() {
        GuestLayout layout = gapped();
        for (long gfn : new long[] {512, 513, 1023, 1536, 5000, 9999, 10_100, 10_101, -1, Long.MIN_VALUE,
            Long.MAX_VALUE}) {
            assertEquals(-1, layout.pageIndexOfGfn(gfn), "gfn " + gfn);
            assertEquals(-1, layout.slotPositionOfGfn(gfn), "gfn " + gfn);
        }
    }

    @Test
    void everyGfnInRangeRoundTripsThroughItsPageIndex() {
        GuestLayout layout = gapped();
        long mapped = 0;
        for (long gfn = 0; gfn < 10_200; gfn++) {
            long index = layout.pageIndexOfGfn(gfn);
            if (index < 0) continue;
            assertEquals(mapped, index, "dense indexes are consecutive in gfn order");
            assertEquals(gfn, layout.gfnOfPageIndex(index));
            mapped++;
        }
        assertEquals(layout.totalPages(), mapped);
        for (long index = 0; index < layout.totalPages(); index++) {
            assertEquals(index, layout.pageIndexOfGfn(layout.gfnOfPageIndex(index)));
        }
    }

    @Test
    void gfnOfPageIndexOutsideTheGuestThrows() {
        GuestLayout layout = gapped();
        assertThrows(IndexOutOfBoundsException.class, () -> layout.gfnOfPageIndex(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> layout.gfnOfPageIndex(layout.totalPages()));
    }

    @Test
    void overlappingSlotsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.of(List.of(
                new Slot(0, 0, 512, 0), new Slot(1, 511, 10, 0))));
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.of(List.of(
                new Slot(1, 100, 10, 0), new Slot(0, 0, 1000, 0))), "one slot inside another, given in reverse");
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.of(List.of(
                new Slot(0, 64, 1, 0), new Slot(1, 64, 1, 0))), "same base gfn");
    }

    @Test
    void adjacentSlotsAreAccepted() {
        GuestLayout layout = GuestLayout.of(List.of(new Slot(0, 0, 512, 0), new Slot(1, 512, 1, 0)));
        assertEquals(513, layout.totalPages());
        assertEquals(512, layout.pageIndexOfGfn(512));
    }

    @Test
    void repeatedSlotIdsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.of(List.of(
                new Slot(4, 0, 1, 0), new Slot(4, 100, 1, 0))));
    }

    @Test
    void emptyLayoutsAndEmptyOrNegativeSlotsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Slot(0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Slot(0, -1, 1, 0));
    }

    @Test
    void slotsThatWrapPastTheLargestGfnAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Slot(0, Long.MAX_VALUE - 10, 256, 0));
        new Slot(0, Long.MAX_VALUE - 256, 256, 0); // ends exactly at the largest gfn: fine
        // Slots that fit and do not overlap cannot overflow the total (it is at most the gfn span).
        assertThrows(IllegalArgumentException.class, () -> GuestLayout.of(List.of(
                new Slot(0, 0, 1L << 62, 0), new Slot(1, 1L << 62, 1L << 62, 0))));
    }
}
