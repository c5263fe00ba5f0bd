package org.postcopysim.source.policy;

/**
 * {@code linear} and {@code follow-faults}: the sent bitmap's scan from its cursor, wrapping;
 * with {@code follow}, a request moves the cursor to just after the page requested (QEMU's
 * postcopy: the scan continues next to the last page the destination asked for).
 */
final class CursorScan extends ScanOrder {
    private final boolean follow;

    CursorScan(SentBitmap sent, boolean follow, int bugs) {
        super(sent, bugs);
        this.follow = follow;
    }

    @Override
    void onFault(int pageIndex) {
        boolean moves = follow ? !hasBug(OrderBug.FAULTS_DO_NOT_MOVE_THE_SCAN) : hasBug(OrderBug.LINEAR_FOLLOWS_FAULTS);
        if (moves) sent.moveCursorAfter(pageIndex);
    }

    @Override
    int claim(int[] out, int max) {
        return sent.claimNext(out, max);
    }

    @Override
    void reset() {
    }
}
