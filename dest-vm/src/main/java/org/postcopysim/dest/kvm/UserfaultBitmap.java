package org.postcopysim.dest.kvm;

import java.util.Objects;
import org.postcopysim.memory.AtomicBitmap;

/**
 * The userspace-owned bitmap of KVM Userfault (kernel-background.md §5): one bit per gfn from
 * the memslot's base, in 64-bit words. A set bit means "page not here yet": with
 * {@link MemslotFlags#USERFAULT} on, a vCPU fault on it exits to userspace.
 *
 * <p>Ordering contract (the fetcher's central invariant): userspace writes the page contents
 * first, then {@link #clear(long)} with release ordering; a vCPU that observes the bit clear
 * through {@link #isSet(long)} (acquire) also observes the contents.
 */
public final class UserfaultBitmap {
    private final long pages;
    private final AtomicBitmap bits;

    /** A bitmap of {@code pages} bits, all clear. */
    public UserfaultBitmap(long pages) {
        if (pages <= 0) throw new IllegalArgumentException("a userfault bitmap needs pages > 0, got " + pages);
        this.pages = pages;
        this.bits = new AtomicBitmap(pages);
    }

    /** Number of bits (pages of the memslot). */
    public long pages() {
        return pages;
    }

    /** Whether bit {@code index} is set, read with acquire ordering. */
    public boolean isSet(long index) {
        Objects.checkIndex(index, pages);
        return bits.get(index);
    }

    /** Sets bit {@code index} atomically. Does not unmap an already mapped gfn. */
    public void set(long index) {
        Objects.checkIndex(index, pages);
        bits.set(index);
    }

    /** Sets every bit below {@link #pages()}; bits past the end stay clear. */
    public void setAll() {
        bits.setAll();
    }

    /**
     * Clears bit {@code index} with release ordering (the page contents written before this call
     * are visible to whoever sees the bit clear). Returns whether the bit was set, so exactly one
     * of several racing clearers sees {@code true}.
     */
    public boolean clear(long index) {
        Objects.checkIndex(index, pages);
        return bits.testAndClear(index); // release ordering
    }

    /** Number of set bits (pages still missing). */
    public long countSet() {
        return bits.cardinality();
    }

    /** Whether every bit in {@code [fromIndex, toIndexExclusive)} is clear. */
    public boolean allClearInRange(long fromIndex, long toIndexExclusive) {
        Objects.checkFromToIndex(fromIndex, toIndexExclusive, pages);
        return bits.allClear(fromIndex, toIndexExclusive);
    }

    /** Lowest set bit at or above {@code fromIndex}, or -1 if none. */
    public long nextSetBit(long fromIndex) {
        return bits.nextSet(fromIndex);
    }

    @Override
    public String toString() {
        return "UserfaultBitmap{pages=" + pages + ", set=" + countSet() + '}';
    }
}
