package org.postcopysim.dest.kvm;

import java.util.Objects;

/**
 * The userspace-owned bitmap of KVM Userfault (mechanisms.md section 5): one bit per gfn from
 * the memslot's base, in 64-bit words. A set bit means "page not here yet": with
 * {@link MemslotFlags#USERFAULT} on, a vCPU fault on it exits to userspace.
 *
 * <p>Ordering contract (the fetcher's central invariant): userspace writes the page contents
 * first, then {@link #clear(long)} with release ordering; a vCPU that observes the bit clear
 * through {@link #isSet(long)} (acquire) also observes the contents.
 */
public final class UserfaultBitmap {
    private final long pages;
    private final long[] words;

    /** A bitmap of {@code pages} bits, all clear. */
    public UserfaultBitmap(long pages) {
        if (pages <= 0) throw new IllegalArgumentException("a userfault bitmap needs pages > 0, got " + pages);
        this.pages = pages;
        this.words = new long[AtomicBits.wordCount(pages)];
    }

    /** Number of bits (pages of the memslot). */
    public long pages() {
        return pages;
    }

    /** Whether bit {@code index} is set, read with acquire ordering. */
    public boolean isSet(long index) {
        Objects.checkIndex(index, pages);
        return AtomicBits.getAcquire(words, index);
    }

    /** Sets bit {@code index} atomically. Does not unmap an already mapped gfn. */
    public void set(long index) {
        Objects.checkIndex(index, pages);
        AtomicBits.set(words, index);
    }

    /** Sets every bit below {@link #pages()}; bits past the end stay clear. */
    public void setAll() {
        int full = (int) (pages >>> 6);
        for (int i = 0; i < full; i++) {
            AtomicBits.orWord(words, i, -1L);
        }
        int rest = (int) (pages & 63);
        if (rest != 0) AtomicBits.orWord(words, full, (1L << rest) - 1);
    }

    /**
     * Clears bit {@code index} with release ordering (the page contents written before this call
     * are visible to whoever sees the bit clear). Returns whether the bit was set, so exactly one
     * of several racing clearers sees {@code true}.
     */
    public boolean clear(long index) {
        Objects.checkIndex(index, pages);
        return AtomicBits.clearRelease(words, index);
    }

    /** Number of set bits (pages still missing). */
    public long countSet() {
        return AtomicBits.count(words);
    }

    /** Whether every bit in {@code [fromIndex, toIndexExclusive)} is clear. */
    public boolean allClearInRange(long fromIndex, long toIndexExclusive) {
        Objects.checkFromToIndex(fromIndex, toIndexExclusive, pages);
        return AtomicBits.allClear(words, fromIndex, toIndexExclusive);
    }

    /** Lowest set bit at or above {@code fromIndex}, or -1 if none. */
    public long nextSetBit(long fromIndex) {
        return AtomicBits.nextSet(words, fromIndex, pages);
    }

    @Override
    public String toString() {
        return "UserfaultBitmap{pages=" + pages + ", set=" + countSet() + '}';
    }
}
