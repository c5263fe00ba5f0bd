package org.postcopysim.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed-size bitmap in 64-bit words that many threads update with atomic bit operations: reads
 * have acquire ordering, sets and clears are atomic read-modify-writes (clears with release
 * ordering), so one bit per page costs no lock and no object. Bit {@code i} lives in word
 * {@code i >>> 6} at position {@code i & 63}.
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

    /** Whether bit {@code i} is set (acquire read). */
    public boolean get(long i) {
        return ((long) WORDS.getAcquire(words, (int) (i >>> 6)) & (1L << i)) != 0;
    }

    /** Sets bit {@code i}; returns whether it was already set. */
    public boolean testAndSet(long i) {
        long mask = 1L << i;
        return ((long) WORDS.getAndBitwiseOr(words, (int) (i >>> 6), mask) & mask) != 0;
    }

    /** Clears bit {@code i} with release ordering; returns whether it was set. */
    public boolean testAndClear(long i) {
        long mask = 1L << i;
        return ((long) WORDS.getAndBitwiseAndRelease(words, (int) (i >>> 6), ~mask) & mask) != 0;
    }

    public void set(long i) {
        testAndSet(i);
    }

    public void clear(long i) {
        testAndClear(i);
    }

    /** Sets every bit below {@link #size()}. Not atomic as a whole. */
    public void setAll() {
        for (int w = 0; w < words.length; w++) {
            long remaining = bits - ((long) w << 6);
            long mask = remaining >= 64 ? -1L : (1L << remaining) - 1;
            WORDS.getAndBitwiseOr(words, w, mask);
        }
    }

    /** Clears every bit. Not atomic as a whole. */
    public void clearAll() {
        for (int w = 0; w < words.length; w++) {
            WORDS.setRelease(words, w, 0L);
        }
    }

    /** Number of set bits (a snapshot while others update). */
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

    /** Whether every bit in [from, to) is clear. */
    public boolean allClear(long from, long to) {
        long i = nextSet(from);
        return i < 0 || i >= to;
    }
}
