package org.postcopysim.source.policy;

/**
 * The source's send policies as plain data and methods, shared by the real source (its Netty
 * handlers) and the simulated source of the virtual-time simulator: demand requests first, each
 * moving the background scan next to the page requested (QEMU's postcopy does the same), and a
 * background stream that claims every page not yet sent, in batches, paced by a token bucket
 * when capped. No clock (time is passed in), no thread, no lock; allocation-free after
 * construction. Safe for one demand and one background caller at once (see {@link SentBitmap}).
 */
public final class SourcePolicy {
    private final SentBitmap sent;

    public SourcePolicy(int pageCount) {
        this.sent = new SentBitmap(pageCount);
    }

    /** Which pages have been sent, and the background scan's cursor. */
    public SentBitmap sent() {
        return sent;
    }

    /**
     * A demand request for the first {@code count} dense pages of {@code pageIndexes}: marks them
     * sent (they are answered at once, never capped) and moves the background scan to just after
     * the last one. Returns how many had been sent before (duplicates).
     */
    public int onDemand(int[] pageIndexes, int count) {
        int duplicates = 0;
        for (int i = 0; i < count; i++) {
            if (!sent.markSent(pageIndexes[i])) duplicates++;
        }
        if (count > 0) sent.moveCursorAfter(pageIndexes[count - 1]);
        return duplicates;
    }

    /**
     * The policy of one background connection's stream.
     *
     * @param pagesPerBatch  pages per PAGE_BATCH frame (at least 1)
     * @param maxBytesPerSec the stream's cap (bytes per second), 0 for none
     * @param burstBytes     the cap's burst (bytes): one frame's worth
     * @param nowNs          now, on the caller's clock
     */
    public BackgroundPolicy background(int pagesPerBatch, long maxBytesPerSec, long burstBytes, long nowNs) {
        return new BackgroundPolicy(sent, pagesPerBatch,
                maxBytesPerSec == 0 ? null : new TokenBucket(maxBytesPerSec, burstBytes, nowNs));
    }
}
