package org.postcopysim.dest;

import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.BitmapChunks;
import org.postcopysim.protocol.Discard;
import org.postcopysim.protocol.DiscardChunks;

/**
 * Applies the discard set of the switchover after precopy, chunk by chunk as it arrives on
 * BACKGROUND (behind the last precopy page, ahead of the first postcopy one): every page in it is
 * dropped through the model ({@link PageInstaller#discard}), so it is missing again and the guest
 * faults on it. Runs on the BACKGROUND event loop, before the vCPUs resume.
 */
final class DiscardApplier {
    private final PageInstaller installer;
    private final PageInstaller.Context context;
    private final GuestLayout layout;
    private final long[] words;
    private final boolean ignore;
    private boolean done;
    private long present;

    /** @param ignore the negative control's broken destination: it reads the set and drops nothing */
    DiscardApplier(PageInstaller installer, PageInstaller.Context context, GuestLayout layout, boolean ignore) {
        this.installer = installer;
        this.context = context;
        this.layout = layout;
        this.words = new long[BitmapChunks.wordsFor(layout.totalPages())];
        this.ignore = ignore;
    }

    /** Applies {@code chunk}; returns null, or why it is refused (nothing dropped then). */
    String accept(Discard chunk) {
        if (done) return "a Discard after the last one";
        String malformed = DiscardChunks.merge(chunk, words, layout.totalPages());
        if (malformed != null) return malformed;
        long from = chunk.getFirstPageIndex();
        long to = Math.min(layout.totalPages(), from + chunk.getDirtyBitmap().size() * 8L);
        for (long p = from; p < to; p++) {
            if ((words[(int) (p >>> 6)] & (1L << p)) == 0 || ignore) continue;
            int r;
            do {
                r = installer.discard(context, layout.gfnOfPageIndex(p));
                // BUSY: a copy is being installed on another thread this instant; it finishes at once.
            } while (r == PageInstaller.BUSY);
            if (r == PageInstaller.DISCARDED) present++;
        }
        if (chunk.getLast()) done = true;
        return null;
    }

    /** Whether the last chunk was applied. */
    boolean done() {
        return done;
    }

    /** Pages in the discard set (count). */
    long pages() {
        long n = 0;
        for (long w : words) n += Long.bitCount(w);
        return n;
    }

    /** Of those, pages that were present and were dropped (the others had not arrived: a bad copy). */
    long dropped() {
        return present;
    }
}
