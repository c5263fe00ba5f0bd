package org.postcopysim.source.policy;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code grow-chunks}, after CRIU's lazy-pages daemon: the background sends chunks, each the next
 * {@code size} unsent pages in page index order from where the chunk starts. The first chunk is
 * {@value #MIN_CHUNK_PAGES} pages (64 KiB) at page 0; each next chunk starts where the last
 * ended and is twice as large, up to {@value #MAX_CHUNK_PAGES} pages (4 MiB). A fault does not cut
 * the chunk being sent (CRIU has requested it already): the next chunk starts just after the
 * latest page requested meanwhile, and is 64 KiB again. A chunk that reaches the end of memory
 * ends there; the next one starts at page 0.
 *
 * <p>The latest fault is handed from the demand caller by an atomic; the chunk's position and
 * size belong to the background caller (volatile, so that the streamer of a new connection, on
 * another event loop, goes on from where the last one stopped).
 */
final class ChunkScan extends ScanOrder {
    /** The smallest chunk: 64 KiB of 4 KiB pages, the first and the one after each fault. */
    static final int MIN_CHUNK_PAGES = 16;
    /** The largest chunk: 4 MiB of 4 KiB pages. */
    static final int MAX_CHUNK_PAGES = 1024;

    private final int pageCount;
    /** The latest page requested since the current chunk began, or -1. */
    private final AtomicInteger pendingFault = new AtomicInteger(-1);
    /** Where the current chunk goes on (page index). */
    private volatile int next;
    /** Pages the current chunk still sends; 0 = start a new chunk. */
    private volatile int chunkLeft;
    /** Size of the current (or last) chunk (pages); 0 before the first. */
    private volatile int chunkPages;

    ChunkScan(SentBitmap sent, int bugs) {
        super(sent, bugs);
        this.pageCount = sent.pageCount();
    }

    @Override
    void onFault(int pageIndex) {
        pendingFault.set(pageIndex);
    }

    @Override
    int claim(int[] out, int max) {
        int n = 0;
        while (n < max) {
            if (chunkLeft == 0 && !startChunk()) break;
            int want = Math.min(max - n, chunkLeft);
            int got = sent.claimRange(next, pageCount, out, n, want);
            if (got < want) {
                chunkLeft = 0; // the end of memory: the chunk ends there
                next = pageCount;
            } else {
                chunkLeft -= got;
                next = out[n + got - 1] + 1;
            }
            n += got;
        }
        return n;
    }

    /** Starts the next chunk; false when no page is left to send from where it would start. */
    private boolean startChunk() {
        int fault = pendingFault.getAndSet(-1);
        int size;
        int start;
        if (fault >= 0) {
            start = fault + 1;
            size = hasBug(OrderBug.CHUNKS_DO_NOT_SHRINK_AFTER_A_FAULT) ? grown(chunkPages) : MIN_CHUNK_PAGES;
        } else {
            start = next;
            size = grown(chunkPages);
        }
        int first = sent.firstUnsentFrom(start >= pageCount ? 0 : start);
        if (hasBug(OrderBug.CHUNKS_DO_NOT_WRAP) && (start >= pageCount || first < start)) first = -1;
        if (first < 0) return false;
        next = first;
        chunkLeft = size;
        chunkPages = size;
        return true;
    }

    private int grown(int size) {
        if (size == 0) return MIN_CHUNK_PAGES;
        if (hasBug(OrderBug.CHUNKS_DO_NOT_GROW)) return size;
        return Math.min(MAX_CHUNK_PAGES, size * 2);
    }

    /** Size of the current (or last) chunk (pages); 0 before the first. */
    int chunkPages() {
        return chunkPages;
    }

    @Override
    void reset() {
        pendingFault.set(-1);
        next = 0;
        chunkLeft = 0;
        chunkPages = 0;
    }
}
