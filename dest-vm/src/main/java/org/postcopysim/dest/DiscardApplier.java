package org.postcopysim.dest;

import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.BitmapChunks;
import org.postcopysim.protocol.Discard;
import org.postcopysim.protocol.DiscardChunks;

/**
 * Applies the discard set of the switchover after precopy. Every BACKGROUND stream carries the
 * whole set, behind its last precopy page and ahead of its first postcopy one; once every stream
 * has delivered it (and all agree), every page in it is dropped through the model
 * ({@link PageInstaller#discard}), so it is missing again and the guest faults on it. Applying it
 * only then means no precopy page still on its way on a slower stream can land after the drop.
 * Runs on the BACKGROUND event loops (under this object's lock), before the vCPUs resume.
 */
final class DiscardApplier {
    private final PageInstaller installer;
    private final PageInstaller.Context context;
    private final GuestLayout layout;
    /** Each stream's copy of the set, as it arrives. */
    private final long[][] words;
    private final boolean[] streamDone;
    private final boolean ignore;
    private final boolean onFirstStream;
    private int streamsDone;
    private boolean applied;
    private long present;

    /**
     * @param streams the BACKGROUND streams, each of which delivers the set
     * @param bug     the negative controls' broken destinations: {@link PrecopyBug#IGNORE_DISCARD} reads
     *                the set and drops nothing, {@link PrecopyBug#DISCARD_ON_FIRST_STREAM} drops it once
     *                the first stream has delivered it
     */
    DiscardApplier(PageInstaller installer, PageInstaller.Context context, GuestLayout layout, int streams, PrecopyBug bug) {
        this.installer = installer;
        this.context = context;
        this.layout = layout;
        this.words = new long[streams][BitmapChunks.wordsFor(layout.totalPages())];
        this.streamDone = new boolean[streams];
        this.ignore = bug == PrecopyBug.IGNORE_DISCARD;
        this.onFirstStream = bug == PrecopyBug.DISCARD_ON_FIRST_STREAM;
    }

    /** Takes {@code chunk} of stream {@code stream}'s copy; returns null, or why it is refused (nothing dropped then). */
    synchronized String accept(Discard chunk, int stream) {
        if (stream < 0 || stream >= words.length) return "a Discard on stream " + stream + " of " + words.length;
        if (streamDone[stream]) return "a Discard after the last one";
        String malformed = DiscardChunks.merge(chunk, words[stream], layout.totalPages());
        if (malformed != null) return malformed;
        if (!chunk.getLast()) return null;
        streamDone[stream] = true;
        if (applied) return null; // the broken destination that applied it at the first stream
        if (++streamsDone < words.length && !onFirstStream) return null;
        for (int s = 1; s < words.length && !onFirstStream; s++) {
            if (!java.util.Arrays.equals(words[0], words[s])) {
                return "BACKGROUND streams 0 and " + s + " sent different discard sets";
            }
        }
        long[] set = words[stream];
        for (long p = 0; p < layout.totalPages(); p++) {
            if ((set[(int) (p >>> 6)] & (1L << p)) == 0 || ignore) continue;
            int r;
            do {
                r = installer.discard(context, layout.gfnOfPageIndex(p));
                // BUSY: a copy is being installed on another thread this instant; it finishes at once.
            } while (r == PageInstaller.BUSY);
            if (r == PageInstaller.DISCARDED) present++;
        }
        applied = true;
        return null;
    }

    /** Whether stream {@code stream} has delivered the whole set. */
    synchronized boolean streamDone(int stream) {
        return stream >= 0 && stream < streamDone.length && streamDone[stream];
    }

    /** Whether every stream delivered the set and it was applied. */
    synchronized boolean applied() {
        return applied;
    }

    /** Pages in the discard set (count). */
    synchronized long pages() {
        long n = 0;
        int full = 0;
        for (int s = 0; s < streamDone.length; s++) if (streamDone[s]) full = s;
        for (long w : words[full]) n += Long.bitCount(w);
        return n;
    }

    /** Of those, pages that were present and were dropped (the others had not arrived: a bad copy). */
    synchronized long dropped() {
        return present;
    }
}
