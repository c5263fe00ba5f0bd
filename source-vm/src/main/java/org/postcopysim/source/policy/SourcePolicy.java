package org.postcopysim.source.policy;

/**
 * The source's send policies as plain data and methods, shared by the real source (its Netty
 * handlers) and the simulated source of the virtual-time simulator: demand requests first, each
 * told to the background order ({@link BackgroundOrder}: by default the scan moves next to the
 * page requested, as QEMU's postcopy does), and a background stream that claims every page not
 * yet sent, in batches, in that order, paced by a token bucket when capped. No clock (time is
 * passed in), no thread, no lock; allocation-free after construction. Safe for one demand and one
 * background caller at once (see {@link SentBitmap} and {@link ScanOrder}).
 */
public final class SourcePolicy {
    private final SentBitmap sent;
    private final BackgroundOrder order;
    private final ScanOrder scan;

    /** The default order, follow-faults. */
    public SourcePolicy(int pageCount) {
        this(pageCount, BackgroundOrder.DEFAULT);
    }

    public SourcePolicy(int pageCount, BackgroundOrder order) {
        this(pageCount, order, 0);
    }

    /** With the {@link OrderBug}s of {@code bugs} injected: the negative controls of this package's tests. */
    SourcePolicy(int pageCount, BackgroundOrder order, int bugs) {
        this.sent = new SentBitmap(pageCount);
        this.order = java.util.Objects.requireNonNull(order, "order");
        this.scan = order.newScan(sent, bugs);
    }

    /** Which pages have been sent, and the background scan's cursor. */
    public SentBitmap sent() {
        return sent;
    }

    /** The order of the background stream. */
    public BackgroundOrder order() {
        return order;
    }

    ScanOrder scan() {
        return scan;
    }

    /**
     * A demand request for the first {@code count} dense pages of {@code pageIndexes}: marks them
     * sent (they are answered at once, never capped) and tells the background order of each, in
     * the request's order. Returns how many had been sent before (duplicates: in flight, or
     * delivered already); the others are fetched on demand, their faults network-bound.
     */
    public int onDemand(int[] pageIndexes, int count) {
        int duplicates = 0;
        for (int i = 0; i < count; i++) {
            if (!sent.markSent(pageIndexes[i])) duplicates++;
            scan.onFault(pageIndexes[i]);
        }
        return duplicates;
    }

    /**
     * Postcopy recovery: every page the destination does not hold ({@code heldWords}, see
     * {@link SentBitmap#markUnsentExcept}) is unsent again, and the background order starts over.
     *
     * @return pages not sent after the call (count)
     */
    public long resume(long[] heldWords) {
        long toResend = sent.markUnsentExcept(heldWords);
        scan.reset();
        return toResend;
    }

    /**
     * Precopy: every page set in {@code pages} (by dense page index) is unsent again, to be sent
     * by the next round or, after the discard, by postcopy; the background order starts over,
     * as after a recovery. Called by the background stream while no demand request is answered.
     *
     * @return pages not sent after the call (count)
     */
    public long markUnsent(org.postcopysim.memory.AtomicBitmap pages) {
        long toSend = sent.markUnsent(pages);
        scan.reset();
        return toSend;
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
        return new BackgroundPolicy(scan, pagesPerBatch,
                maxBytesPerSec == 0 ? null : new TokenBucket(maxBytesPerSec, burstBytes, nowNs));
    }
}
