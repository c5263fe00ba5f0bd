package org.postcopysim.guest;

import org.postcopysim.memory.PageContents;

/** A tiny deterministic generator (SplitMix64): same seed, same sequence, on every JVM. Not thread-safe. */
public final class SplitMix64 {
    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    /** Seed for component {@code stream} of a run seeded {@code seed} (one fork per vCPU, say). */
    public static long fork(long seed, long stream) {
        return PageContents.mix64(seed ^ PageContents.mix64(stream + 0x632BE59BD9B4E019L));
    }

    public long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return PageContents.mix64(state);
    }

    /** Uniform in [0, bound), bound > 0 (Lemire's multiply-shift; bias below 2^-32 for our bounds). */
    public long nextLong(long bound) {
        return Math.floorMod(Math.multiplyHigh(nextLong(), bound), bound);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }
}
