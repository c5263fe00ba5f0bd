package org.postcopysim.dest.kvm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;

/**
 * The stage-2 (EPT/NPT) table of one memslot: the secondary MMU mapping gfns to host pages
 * (kernel-background.md §6), at two sizes.
 * <ul>
 *   <li>4 KiB entries: present (one bit per gfn), writable or read-only, shared or private, and
 *       the host frame the entry maps ({@link HostPageTable#frame}; 0 for a private entry, whose
 *       page lives in guest_memfd and has no host mapping).</li>
 *   <li>2 MiB entries: one bit per 512-page region aligned on absolute gfn multiples of 512;
 *       only regions lying entirely inside the memslot can be mapped huge. A huge entry is
 *       always shared and writable (the model maps huge only over 512 read-write host pages)
 *       and records the {@link HostPageTable#frameSignature} of the host pages it covers.</li>
 * </ul>
 *
 * <p>vCPU threads map concurrently, so every update is an atomic bit operation. Invariants kept
 * by the methods here once racing calls have returned: no 4 KiB bit is left under a huge
 * mapping; a writable bit is set only with its present bit (an install sets present, then
 * writable; a zap clears writable, then present), so a write hit reads the writable bit alone.
 * The 4 KiB bitmaps are indexed from the slot's base rounded down to 512 so that each region
 * occupies exactly 8 whole words.
 *
 * <p>Refault marks: when an mmu_notifier event zaps an entry, the gfns it mapped are marked, so
 * that the fault that maps them again is counted as a refault ({@link #takeRefault}); a second
 * set of marks does the same for the zaps of the notify-on-upgrade variant.
 */
public final class Stage2Table {
    /** {@link #zap} scope: shared entries (kvm_gfn_range.only_shared). */
    public static final int SCOPE_SHARED = 1;
    /** {@link #zap} scope: private entries (kvm_gfn_range.only_private). */
    public static final int SCOPE_PRIVATE = 2;
    /** {@link #zap} scope: both. */
    public static final int SCOPE_ALL = SCOPE_SHARED | SCOPE_PRIVATE;

    /** {@link #zap} result bit: a shared 4 KiB entry was removed. */
    public static final int ZAPPED_4K = 1;
    /** {@link #zap} result bit: a 2 MiB entry was removed. */
    public static final int ZAPPED_HUGE = 2;
    /** {@link #zap} result bit: a private 4 KiB entry was removed. */
    public static final int ZAPPED_PRIVATE = 4;

    /** {@link #zap} mark: none. */
    static final int MARK_NONE = 0;
    /** {@link #zap} mark: an mmu_notifier zap; the next mapping of these gfns is a refault. */
    static final int MARK_REFAULT = 1;
    /** {@link #zap} mark: a zap of the notify-on-upgrade variant. */
    static final int MARK_UPGRADE = 2;

    private static final int HUGE_SHIFT = 9;
    private static final long PAGES_PER_HUGE = GuestLayout.PAGES_PER_HUGE_PAGE;
    private static final int WORDS_PER_REGION = (int) (PAGES_PER_HUGE >>> 6);
    private static final VarHandle SHORTS = MethodHandles.arrayElementVarHandle(short[].class);

    static {
        if (PAGES_PER_HUGE != 1L << HUGE_SHIFT) throw new AssertionError("huge page is not 512 pages");
    }

    private final long baseGfn;
    private final long pages;
    private final long endGfn;
    private final long alignedBaseGfn;
    private final long firstRegion;
    private final AtomicBitmap small;
    private final AtomicBitmap writable4k;
    private final AtomicBitmap private4k;
    private final short[] frames;
    private final AtomicBitmap huge;
    private final short[] hugeSignatures;
    private final AtomicBitmap refault;
    private final AtomicBitmap upgradeRefault;

    /** An empty table for {@code pages} gfns starting at {@code baseGfn}. */
    public Stage2Table(long baseGfn, long pages) {
        this(baseGfn, pages, false);
    }

