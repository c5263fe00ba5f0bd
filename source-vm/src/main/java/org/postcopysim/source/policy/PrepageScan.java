package org.postcopysim.source.policy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code prepage:W}, adaptive pre-paging around recent faults after Hines and Gopalan's
 * "bubbling" (their paper: "Post-copy based live virtual machine migration using adaptive
 * pre-paging and dynamic self-ballooning"). Each page requested becomes a pivot; the
 * {@value #RECENT_FAULTS} most recent pivots are kept (a new one replaces the oldest). A
 * background claim first walks the window of the newest pivot, then of the next newest, and so
 * on: step {@code s} (0 .. W-1) of a window is the page at offset {@code +(s/2+1)} from the
 * pivot when {@code s} is even and {@code -(s/2+1)} when odd, i.e. +1, -1, +2, -2, ...: the W
 * nearest pages, ceil(W/2) after the fault and floor(W/2) before it. Each step is taken once per
 * pivot; a page already sent (or outside the guest) is skipped. When every window is walked, the
 * claim goes on in the linear order (the sent bitmap's cursor, which faults do not move).
 *
 * <p>A pivot and how far its window has been walked are one {@code long} per slot, (page + 1)
 * &lt;&lt; 32 | step, 0 for an empty slot, updated by compare-and-set, so that the demand
 * caller may replace a pivot while the background walks it.
 */
final class PrepageScan extends ScanOrder {
    /** Pivots kept: the most recent faults whose windows are still walked. */
    static final int RECENT_FAULTS = 4;

    private final int window;
    private final int pageCount;
    private final AtomicLongArray pivots = new AtomicLongArray(RECENT_FAULTS);
    /** Faults seen (count); the newest pivot is in slot faults % RECENT_FAULTS. */
    private final AtomicInteger faults = new AtomicInteger();

    PrepageScan(SentBitmap sent, int windowPages, int bugs) {
        super(sent, bugs);
        this.window = windowPages;
        this.pageCount = sent.pageCount();
    }

    @Override
    void onFault(int pageIndex) {
        if (hasBug(OrderBug.PREPAGE_IGNORES_FAULTS)) return;
        int slot = Math.floorMod(faults.incrementAndGet(), RECENT_FAULTS);
        pivots.set(slot, ((long) pageIndex + 1) << 32);
    }

    @Override
    int claim(int[] out, int max) {
        int n = 0;
        int newest = faults.get();
        for (int age = 0; age < RECENT_FAULTS && n < max; age++) {
            n = walkWindow(Math.floorMod(newest - age, RECENT_FAULTS), out, n, max);
        }
        if (n < max) n += sent.claimNext(out, n, max - n);
        return n;
    }

    /** Claims window pages of the pivot in {@code slot} into {@code out} from {@code n}; returns the new count. */
    private int walkWindow(int slot, int[] out, int n, int max) {
        while (n < max) {
            long v = pivots.get(slot);
            if (v == 0) return n;
            int step = (int) v;
            if (step >= window) return n;
            if (!pivots.compareAndSet(slot, v, v + 1)) continue; // replaced by a newer fault meanwhile
            long page = (v >>> 32) - 1 + offset(step);
            if (page < 0 || page >= pageCount) continue;
            int p = (int) page;
            if (hasBug(OrderBug.PREPAGE_SKIPS_THE_BITMAP)) {
                sent.markSent(p);
                out[n++] = p;
            } else if (sent.markSent(p)) {
                out[n++] = p;
            }
        }
        return n;
    }

    /** The offset from the pivot of window step {@code step}: +1, -1, +2, -2, ... */
    private long offset(int step) {
        if (hasBug(OrderBug.PREPAGE_FORWARD_ONLY)) return step + 1L;
        long d = step / 2 + 1L;
        return (step & 1) == 0 ? d : -d;
    }

    @Override
    void reset() {
        for (int i = 0; i < RECENT_FAULTS; i++) pivots.set(i, 0);
    }
}
