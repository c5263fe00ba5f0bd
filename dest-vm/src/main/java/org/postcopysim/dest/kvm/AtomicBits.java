package org.postcopysim.dest.kvm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Bit operations over a {@code long[]} of 64-bit words, every access through a VarHandle so
 * that concurrent threads can set and clear bits of the same word without losing updates.
 * Bit {@code i} lives in word {@code i >>> 6} at position {@code i & 63}. Nothing allocates.
 */
final class AtomicBits {
    static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private AtomicBits() {
    }

    /** Words needed for {@code bits} bits. */
    static int wordCount(long bits) {
        long words = (bits + 63) >>> 6;
        if (words > Integer.MAX_VALUE) throw new IllegalArgumentException("bitmap of " + bits + " bits is too large");
        return (int) words;
    }

    /** Reads bit {@code bit} with acquire ordering. */
    static boolean getAcquire(long[] words, long bit) {
        return ((long) WORDS.getAcquire(words, (int) (bit >>> 6)) & (1L << bit)) != 0;
    }

    /** Sets bit {@code bit} atomically (volatile); returns whether it was already set. */
    static boolean set(long[] words, long bit) {
        long mask = 1L << bit;
        return ((long) WORDS.getAndBitwiseOr(words, (int) (bit >>> 6), mask) & mask) != 0;
    }

    /** Clears bit {@code bit} atomically (volatile); returns whether it was set. */
    static boolean clear(long[] words, long bit) {
        long mask = 1L << bit;
        return ((long) WORDS.getAndBitwiseAnd(words, (int) (bit >>> 6), ~mask) & mask) != 0;
    }

    /** Clears bit {@code bit} atomically with release ordering; returns whether it was set. */
    static boolean clearRelease(long[] words, long bit) {
        long mask = 1L << bit;
        return ((long) WORDS.getAndBitwiseAndRelease(words, (int) (bit >>> 6), ~mask) & mask) != 0;
    }

    /** Sets every bit of {@code mask} in word {@code wordIndex} atomically. */
    static void orWord(long[] words, int wordIndex, long mask) {
        WORDS.getAndBitwiseOr(words, wordIndex, mask);
    }

    /** Clears word {@code wordIndex} atomically; returns how many bits it held. */
    static int clearWord(long[] words, int wordIndex) {
        return Long.bitCount((long) WORDS.getAndSet(words, wordIndex, 0L));
    }

    /** Clears every word atomically (word by word); returns how many bits were set. */
    static long clearAll(long[] words) {
        long cleared = 0;
        for (int i = 0; i < words.length; i++) {
            cleared += clearWord(words, i);
        }
        return cleared;
    }

    /** Number of set bits (a snapshot per word, acquire reads). */
    static long count(long[] words) {
        long n = 0;
        for (int i = 0; i < words.length; i++) {
            n += Long.bitCount((long) WORDS.getAcquire(words, i));
        }
        return n;
    }

    /** Whether every bit in {@code [from, toExclusive)} is clear (acquire reads). */
    static boolean allClear(long[] words, long from, long toExclusive) {
        if (from >= toExclusive) return true;
        int first = (int) (from >>> 6);
        int last = (int) ((toExclusive - 1) >>> 6);
        for (int i = first; i <= last; i++) {
            long mask = -1L;
            if (i == first) mask &= -1L << from;
            if (i == last) mask &= -1L >>> (63 - ((toExclusive - 1) & 63));
            if (((long) WORDS.getAcquire(words, i) & mask) != 0) return false;
        }
        return true;
    }

    /** Lowest set bit at or above {@code from} and below {@code limit}, or -1. */
    static long nextSet(long[] words, long from, long limit) {
        if (from < 0) from = 0;
        if (from >= limit) return -1;
        int i = (int) (from >>> 6);
        long word = (long) WORDS.getAcquire(words, i) & (-1L << from);
        while (true) {
            if (word != 0) {
                long bit = ((long) i << 6) + Long.numberOfTrailingZeros(word);
                return bit < limit ? bit : -1;
            }
            if (++i >= words.length) return -1;
            word = (long) WORDS.getAcquire(words, i);
        }
    }
}
