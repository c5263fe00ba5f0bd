package org.postcopysim.memory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The guest's physical memory layout: memslots, each a run of guest frame numbers (gfns), in
 * base-gfn order and not overlapping. Pages are also numbered densely across all memslots
 * ("page index", 0 .. {@link #totalPages()} - 1): that is the index of every per-page array and
 * bitmap, and of the page's bytes in {@link GuestMemory}.
 *
 * <p>Immutable; lookups allocate nothing.
 */
public final class GuestLayout {
    /** The only page size the simulator models (bytes). */
    public static final int PAGE_SIZE_BYTES = 4096;
    /** log2 of {@link #PAGE_SIZE_BYTES}. */
    public static final int PAGE_SHIFT = 12;
    /** Pages in one 2 MiB huge mapping. */
    public static final int PAGES_PER_HUGE_PAGE = 512;

    /** One memslot: {@code pageCount} gfns from {@code baseGfn}, stored from dense {@code firstPageIndex}. */
    public record Slot(int id, long baseGfn, long pageCount, long firstPageIndex) {
        public Slot {
            if (pageCount <= 0) throw new IllegalArgumentException("memslot " + id + " has no pages");
            if (baseGfn < 0) throw new IllegalArgumentException("memslot " + id + " has a negative base gfn");
            if (pageCount > Long.MAX_VALUE - baseGfn) {
                throw new IllegalArgumentException("memslot " + id + " ends past the largest gfn");
            }
        }

        public boolean containsGfn(long gfn) {
            return gfn >= baseGfn && gfn - baseGfn < pageCount;
        }

        public long endGfnExclusive() {
            return baseGfn + pageCount;
        }
    }

    private final List<Slot> slots;
    private final long[] baseGfns;
    private final long[] pageCounts;
    private final long[] firstPageIndexes;
    private final long totalPages;

    private GuestLayout(List<Slot> slots) {
        this.slots = Collections.unmodifiableList(new ArrayList<>(slots));
        int n = slots.size();
        baseGfns = new long[n];
        pageCounts = new long[n];
        firstPageIndexes = new long[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            Slot s = slots.get(i);
            baseGfns[i] = s.baseGfn();
            pageCounts[i] = s.pageCount();
            firstPageIndexes[i] = s.firstPageIndex();
            total += s.pageCount();
        }
        totalPages = total;
    }

    /**
     * Builds a layout from (id, baseGfn, pageCount) triples given in any order; dense indexes are
     * assigned in base-gfn order.
     *
     * @throws IllegalArgumentException when slots overlap, repeat an id, or are empty
     */
    public static GuestLayout of(List<Slot> unordered) {
        if (unordered.isEmpty()) throw new IllegalArgumentException("a guest needs at least one memslot");
        List<Slot> sorted = new ArrayList<>(unordered);
        sorted.sort((a, b) -> Long.compare(a.baseGfn(), b.baseGfn()));
        List<Slot> out = new ArrayList<>(sorted.size());
        long next = 0;
        long prevEnd = -1;
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (Slot s : sorted) {
            if (!ids.add(s.id())) throw new IllegalArgumentException("memslot id " + s.id() + " appears twice");
            if (s.baseGfn() < prevEnd) {
                throw new IllegalArgumentException("memslot " + s.id() + " overlaps the memslot before it");
            }
            out.add(new Slot(s.id(), s.baseGfn(), s.pageCount(), next));
            next = Math.addExact(next, s.pageCount());
            prevEnd = s.endGfnExclusive();
        }
        return new GuestLayout(out);
    }

    /**
     * Splits {@code guestBytes} into {@code slotCount} contiguous memslots from gfn 0, each a
     * whole number of 2 MiB huge pages (the last takes the remainder).
     */
    public static GuestLayout contiguous(long guestBytes, int slotCount) {
        if (guestBytes <= 0 || guestBytes % PAGE_SIZE_BYTES != 0) {
            throw new IllegalArgumentException("guest memory must be a positive multiple of 4 KiB, got " + guestBytes);
        }
        if (slotCount < 1) throw new IllegalArgumentException("at least one memslot, got " + slotCount);
        long pages = guestBytes / PAGE_SIZE_BYTES;
        long hugePages = pages / PAGES_PER_HUGE_PAGE;
        long perSlot = Math.max(1, hugePages / slotCount) * PAGES_PER_HUGE_PAGE;
        List<Slot> slots = new ArrayList<>();
        long base = 0;
        for (int i = 0; i < slotCount && base < pages; i++) {
            long count = (i == slotCount - 1) ? pages - base : Math.min(perSlot, pages - base);
            slots.add(new Slot(i, base, count, base));
            base += count;
        }
        return of(slots);
    }

    /**
     * The memslots of {@link #contiguous}, each moved up so that {@code gapPages} unbacked gfns
     * lie before it: the first starts at gfn {@code gapPages}, each next one {@code gapPages}
     * after the end of the one before. No memslot starts at gfn 0, so gfn, memslot bit and dense
     * page index differ (from the second memslot on, all three), as in a guest whose RAM sits
     * around holes (the PCI hole below 4 GiB). {@code gapPages} 0 is {@link #contiguous}.
     */
    public static GuestLayout gapped(long guestBytes, int slotCount, long gapPages) {
        if (gapPages < 0) throw new IllegalArgumentException("the gap between memslots must be >= 0 pages, got " + gapPages);
        GuestLayout dense = contiguous(guestBytes, slotCount);
        if (gapPages == 0) return dense;
        List<Slot> slots = new ArrayList<>();
        long base = 0;
        for (Slot s : dense.slots()) {
            base = Math.addExact(base, gapPages);
            slots.add(new Slot(s.id(), base, s.pageCount(), 0));
            base = Math.addExact(base, s.pageCount());
        }
        return of(slots);
    }

    public List<Slot> slots() {
        return slots;
    }

    public int slotCount() {
        return slots.size();
    }

    public Slot slot(int position) {
        return slots.get(position);
    }

    public long totalPages() {
        return totalPages;
    }

    public long totalBytes() {
        return totalPages * PAGE_SIZE_BYTES;
    }

    /** Position (0..slotCount-1, in base-gfn order) of the slot holding {@code gfn}, or -1. */
    public int slotPositionOfGfn(long gfn) {
        int lo = 0;
        int hi = baseGfns.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (baseGfns[mid] > gfn) {
                hi = mid - 1;
            } else if (gfn - baseGfns[mid] >= pageCounts[mid]) {
                lo = mid + 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Dense page index of {@code gfn}, or -1 when no memslot holds it. */
    public long pageIndexOfGfn(long gfn) {
        int pos = slotPositionOfGfn(gfn);
        return pos < 0 ? -1 : firstPageIndexes[pos] + (gfn - baseGfns[pos]);
    }

    /** Guest frame number of dense page index {@code pageIndex} (0 <= pageIndex < totalPages). */
    public long gfnOfPageIndex(long pageIndex) {
        if (pageIndex < 0 || pageIndex >= totalPages) {
            throw new IndexOutOfBoundsException("page index " + pageIndex + " outside 0.." + totalPages);
        }
        int lo = 0;
        int hi = firstPageIndexes.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstPageIndexes[mid] <= pageIndex) lo = mid; else hi = mid - 1;
        }
        return baseGfns[lo] + (pageIndex - firstPageIndexes[lo]);
    }
}
