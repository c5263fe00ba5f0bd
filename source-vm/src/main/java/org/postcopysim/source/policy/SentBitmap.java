package org.postcopysim.source.policy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.memory.AtomicBitmap;

/**
 * Which pages have been sent (one bit per dense page index, an {@link AtomicBitmap}) and the
 * scan cursor of the background stream. Safe for the demand and background event loops at
 * once: while the migration runs, bits are only ever set, by atomic ORs (a page at a time on demand, a word at a time in a background claim), so
 * every page is claimed by exactly one of {@link #claimNext} or the first {@link #markSent} for
 * it. Postcopy recovery clears bits ({@link #markUnsentExcept}): its caller guarantees that no
 * streamer or responder of a dead connection can still claim (their channels are closed, and
 * close runs on their own event loops), so a page cleared is never claimed for a dead link.
 * Precopy clears bits too ({@link #markUnsent}: at each round and at the switchover), on the
 * background stream's own thread, while no demand request is answered (there are none before
 * the switchover). Allocates nothing after construction.
 */
public final class SentBitmap {
    private final AtomicBitmap sent;
    private final int pageCount;
    private final AtomicLong unsent;
    /** Page index the next background claim starts from. */
    private final AtomicInteger cursor = new AtomicInteger();

    public SentBitmap(int pageCount) {
        if (pageCount <= 0) throw new IllegalArgumentException("page count must be positive: " + pageCount);
        this.pageCount = pageCount;
        this.sent = new AtomicBitmap(pageCount);
        this.unsent = new AtomicLong(pageCount);
    }

    /** Pages not sent yet (count). */
    public long unsent() {
        return unsent.get();
    }

    /** Marks one page sent; true when it was not sent before (false = a duplicate send). */
    public boolean markSent(int pageIndex) {
        if (sent.testAndSet(pageIndex)) return false;
        unsent.decrementAndGet();
        return true;
    }

    /**
     * Postcopy recovery: marks every page whose bit is clear in {@code heldWords} (the
     * destination's PagesHeld bitmap, little-endian words by dense page index) as unsent again,
     * and restarts the background scan at page 0.
     *
     * @return pages not sent after the call (count): those the stream will send again
     */
    public long markUnsentExcept(long[] heldWords) {
        for (int p = 0; p < pageCount; p++) {
            int w = p >>> 6;
            boolean held = w < heldWords.length && (heldWords[w] & (1L << p)) != 0;
            if (!held && sent.testAndClear(p)) unsent.incrementAndGet();
        }
        cursor.set(0);
        return unsent.get();
    }

    /**
     * Precopy: marks every page set in {@code pages} (by dense page index) unsent again, to be
     * streamed again (the next round, or postcopy after the discard), and restarts the background
     * scan at page 0.
     *
     * @return pages not sent after the call (count)
     */
    public long markUnsent(AtomicBitmap pages) {
        for (long p = pages.nextSet(0); p >= 0 && p < pageCount; p = pages.nextSet(p + 1)) {
            if (sent.testAndClear(p)) unsent.incrementAndGet();
        }
        cursor.set(0);
        return unsent.get();
    }

    /** Moves the background scan to just after {@code pageIndex} (wrapping at the end). */
    public void moveCursorAfter(int pageIndex) {
        cursor.set(pageIndex + 1 >= pageCount ? 0 : pageIndex + 1);
    }

    public int cursor() {
        return cursor.get();
    }

    /**
     * Claims up to {@code max} unsent pages, scanning from the cursor to the end and then from 0
     * to the cursor, writes their indexes to {@code out} in scan order and marks them sent. Moves
     * the cursor past the last page claimed unless {@link #moveCursorAfter} moved it meanwhile.
     *
     * @return pages claimed; 0 only when every page has been sent
     */
    public int claimNext(int[] out, int max) {
        return claimNext(out, 0, max);
    }

    /**
     * {@link #claimNext(int[], int)} writing from {@code out[offset]}.
     *
     * @return pages claimed (at most {@code max}); 0 only when every page has been sent
     */
    public int claimNext(int[] out, int offset, int max) {
        if (max <= 0 || unsent.get() == 0) return 0;
        int start = cursor.get();
        int n = claimRange(start, pageCount, out, offset, max);
        if (n < max) n += claimRange(0, start, out, offset + n, max - n);
        if (n > 0) {
            int last = out[offset + n - 1];
            cursor.compareAndSet(start, last + 1 >= pageCount ? 0 : last + 1);
        }
        return n;
    }

    /**
     * Claims up to {@code max} unsent pages of [{@code from}, {@code end}) in ascending order,
     * writing them from {@code out[offset]} and marking them sent. Moves no cursor.
     *
     * @return pages claimed
     */
    public int claimRange(long from, long end, int[] out, int offset, int max) {
        int n = 0;
        long to = Math.min(end, pageCount);
        while (n < max && from < to) {
            long p = sent.nextClear(from);
            if (p < 0 || p >= to) break;
            // The clear pages of p's word, up to what is still wanted, claimed with one atomic OR; a
            // page the demand path set in between is not among the bits returned.
            long claimed = sent.setClearBitsInWord(p, to, max - n);
            long wordBase = p & ~63L;
            long last = p;
            while (claimed != 0) {
                last = wordBase + Long.numberOfTrailingZeros(claimed);
                out[offset + n++] = (int) last;
                claimed &= claimed - 1;
            }
            from = last + 1;
        }
        if (n > 0) unsent.addAndGet(-n);
        return n;
    }

    /** The first unsent page at or after {@code from}, wrapping to 0 at the end; -1 when every page is sent. */
    public int firstUnsentFrom(int from) {
        if (unsent.get() == 0) return -1;
        long p = from < pageCount ? sent.nextClear(Math.max(0, from)) : -1;
        if (p < 0 || p >= pageCount) p = sent.nextClear(0);
        return p < 0 || p >= pageCount ? -1 : (int) p;
    }

    /** Whether page {@code pageIndex} has been sent. */
    public boolean isSent(int pageIndex) {
        return sent.get(pageIndex);
    }

    /** Pages of the guest (count). */
    public int pageCount() {
        return pageCount;
    }
}
