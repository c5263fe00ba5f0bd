package org.postcopysim.source.policy;

import org.postcopysim.memory.GuestLayout;

/**
 * When precopy ends: after {@code maxRounds} rounds at most, or as soon as a round leaves no more
 * than {@code untilDirtyBytes} of pages dirtied (QEMU's test of the remaining dirty memory
 * against what the downtime allows). Round 1 sends every page, each later round the pages
 * dirtied since they were last sent; at the switchover what is still dirty is discarded on the
 * destination and sent in postcopy. Plain data: the round results are passed in.
 *
 * @param maxRounds       precopy rounds at most (count); 0 = no precopy: the guest stops at once
 * @param untilDirtyBytes end precopy after a round that leaves at most this much dirtied
 *                        (bytes); -1 = run all {@code maxRounds}
 */
public record PrecopyPolicy(int maxRounds, long untilDirtyBytes) {
    /** No precopy: postcopy only, the guest stops when the destination connects. */
    public static final PrecopyPolicy NONE = new PrecopyPolicy(0, -1);
    /** Rounds at most when only a dirty-bytes target is given (count). */
    public static final int DEFAULT_MAX_ROUNDS_UNTIL = 30;

    public PrecopyPolicy {
        if (maxRounds < 0) throw new IllegalArgumentException("precopy rounds must be >= 0, got " + maxRounds);
        if (untilDirtyBytes < -1) throw new IllegalArgumentException("precopy dirty-bytes target must be >= 0, got " + untilDirtyBytes);
        if (untilDirtyBytes >= 0 && maxRounds == 0) {
            throw new IllegalArgumentException("a precopy dirty-bytes target needs at least one round");
        }
    }

    /** Exactly {@code rounds} rounds (0 = no precopy). */
    public static PrecopyPolicy rounds(int rounds) {
        return new PrecopyPolicy(rounds, -1);
    }

    /** Rounds until one leaves at most {@code dirtyBytes} dirtied, at most {@code maxRounds} (0: {@link #DEFAULT_MAX_ROUNDS_UNTIL}). */
    public static PrecopyPolicy until(long dirtyBytes, int maxRounds) {
        if (dirtyBytes < 0) throw new IllegalArgumentException("precopy dirty-bytes target must be >= 0, got " + dirtyBytes);
        return new PrecopyPolicy(maxRounds == 0 ? DEFAULT_MAX_ROUNDS_UNTIL : maxRounds, dirtyBytes);
    }

    /** Whether there is any precopy. */
    public boolean enabled() {
        return maxRounds > 0;
    }

    /** Round {@code round} (1-based) ended with {@code dirtyPages} pages dirtied since sent: whether to switch over now. */
    public boolean switchoverAfter(int round, long dirtyPages) {
        if (round >= maxRounds) return true;
        return untilDirtyBytes >= 0 && dirtyPages * GuestLayout.PAGE_SIZE_BYTES <= untilDirtyBytes;
    }

    @Override
    public String toString() {
        if (!enabled()) return "none";
        return untilDirtyBytes < 0 ? maxRounds + " rounds" : "until " + untilDirtyBytes + " dirty bytes, at most " + maxRounds + " rounds";
    }
}