    /** @param upgradeMarks keep the refault marks of the notify-on-upgrade variant */
    Stage2Table(long baseGfn, long pages, boolean upgradeMarks) {
        if (baseGfn < 0 || pages <= 0) {
            throw new IllegalArgumentException("bad stage-2 range: base gfn " + baseGfn + ", pages " + pages);
        }
        this.baseGfn = baseGfn;
        this.pages = pages;
        this.endGfn = baseGfn + pages;
        this.alignedBaseGfn = baseGfn & ~(PAGES_PER_HUGE - 1);
        this.firstRegion = baseGfn >>> HUGE_SHIFT;
        long span = endGfn - alignedBaseGfn;
        this.small = new AtomicBitmap(span);
        this.writable4k = new AtomicBitmap(span);
        this.private4k = new AtomicBitmap(span);
        this.frames = new short[Math.toIntExact(span)];
        long regions = ((endGfn - 1) >>> HUGE_SHIFT) - firstRegion + 1;
        this.huge = new AtomicBitmap(regions);
        this.hugeSignatures = new short[Math.toIntExact(regions)];
        this.refault = new AtomicBitmap(span);
        this.upgradeRefault = upgradeMarks ? new AtomicBitmap(span) : null;
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

    /** Whether {@code gfn} is mapped writable (a huge mapping is always writable). */
    public boolean isWritable(long gfn) {
        checkGfn(gfn);
        return writable4k.get(smallBit(gfn)) || huge.get(regionBit(gfn));
    }

    /** Whether an access to {@code gfn} hits: mapped, and writable when it writes. */
    public boolean permits(long gfn, boolean write) {
        return write ? isWritable(gfn) : isMapped(gfn);
    }

    /** Whether {@code gfn} has a private (guest_memfd) 4 KiB entry. */
    public boolean isPrivateEntry(long gfn) {
        checkGfn(gfn);
        long bit = smallBit(gfn);
        return small.get(bit) && private4k.get(bit);
    }

    /** Whether {@code gfn} has a 4 KiB entry (not counting a huge one covering it). */
    public boolean isMapped4k(long gfn) {
        checkGfn(gfn);
        return small.get(smallBit(gfn));
    }

    /** The host frame the 4 KiB entry of {@code gfn} maps (meaningful while it is mapped and shared). */
    public int frame(long gfn) {
        checkGfn(gfn);
        return ((short) SHORTS.getAcquire(frames, (int) smallBit(gfn))) & 0xFFFF;
    }

    /** The frame signature the huge entry covering {@code gfn} recorded (meaningful while it is mapped). */
    public int hugeSignature(long gfn) {
        checkGfn(gfn);
        return ((short) SHORTS.getAcquire(hugeSignatures, (int) regionBit(gfn))) & 0xFFFF;
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

    /** Creates a writable shared 4 KiB mapping of {@code gfn} (frame 0); a no-op under a huge mapping. */
    public void map4k(long gfn) {
        install4k(gfn, true, 0, false);
    }

    /**
     * Creates a 4 KiB entry for {@code gfn} with exactly the given permission, frame and
     * attribute, replacing a 4 KiB entry that is there (an upgrade of a read-only entry is an
     * install with {@code writable}); a no-op when a huge mapping covers the gfn.
     */
    public void install4k(long gfn, boolean writable, int frame, boolean privateEntry) {
        checkGfn(gfn);
        long region = regionBit(gfn);
        if (huge.get(region)) return;
        long bit = smallBit(gfn);
        SHORTS.setRelease(frames, (int) bit, (short) frame);
        // Each locked read-modify-write costs the fault path as much as the rest of the install:
        // the attribute bits are written only when they change (docs/performance.md).
        if (private4k.get(bit) != privateEntry) {
            if (privateEntry) private4k.set(bit); else private4k.clear(bit);
        }
        small.set(bit);
        if (writable4k.get(bit) != writable) {
            if (writable) writable4k.set(bit); else writable4k.testAndClearVolatile(bit);
        }
        // A racing mapHuge may have cleared the region's words before our set: drop our bits.
        if (huge.get(region)) {
            writable4k.testAndClearVolatile(bit);
            small.testAndClearVolatile(bit);
        }
    }

    /**
     * Maps the 2 MiB region containing {@code gfn} as one writable mapping (signature 0),
     * replacing its 4 KiB mappings. Returns false (and changes nothing) when the region is not
     * entirely inside the memslot.
     */
    public boolean mapHuge(long gfn) {
        return installHuge(gfn, 0);
    }

    /**
     * Maps the region containing {@code gfn} huge, recording {@code signature}, the frame
     * signature of the 512 host pages behind it. Returns false when the region is not entirely
     * inside the memslot.
     */
    public boolean installHuge(long gfn, int signature) {
        checkGfn(gfn);
        if (!hugeCapable(gfn)) return false;
        long region = regionBit(gfn);
        SHORTS.setRelease(hugeSignatures, (int) region, (short) signature);
        huge.set(region);
        int firstWord = (int) (((gfn & ~(PAGES_PER_HUGE - 1)) - alignedBaseGfn) >>> 6);
        for (int i = 0; i < WORDS_PER_REGION; i++) {
            writable4k.clearWord(firstWord + i);
            small.clearWord(firstWord + i);
        }
        return true;
    }

    /**
     * Zaps the mapping covering {@code gfn} (an mmu_notifier invalidation); a huge mapping is
     * removed whole. Returns whether anything was mapped.
     */
    public boolean unmap(long gfn) {
        return zap(gfn, SCOPE_ALL, MARK_NONE) != 0;
    }

    /**
     * Zaps the entries covering {@code gfn} that {@code scope} reaches (kvm_unmap_gfn_range with
     * only_shared / only_private): its 4 KiB entry if its attribute is in scope, and the huge
     * entry covering it if shared entries are. Returns {@link #ZAPPED_4K}, {@link #ZAPPED_HUGE}
     * and {@link #ZAPPED_PRIVATE} bits for what was removed.
     */
    public int zap(long gfn, int scope) {
        return zap(gfn, scope, MARK_NONE);
    }

    int zap(long gfn, int scope, int mark) {
        checkGfn(gfn);
        int removed = 0;
        long bit = smallBit(gfn);
        boolean isPrivate = private4k.get(bit);
        if ((scope & (isPrivate ? SCOPE_PRIVATE : SCOPE_SHARED)) != 0) {
            writable4k.testAndClearVolatile(bit);
            if (small.testAndClearVolatile(bit)) {
                removed |= isPrivate ? ZAPPED_PRIVATE : ZAPPED_4K;
                if (mark != MARK_NONE) markGfn(bit, mark);
            }
        }
        if ((scope & SCOPE_SHARED) != 0 && huge.testAndClearVolatile(regionBit(gfn))) {
            removed |= ZAPPED_HUGE;
            if (mark != MARK_NONE) {
                long first = (gfn & ~(PAGES_PER_HUGE - 1)) - alignedBaseGfn;
                for (long b = first; b < first + PAGES_PER_HUGE; b++) markGfn(b, mark);
            }
        }
        return removed;
    }

    private void markGfn(long bit, int mark) {
        if ((mark & MARK_REFAULT) != 0) refault.set(bit);
        if ((mark & MARK_UPGRADE) != 0 && upgradeRefault != null) upgradeRefault.set(bit);
    }

    /**
     * The fault that just mapped {@code gfn} (or its region, when {@code hugeRegion}) takes the
     * refault marks an mmu_notifier zap left there; returns whether there was one.
     */
    boolean takeRefault(long gfn, boolean hugeRegion) {
        return take(refault, gfn, hugeRegion);
    }

    /** Like {@link #takeRefault}, for the zaps of the notify-on-upgrade variant. */
    boolean takeUpgradeRefault(long gfn, boolean hugeRegion) {
        return upgradeRefault != null && take(upgradeRefault, gfn, hugeRegion);
    }

    private boolean take(AtomicBitmap marks, long gfn, boolean hugeRegion) {
        if (!hugeRegion) {
            long bit = smallBit(gfn);
            return marks.get(bit) && marks.testAndClear(bit); // no locked write when unmarked, the common case
        }
        int firstWord = (int) (((gfn & ~(PAGES_PER_HUGE - 1)) - alignedBaseGfn) >>> 6);
        int taken = 0;
        for (int i = 0; i < WORDS_PER_REGION; i++) taken += marks.clearWord(firstWord + i);
        return taken > 0;
    }

    /** Removes every mapping; returns how many there were, a huge mapping counting as one. */
    public long zapAll() {
        writable4k.clearAllAndCount();
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

    /** The lowest gfn at or above {@code fromGfn} with a 4 KiB entry, or -1. */
    public long nextMapped4k(long fromGfn) {
        long from = Math.max(fromGfn, baseGfn) - alignedBaseGfn;
        long bit = small.nextSet(from);
        return bit < 0 ? -1 : alignedBaseGfn + bit;
    }

    /** The first gfn of the lowest huge-mapped region starting at or above {@code fromGfn}'s region, or -1. */
    public long nextHuge(long fromGfn) {
        long from = (Math.max(fromGfn, baseGfn) >>> HUGE_SHIFT) - firstRegion;
        long region = huge.nextSet(from);
        return region < 0 ? -1 : (firstRegion + region) << HUGE_SHIFT;
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
