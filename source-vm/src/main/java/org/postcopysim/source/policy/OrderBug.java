package org.postcopysim.source.policy;

/**
 * Deliberate mistakes in the background orders, for the negative controls of their tests: a test
 * of this package builds a {@link SourcePolicy} with one (the constructor that takes them is
 * package-private) and shows that the test guarding the order catches it. Not an option anyone
 * can set on a run.
 */
enum OrderBug {
    /** follow-faults: a request does not move the scan (the order is linear). */
    FAULTS_DO_NOT_MOVE_THE_SCAN,
    /** linear: a request moves the scan next to it (the order is follow-faults). */
    LINEAR_FOLLOWS_FAULTS,
    /** prepage: no window is opened around a fault (the order is linear). */
    PREPAGE_IGNORES_FAULTS,
    /** prepage: a window only grows forward from the fault (+1, +2, ...), never backward. */
    PREPAGE_FORWARD_ONLY,
    /** prepage: window pages are taken without the sent bitmap's test-and-set, so a page may go twice. */
    PREPAGE_SKIPS_THE_BITMAP,
    /** grow-chunks: a fault does not bring the chunk back to 64 KiB. */
    CHUNKS_DO_NOT_SHRINK_AFTER_A_FAULT,
    /** grow-chunks: chunks never double. */
    CHUNKS_DO_NOT_GROW,
    /** grow-chunks: the scan stops at the end of memory instead of wrapping, so pages before the last fault are never sent. */
    CHUNKS_DO_NOT_WRAP;

    int bit() {
        return 1 << ordinal();
    }

    /** The bits of {@code bugs}. */
    static int bits(OrderBug... bugs) {
        int b = 0;
        for (OrderBug bug : bugs) b |= bug.bit();
        return b;
    }
}
