package org.postcopysim.source.policy;

/**
 * The state of one migration's background order ({@link BackgroundOrder}): told of every page
 * requested on demand ({@link #onFault}), it picks the pages of the next background claim. Every
 * page it picks is claimed through the {@link SentBitmap}'s test-and-set, so the order only
 * steers: a page is sent once whatever the order or a race between its callers does, and a
 * claim finds an unsent page whenever one is left (every order ends in a full scan of the
 * bitmap). Plain data and methods; one demand caller and one background caller at a time, as
 * the sent bitmap; allocation-free.
 */
abstract class ScanOrder {
    final SentBitmap sent;
    /** Bits of {@link OrderBug}s injected (tests only); 0 in every run. */
    private final int bugs;

    ScanOrder(SentBitmap sent, int bugs) {
        this.sent = sent;
        this.bugs = bugs;
    }

    /** A demand request for page {@code pageIndex} arrived (before it is answered). */
    abstract void onFault(int pageIndex);

    /**
     * Claims up to {@code max} unsent pages into {@code out} from index 0, in this order, marked
     * sent.
     *
     * @return pages claimed; 0 only when every page has been sent
     */
    abstract int claim(int[] out, int max);

    /** Postcopy recovery restarted the stream (the sent bitmap's cursor is back at 0): forget the faults seen. */
    abstract void reset();

    final boolean hasBug(OrderBug bug) {
        return (bugs & bug.bit()) != 0;
    }
}
