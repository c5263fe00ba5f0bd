package org.postcopysim.dest.kvm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The host (VMM process) page tables over the guest's backing memory, the primary MMU of
 * kernel-background.md §6: for each page of the anonymous mapping behind the memslots (dense
 * page index, {@link org.postcopysim.memory.GuestLayout}) the state of its PTE and which host
 * page ("frame") it maps. This is what userfaultfd (§2) and exit-on-missing (§4) look at, and
 * what KVM's stage-2 entries must never exceed (see {@link Stage2Table}).
 *
 * <p>Four PTE states, two bits per page (32 pages per 64-bit word; all {@link #NONE} in a new
 * table):
 * <ul>
 *   <li>{@link #NONE}: pte_none, the page was never populated (or was discarded): userfaultfd's
 *       MISSING case, and the page is "missing" for exit-on-missing.</li>
 *   <li>{@link #READ_ONLY}: mapped without write permission (after a write-protecting
 *       mprotect, soft-dirty clearing, NUMA hinting, or a read fault that swapped the page in).
 *       A write fault through get_user_pages makes it writable again without an mmu_notifier
 *       event (the do_wp_page reuse path: the upgrade "[PATCH] mmu_notifiers: Notify on pte
 *       permission upgrades" is about).</li>
 *   <li>{@link #SWAPPED}: reclaimed: the page's contents are in swap and the PTE is a swap entry.
 *       It is absent but not missing: a host fault brings it back without a userfault, and
 *       UFFDIO_COPY on it fails with EEXIST (the PTE is not none).</li>
 *   <li>{@link #READ_WRITE}: mapped writable. {@link #map} means this state.</li>
 * </ul>
 * The mapped states double as permission masks: {@link #PERM_READ} is set in READ_ONLY and
 * READ_WRITE, {@link #PERM_WRITE} in READ_WRITE only ({@link #permissions}).
 *
 * <p>Frames: each page has a 16-bit frame number standing for its pfn. A page migration moves the
 * page to another frame ({@link #replaceFrame}), a conversion to shared gives it a fresh one
 * ({@link #mapFresh}); a secondary-MMU entry that still names the old frame maps a stale page.
 * The contents themselves stay where they are in guest memory: only the identity changes, which
 * is all the invariants need (a stale entry survives 65536 migrations of its page only by
 * wrap-around, and every migration zaps it first).
 *
 * <p>Ordering contract: whoever fills a page writes its contents first, then calls
 * {@link #map} (a volatile compare-and-set); a thread that sees {@link #isMapped} true (acquire)
 * also sees the contents. UFFDIO_COPY in {@code org.postcopysim.dest.uffd.Userfaultfd#copy}
 * relies on it.
 *
 * <p>Changes that the kernel brackets with mmu_notifier calls ({@link #unmap}, {@link #swapOut},
 * {@link #writeProtect}, {@link #replaceFrame}, ...) change only the host side here: go through
 * {@link Vm}'s host events so the stage-2 entries and pfn caches are invalidated around them.
 * Thread-safe and allocation-free; every method is one or a few atomic word operations.
 */
public final class HostPageTable {
    /** pte_none: never populated, or discarded. */
    public static final int NONE = 0;
    /** Mapped read-only. */
    public static final int READ_ONLY = 1;
    /** Swapped out: contents in swap, the PTE a swap entry. */
    public static final int SWAPPED = 2;
    /** Mapped read-write. */
    public static final int READ_WRITE = 3;

    /** Permission bit: readable (set in {@link #READ_ONLY} and {@link #READ_WRITE}). */
    public static final int PERM_READ = 1;
    /** Permission bit: writable (set in {@link #READ_WRITE} only). */
    public static final int PERM_WRITE = 2;

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle FRAMES = MethodHandles.arrayElementVarHandle(short[].class);
    private static final int SHIFT = 5; // 32 pages per word
    /** The low bit of every two-bit state: set when the page is mapped. */
    private static final long MAPPED_BITS = 0x5555_5555_5555_5555L;
    private static final int ANY_STATE = 0b1111;
    private static final int MAPPED_STATES = (1 << READ_ONLY) | (1 << READ_WRITE);

    private final long pages;
    private final long[] words;
    private final short[] frames;

    /** A table of {@code pages} pages, none mapped (a fresh anonymous mapping). */
    public HostPageTable(long pages) {
        if (pages <= 0) throw new IllegalArgumentException("a host page table needs pages > 0, got " + pages);
        if (pages > Integer.MAX_VALUE) throw new IllegalArgumentException("a host page table holds at most 2^31-1 pages, got " + pages);
        this.pages = pages;
        this.words = new long[(int) ((pages + 31) >>> SHIFT)];
        this.frames = new short[(int) pages];
    }

    /** A table of {@code pages} pages, all mapped read-write (the KVM Userfault mode: only the bitmap guards pages). */
    public static HostPageTable fullyMapped(long pages) {
        HostPageTable table = new HostPageTable(pages);
        table.mapAll();
        return table;
    }

    /** Number of pages. */
    public long pages() {
        return pages;
    }

    /** The PTE state of page {@code pageIndex} ({@link #NONE} ... {@link #READ_WRITE}); acquire read. */
    public int state(long pageIndex) {
        Objects.checkIndex(pageIndex, pages);
        return stateOf((long) WORDS.getAcquire(words, (int) (pageIndex >>> SHIFT)), pageIndex);
    }

    /** {@link #PERM_READ} / {@link #PERM_WRITE} bits the host grants on the page (0 unless mapped). */
    public int permissions(long pageIndex) {
        int s = state(pageIndex);
        return s == SWAPPED ? 0 : s;
    }

    /** Whether the host page {@code pageIndex} is mapped (read-only or read-write); acquire read. */
    public boolean isMapped(long pageIndex) {
        return (state(pageIndex) & 1) != 0;
    }

    /** Whether the host page is mapped read-write. */
    public boolean isWritable(long pageIndex) {
        return state(pageIndex) == READ_WRITE;
    }

    /**
     * Whether the page has contents in the host: mapped, or swapped out. This is "arrived" for
     * the modes where the host mapping is what the installer makes present: a reclaimed page is
     * absent but not missing.
     */
    public boolean hasContents(long pageIndex) {
        return state(pageIndex) != NONE;
    }

    /** Whether the page is swapped out. */
    public boolean isSwapped(long pageIndex) {
        return state(pageIndex) == SWAPPED;
    }

    /**
     * Maps host page {@code pageIndex} read-write, if its PTE is none (UFFDIO_COPY, or the host
     * populating a fresh page), with volatile ordering: contents written before this call are
     * visible to whoever sees it mapped. Returns false when the PTE was not none (mapped, or
     * swapped out): the EEXIST case of UFFDIO_COPY. Of several racing callers exactly one sees true.
     */
    public boolean map(long pageIndex) {
        return transition(pageIndex, 1 << NONE, READ_WRITE) >= 0;
    }

    /** Maps every page read-write (a store per word). Not atomic as a whole. */
    public void mapAll() {
        for (int w = 0; w < words.length; w++) WORDS.setRelease(words, w, wordMask(w));
    }

    /**
     * Makes the PTE of {@code pageIndex} none whatever it was (MADV_DONTNEED, QEMU's postcopy
     * discard, the discard of a shared page that became private): its contents are gone. Returns
     * whether it was mapped.
     */
    public boolean unmap(long pageIndex) {
        int old = transition(pageIndex, ANY_STATE, NONE);
        return old == READ_ONLY || old == READ_WRITE;
    }

    /** Reclaim: a mapped page is written to swap and its PTE becomes a swap entry. Returns whether it was mapped. */
    public boolean swapOut(long pageIndex) {
        return transition(pageIndex, MAPPED_STATES, SWAPPED) >= 0;
    }

    /**
     * The host fault on a swapped-out page: do_swap_page maps it writable for a write fault and
     * read-only for a read fault (the exclusive anonymous page is made writable on the next write,
     * without an mmu_notifier event). Returns whether this call swapped it in (false: it was not
     * swapped out, e.g. another thread swapped it in first).
     */
    public boolean swapIn(long pageIndex, boolean write) {
        return transition(pageIndex, 1 << SWAPPED, write ? READ_WRITE : READ_ONLY) >= 0;
    }

    /** Write-protects a read-write page (mprotect(PROT_READ), soft-dirty clearing). Returns whether it was writable. */
    public boolean writeProtect(long pageIndex) {
        return transition(pageIndex, 1 << READ_WRITE, READ_ONLY) >= 0;
    }

    /**
     * Upgrades a read-only page to read-write (mprotect(PROT_READ|PROT_WRITE), or the host's
     * write fault reusing the page). Returns whether it was read-only.
     */
    public boolean makeWritable(long pageIndex) {
        return transition(pageIndex, 1 << READ_ONLY, READ_WRITE) >= 0;
    }

    /**
     * Page migration: the mapped page moves to another frame (its permissions unchanged).
     * Returns whether it was mapped (an unmapped page has nothing to migrate).
     */
    public boolean replaceFrame(long pageIndex) {
        if (!isMapped(pageIndex)) return false;
        FRAMES.getAndAdd(frames, (int) pageIndex, (short) 1);
        return true;
    }

    /**
     * Maps a fresh, zeroed page read-write in a new frame, whatever the PTE was (the shared page
     * of a gfn converted from private to shared). The caller zeroes the contents first.
     */
    public void mapFresh(long pageIndex) {
        Objects.checkIndex(pageIndex, pages);
        FRAMES.getAndAdd(frames, (int) pageIndex, (short) 1);
        transition(pageIndex, ANY_STATE, READ_WRITE);
    }

    /** The frame (16 bits, as an int 0..65535) page {@code pageIndex} maps; acquire read. */
    public int frame(long pageIndex) {
        Objects.checkIndex(pageIndex, pages);
        return ((short) FRAMES.getAcquire(frames, (int) pageIndex)) & 0xFFFF;
    }

    /**
     * Sum of the frames of {@code [fromIndex, toIndexExclusive)}, modulo 2^16: the signature a
     * 2 MiB stage-2 entry records of the 512 host pages it maps. A migration of any one of them
     * changes it.
     */
    public int frameSignature(long fromIndex, long toIndexExclusive) {
        Objects.checkFromToIndex(fromIndex, toIndexExclusive, pages);
        int sum = 0;
        for (long p = fromIndex; p < toIndexExclusive; p++) sum += (short) FRAMES.getAcquire(frames, (int) p);
        return sum & 0xFFFF;
    }

    /** Whether every page in {@code [fromIndex, toIndexExclusive)} is mapped; acquire reads, a word at a time. */
    public boolean allMapped(long fromIndex, long toIndexExclusive) {
        return allMatch(fromIndex, toIndexExclusive, true);
    }

    /** Whether every page in {@code [fromIndex, toIndexExclusive)} is mapped read-write. */
    public boolean allWritable(long fromIndex, long toIndexExclusive) {
        return allMatch(fromIndex, toIndexExclusive, false);
    }

    /** Number of mapped pages (a snapshot while others update). */
    public long mappedCount() {
        return countStates(MAPPED_STATES);
    }

    /** Number of pages in {@code state} (a snapshot while others update). */
    public long countState(int state) {
        if (state < NONE || state > READ_WRITE) throw new IllegalArgumentException("no host PTE state " + state);
        return countStates(1 << state);
    }

    /** Name of a PTE state, for messages. */
    public static String stateName(int state) {
        switch (state) {
            case NONE: return "none";
            case READ_ONLY: return "read-only";
            case SWAPPED: return "swapped out";
            case READ_WRITE: return "read-write";
            default: return "state " + state;
        }
    }

    /**
     * Moves the page to {@code to} if its state is in {@code fromStates} (a mask of
     * {@code 1 << state}); returns the old state, or -1 when it was not in the set (unchanged).
     */
    private int transition(long pageIndex, int fromStates, int to) {
        Objects.checkIndex(pageIndex, pages);
        int w = (int) (pageIndex >>> SHIFT);
        int shift = (int) ((pageIndex & 31) << 1);
        long mask = 3L << shift;
        while (true) {
            long cur = (long) WORDS.getVolatile(words, w);
            int old = (int) ((cur >>> shift) & 3);
            if ((fromStates & (1 << old)) == 0) return -1;
            if (old == to) return old;
            long next = (cur & ~mask) | ((long) to << shift);
            if (WORDS.compareAndSet(words, w, cur, next)) return old;
        }
    }

    private boolean allMatch(long fromIndex, long toIndexExclusive, boolean mappedOnly) {
        Objects.checkFromToIndex(fromIndex, toIndexExclusive, pages);
        if (fromIndex >= toIndexExclusive) return true;
        int first = (int) (fromIndex >>> SHIFT);
        int last = (int) ((toIndexExclusive - 1) >>> SHIFT);
        for (int w = first; w <= last; w++) {
            long m = -1L;
            if (w == first) m &= -1L << ((fromIndex & 31) << 1);
            if (w == last) m &= -1L >>> (62 - (((toIndexExclusive - 1) & 31) << 1));
            if (mappedOnly) m &= MAPPED_BITS;
            if (((long) WORDS.getAcquire(words, w) & m) != m) return false;
        }
        return true;
    }

    private long countStates(int stateMask) {
        long n = 0;
        for (int w = 0; w < words.length; w++) {
            long word = (long) WORDS.getAcquire(words, w);
            int inWord = (int) Math.min(32, pages - ((long) w << SHIFT));
            for (int i = 0; i < inWord; i++) {
                if ((stateMask & (1 << (int) ((word >>> (i << 1)) & 3))) != 0) n++;
            }
        }
        return n;
    }

    /** Every valid page of word {@code w} in state READ_WRITE (padding past the end stays NONE). */
    private long wordMask(int w) {
        long remaining = pages - ((long) w << SHIFT);
        return remaining >= 32 ? -1L : (1L << (remaining << 1)) - 1;
    }

    private static int stateOf(long word, long pageIndex) {
        return (int) ((word >>> ((pageIndex & 31) << 1)) & 3);
    }

    @Override
    public String toString() {
        return "HostPageTable{pages=" + pages + ", mapped=" + mappedCount() + ", swapped=" + countState(SWAPPED) + '}';
    }
}
