package org.postcopysim.dest.kvm;

import java.util.Objects;
import org.postcopysim.memory.AtomicBitmap;

/**
 * The host (VMM process) page tables over the guest's backing memory: whether each page of the
 * anonymous mapping behind the memslots is present in the host, indexed by dense page index
 * ({@link org.postcopysim.memory.GuestLayout}). This is what userfaultfd (kernel-background.md §2)
 * and exit-on-missing (§4) look at: a host-unmapped page is "missing".
 *
 * <p>Representation: one bit per page in an {@link AtomicBitmap} holding the complement,
 * "not mapped" (all set in a new table). Two reasons: {@link #map} is then an atomic clear with
 * release ordering, the same publish step as {@link UserfaultBitmap#clear}; and "is this whole
 * 2 MiB region mapped" is a word-at-a-time {@link AtomicBitmap#allClear}.
 *
 * <p>Ordering contract: whoever fills a page writes its contents first, then calls
 * {@link #map} (release); a thread that sees {@link #isMapped} true (acquire) also sees the
 * contents. UFFDIO_COPY in {@code org.postcopysim.dest.uffd.Userfaultfd#copy} relies on it.
 *
 * <p>Thread-safe and allocation-free; every method is one or a few atomic word operations.
 */
public final class HostPageTable {
    private final long pages;
    /** Bit set = the host page is NOT mapped. */
    private final AtomicBitmap unmapped;

    /** A table of {@code pages} pages, none mapped (a fresh anonymous mapping). */
    public HostPageTable(long pages) {
        if (pages <= 0) throw new IllegalArgumentException("a host page table needs pages > 0, got " + pages);
        this.pages = pages;
        this.unmapped = new AtomicBitmap(pages);
        unmapped.setAll();
    }

    /** A table of {@code pages} pages, all mapped (the KVM Userfault mode: only the bitmap guards pages). */
    public static HostPageTable fullyMapped(long pages) {
        HostPageTable table = new HostPageTable(pages);
        table.mapAll();
        return table;
    }

    /** Number of pages (bits). */
    public long pages() {
        return pages;
    }

    /** Whether the host page {@code pageIndex} is mapped; acquire read. */
    public boolean isMapped(long pageIndex) {
        Objects.checkIndex(pageIndex, pages);
        return !unmapped.get(pageIndex);
    }

    /**
     * Maps host page {@code pageIndex} with release ordering (contents written before this call
     * are visible to whoever sees it mapped). Returns false when it was already mapped: the
     * EEXIST case of UFFDIO_COPY. Of several racing callers exactly one sees true.
     */
    public boolean map(long pageIndex) {
        Objects.checkIndex(pageIndex, pages);
        return unmapped.testAndClear(pageIndex); // release
    }

    /** Maps every page (release store per word). Not atomic as a whole. */
    public void mapAll() {
        unmapped.clearAll();
    }

    /**
     * Unmaps host page {@code pageIndex} (volatile atomic): reclaim, MADV_DONTNEED, QEMU's
     * postcopy discard. Returns whether it was mapped. This changes only the host side: use
     * {@link Vm#unmapHostPage} so the stage-2 mapping is zapped too (the mmu_notifier).
     */
    public boolean unmap(long pageIndex) {
        Objects.checkIndex(pageIndex, pages);
        return !unmapped.testAndSet(pageIndex);
    }

    /** Whether every page in {@code [fromIndex, toIndexExclusive)} is mapped; acquire reads, a word at a time. */
    public boolean allMapped(long fromIndex, long toIndexExclusive) {
        Objects.checkFromToIndex(fromIndex, toIndexExclusive, pages);
        return unmapped.allClear(fromIndex, toIndexExclusive);
    }

    /** Number of mapped pages (a snapshot while others update). */
    public long mappedCount() {
        return pages - unmapped.cardinality();
    }

    @Override
    public String toString() {
        return "HostPageTable{pages=" + pages + ", mapped=" + mappedCount() + '}';
    }
}
