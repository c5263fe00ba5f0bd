package org.postcopysim.dest.kvm;

import java.util.Objects;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;

/**
 * The stage-2 (EPT/NPT) table of one memslot: the secondary MMU mapping gfns to host pages
 * (kernel-background.md §6). Only presence is modelled, at two sizes: 4 KiB mappings (one bit
 * per gfn) and 2 MiB mappings (one bit per 512-page region aligned on absolute gfn multiples of
 * 512; only regions lying entirely inside the memslot can be mapped huge).
 *
 * <p>vCPU threads map concurrently, so every update is an atomic bit operation. Invariant kept
 * by {@link #map4k} and {@link #mapHuge}: no 4 KiB bit is left under a huge mapping once the
 * racing calls have returned. The 4 KiB bitmap is indexed from the slot's base rounded down to
 * 512 so that each region occupies exactly 8 whole words.
 */
public final class Stage2Table {
    private static final int HUGE_SHIFT = 9;
    private static final long PAGES_PER_HUGE = GuestLayout.PAGES_PER_HUGE_PAGE;
    private static final int WORDS_PER_REGION = (int) (PAGES_PER_HUGE >>> 6);

    static {
        if (PAGES_PER_HUGE != 1L << HUGE_SHIFT) throw new AssertionError("huge page is not 512 pages");
    }

    private final long baseGfn;
    private final long pages;
    private final long endGfn;
    private final long alignedBaseGfn;
    private final long firstRegion;
    private final AtomicBitmap small;
    private final AtomicBitmap huge;

    /** An empty table for {@code pages} gfns starting at {@code baseGfn}. */
    public Stage2Table(long baseGfn, long pages) {
        if (baseGfn < 0 || pages <= 0) {
            throw new IllegalArgumentException("bad stage-2 range: base gfn " + baseGfn + ", pages " + pages);
        }
        this.baseGfn = baseGfn;
        this.pages = pages;
        this.endGfn = baseGfn + pages;
        this.alignedBaseGfn = baseGfn & ~(PAGES_PER_HUGE - 1);
        this.firstRegion = baseGfn >>> HUGE_SHIFT;
        this.small = new AtomicBitmap(endGfn - alignedBaseGfn);
        long regions = ((endGfn - 1) >>> HUGE_SHIFT) - firstRegion + 1;
        this.huge = new AtomicBitmap(regions);
    }

    public long baseGfn() {
        return baseGfn;
    }

    public long pages() {
        return pages;
    }

    /** Whether {@code gfn} is mapped, by a 4 KiB mapping or by the huge mapping covering it. */
    public boolean isMapped(long gfn) {
        checkGfn(gfn);
        // 4 KiB first: mapHuge sets the huge bit before it clears the 4 KiB words.
        return small.get(smallBit(gfn)) || huge.get(regionBit(gfn));
    }

    /** Whether the region containing {@code gfn} is mapped by one 2 MiB mapping. */
    public boolean isHugeMapped(long gfn) {
        checkGfn(gfn);
        return huge.get(regionBit(gfn));
    }

    /** Whether the region containing {@code gfn} lies entirely inside the memslot. */
    public boolean hugeCapable(long gfn) {
        long regionStart = gfn & ~(PAGES_PER_HUGE - 1);
        return regionStart >= baseGfn && regionStart + PAGES_PER_HUGE <= endGfn;
    }

    /** Whether any gfn of the region containing {@code gfn} has a 4 KiB mapping. */
    public boolean anyMapped4kInRegion(long gfn) {
        checkGfn(gfn);
        long regionStart = Math.max(gfn & ~(PAGES_PER_HUGE - 1), baseGfn);
        long regionEnd = Math.min((gfn | (PAGES_PER_HUGE - 1)) + 1, endGfn);
        return !small.allClear(regionStart - alignedBaseGfn, regionEnd - alignedBaseGfn);
    }

    /** Creates a 4 KiB mapping of {@code gfn}; a no-op when a huge mapping already covers it. */
    public void map4k(long gfn) {
        checkGfn(gfn);
        long region = regionBit(gfn);
        if (huge.get(region)) return;
        long bit = smallBit(gfn);
        small.set(bit);
        // A racing mapHuge may have cleared the region's words before our set: drop our bit.
        if (huge.get(region)) small.testAndClearVolatile(bit);
    }

    /**
     * Maps the 2 MiB region containing {@code gfn} as one mapping, replacing its 4 KiB mappings.
     * Returns false (and changes nothing) when the region is not entirely inside the memslot.
     */
    public boolean mapHuge(long gfn) {
        checkGfn(gfn);
        if (!hugeCapable(gfn)) return false;
        huge.set(regionBit(gfn));
        int firstWord = (int) (((gfn & ~(PAGES_PER_HUGE - 1)) - alignedBaseGfn) >>> 6);
        for (int i = 0; i < WORDS_PER_REGION; i++) {
            small.clearWord(firstWord + i);
        }
        return true;
    }

    /**
     * Zaps the mapping covering {@code gfn} (an mmu_notifier invalidation); a huge mapping is
     * removed whole. Returns whether anything was mapped.
     */
    public boolean unmap(long gfn) {
        checkGfn(gfn);
        boolean wasSmall = small.testAndClearVolatile(smallBit(gfn));
        boolean wasHuge = huge.testAndClearVolatile(regionBit(gfn));
        return wasSmall || wasHuge;
    }

    /** Removes every mapping; returns how many there were, a huge mapping counting as one. */
    public long zapAll() {
        return huge.clearAllAndCount() + small.clearAllAndCount();
    }

    /** Number of 4 KiB mappings. */
    public long mapped4kCount() {
        return small.cardinality();
    }

    /** Number of 2 MiB mappings. */
    public long mappedHugeCount() {
        return huge.cardinality();
    }

    private long smallBit(long gfn) {
        return gfn - alignedBaseGfn;
    }

    private long regionBit(long gfn) {
        return (gfn >>> HUGE_SHIFT) - firstRegion;
    }

    private void checkGfn(long gfn) {
        Objects.checkIndex(gfn - baseGfn, pages);
    }

    @Override
    public String toString() {
        return "Stage2Table{baseGfn=" + baseGfn + ", pages=" + pages + ", 4k=" + mapped4kCount()
                + ", 2m=" + mappedHugeCount() + '}';
    }
}
