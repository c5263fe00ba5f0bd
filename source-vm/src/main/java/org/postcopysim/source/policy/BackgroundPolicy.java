package org.postcopysim.source.policy;

/**
 * One background connection's stream policy: when the next batch may go (the token bucket of
 * the bandwidth cap, time passed in) and which pages it carries (the next unsent pages in the
 * migration's {@link BackgroundOrder}). Single-threaded (one per background connection);
 * allocation-free.
 */
public final class BackgroundPolicy {
    private final ScanOrder scan;
    private final int pagesPerBatch;
    private final TokenBucket bucket; // null = uncapped

    BackgroundPolicy(ScanOrder scan, int pagesPerBatch, TokenBucket bucket) {
        if (pagesPerBatch < 1) throw new IllegalArgumentException("pages per batch must be positive: " + pagesPerBatch);
        this.scan = scan;
        this.pagesPerBatch = pagesPerBatch;
        this.bucket = bucket;
    }

    public int pagesPerBatch() {
        return pagesPerBatch;
    }

    /** Nanoseconds until the next batch may be sent at {@code nowNs}; 0 = now. */
    public long nanosUntilNext(long nowNs) {
        return bucket == null ? 0 : bucket.nanosUntilAvailable(nowNs);
    }

    /**
     * Claims the next batch: up to {@link #pagesPerBatch()} unsent pages into {@code out}, in the
     * background order, marked sent. Returns how many; 0 only when every page has been sent.
     */
    public int claim(int[] out) {
        return scan.claim(out, pagesPerBatch);
    }

    /** A batch of {@code bytes} went out (charged to the cap). */
    public void sent(long bytes) {
        if (bucket != null) bucket.consume(bytes);
    }
}
