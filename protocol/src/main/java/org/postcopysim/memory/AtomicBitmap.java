package org.postcopysim.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed-size bitmap in 64-bit words that many threads update with atomic bit operations, so
 * one bit per page costs no lock and no object, and nothing here allocates. Bit {@code i} lives
 * in word {@code i >>> 6} at position {@code i & 63}.
 *
 * <p>Ordering: every read ({@link #get}, {@link #cardinality}, {@link #nextSet}, {@link #allClear}
 * ...) is an acquire read of each word; sets are volatile atomic read-modify-writes
 * ({@code getAndBitwiseOr}); {@link #testAndClear}/{@link #clear} are atomic with release
 * ordering, {@link #testAndClearVolatile} is a fully volatile atomic clear; the word-level clears
 * {@link #clearWord} and {@link #clearAllAndCount} are volatile atomic swaps, {@link #clearAll}
 * is a release store per word. Multi-word operations are atomic per word, not as a whole.
 */
public final class AtomicBitmap {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final long bits;

    public AtomicBitmap(long bits) {
        if (bits < 0 || bits > (long) Integer.MAX_VALUE * 64) throw new IllegalArgumentException("bitmap size " + bits);
        this.bits = bits;
        this.words = new long[(int) ((bits + 63) >>> 6)];
    }

    public long size() {
        return bits;
    }

    /** Number of 64-bit words backing the bitmap ({@code ceil(size / 64)}). */
    public int wordCount() {
        return words.length;
    }

    /** Whether bit {@code i} is set (acquire read). */
    public boolean get(long i) {
        return ((long) WORDS.getAcquire(words, (int) (i >>> 6)) & (1L << i)) != 0;
    }

    /** Sets bit {@code i} (volatile atomic); returns whether it was already set. */
    public boolean testAndSet(long i) {
        long mask = 1L << i;
        return ((long) WORDS.getAndBitwiseOr(words, (int) (i >>> 6), mask) & mask) != 0;
    }

    /**
     * Sets the clear bits among the lowest {@code max} (at least 1) clear bits of [{@code from},
     * {@code to}) that lie in {@code from}'s word, with one volatile atomic OR; returns the bits this
     * call set, as a mask of that word ({@code 0} when none was clear, or another thread set them
     * first). {@code to} is clipped to the word's end and to the size.
     */
    public long setClearBitsInWord(long from, long to, int max) {
        int w = (int) (from >>> 6);
        long end = Math.min(Math.min(to, bits), ((long) w + 1) << 6);
        if (from >= end) return 0;
        long mask = -1L << from;
        if ((end & 63) != 0) mask &= (1L << end) - 1;
        long want = ~(long) WORDS.getAcquire(words, w) & mask;
        if (Long.bitCount(want) > max) {
            long rest = want;
            for (int k = 0; k < max; k++) rest &= rest - 1;
            want ^= rest;
        }
        if (want == 0) return 0;
        return want & ~(long) WORDS.getAndBitwiseOr(words, w, want);
    }

    /** Clears bit {@code i} with release ordering; returns whether it was set. */
    public boolean testAndClear(long i) {
        long mask = 1L << i;
        return ((long) WORDS.getAndBitwiseAndRelease(words, (int) (i >>> 6), ~mask) & mask) != 0;
    }

    /**
     * Clears bit {@code i} atomically with volatile (sequentially consistent) ordering, stronger
     * than {@link #testAndClear}'s release; returns whether it was set.
     */
    public boolean testAndClearVolatile(long i) {
        long mask = 1L << i;
        return ((long) WORDS.getAndBitwiseAnd(words, (int) (i >>> 6), ~mask) & mask) != 0;
    }

    public void set(long i) {
        testAndSet(i);
    }

    /** Clears bit {@code i} with release ordering. */
    public void clear(long i) {
        testAndClear(i);
    }

    /** Sets every bit below {@link #size()} (volatile atomic OR per word). Not atomic as a whole. */
    public void setAll() {
        for (int w = 0; w < words.length; w++) {
            long remaining = bits - ((long) w << 6);
            long mask = remaining >= 64 ? -1L : (1L << remaining) - 1;
            WORDS.getAndBitwiseOr(words, w, mask);
        }
    }

    /** Clears every bit (release store per word). Not atomic as a whole. */
    public void clearAll() {
        for (int w = 0; w < words.length; w++) {
            WORDS.setRelease(words, w, 0L);
        }
    }

    /**
     * Clears word {@code wordIndex} (bits {@code 64 * wordIndex} to {@code 64 * wordIndex + 63})
     * with one volatile atomic swap; returns how many bits it held.
     */
    public int clearWord(int wordIndex) {
        return Long.bitCount((long) WORDS.getAndSet(words, wordIndex, 0L));
    }

    /**
     * Clears every bit, each word with one volatile atomic swap (atomic per word, not as a
     * whole); returns how many bits were set.
     */
    public long clearAllAndCount() {
        long cleared = 0;
        for (int w = 0; w < words.length; w++) cleared += clearWord(w);
        return cleared;
    }

    /** Number of set bits (a snapshot while others update; acquire read per word). */
    public long cardinality() {
        long n = 0;
        for (int w = 0; w < words.length; w++) n += Long.bitCount((long) WORDS.getAcquire(words, w));
        return n;
    }

    /** First set bit at or after {@code from}, or -1. */
    public long nextSet(long from) {
        return next(from, false);
    }

    /** First clear bit at or after {@code from} (below size), or -1. */
    public long nextClear(long from) {
        return next(from, true);
    }

    private long next(long from, boolean clear) {
        if (from < 0) from = 0;
        if (from >= bits) return -1;
        int w = (int) (from >>> 6);
        long word = (long) WORDS.getAcquire(words, w);
        if (clear) word = ~word;
        word &= -1L << from;
        while (true) {
            if (word != 0) {
                long i = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                return i < bits ? i : -1;
            }
            if (++w == words.length) return -1;
            word = (long) WORDS.getAcquire(words, w);
            if (clear) word = ~word;
        }
    }

    /**
     * Whether every bit in [from, to) is clear, checked a word at a time (acquire reads) and
     * reading only the words the range touches. The range is clipped to [0, size).
     */
    public boolean allClear(long from, long to) {
        if (from < 0) from = 0;
        if (to > bits) to = bits;
        if (from >= to) return true;
        int first = (int) (from >>> 6);
        int last = (int) ((to - 1) >>> 6);
        for (int w = first; w <= last; w++) {
            long mask = -1L;
            if (w == first) mask &= -1L << from;
            if (w == last) mask &= -1L >>> (63 - ((to - 1) & 63));
            if (((long) WORDS.getAcquire(words, w) & mask) != 0) return false;
        }
        return true;
    }
}
