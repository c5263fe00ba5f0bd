package org.postcopysim.dest;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.dest.fetch.PagePresence;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;

/**
 * Which pages the destination holds, read from the fault mode's {@link PagePresence} (the one
 * definition of present the installer and the vCPUs share): as the PagesHeld bitmap of a resume,
 * and as the missing pages a failed migration names. Not a hot path (once per recovery or failure).
 */
final class PresentPages {
    /** Missing gfn ranges an error names (count); the summary has up to {@link #MAX_RANGES}. */
    static final int RANGES_NAMED = 16;
    /** Most missing gfn ranges a summary lists (count); a guest missing more is cut there, and says so. */
    static final int MAX_RANGES = 4096;

    private final Vm vm;
    private final PagePresence presence;

    PresentPages(Vm vm, PagePresence presence) {
        this.vm = vm;
        this.presence = presence;
    }

    /** Bit i of word i/64 set when dense page i is present, as PagesHeld carries it. */
    long[] heldWords() {
        long total = vm.layout().totalPages();
        long[] words = new long[(int) ((total + 63) >>> 6)];
        for (int s = 0; s < vm.memslotCount(); s++) {
            Memslot slot = vm.memslot(s);
            long first = slot.firstPageIndex();
            for (long bit = 0; bit < slot.pageCount(); bit++) {
                long p = first + bit;
                if (presence.isPresent(slot, bit, p)) words[(int) (p >>> 6)] |= 1L << p;
            }
        }
        return words;
    }

    /**
     * The pages still missing: how many, and every one of them as ranges of consecutive gfns in
     * dense order (the first {@link #MAX_RANGES}; {@code rangesCut} when there were more).
     */
    record Missing(long count, List<MigrationSummary.GfnRange> ranges, boolean rangesCut) {
        static final Missing NONE = new Missing(0, List.of(), false);

        /** "N of M pages missing (gfns 0x0-0x3 0x5 ...)". */
        String describe(long totalPages) {
            return count + " of " + totalPages + " pages missing (gfns "
                    + MigrationSummary.GfnRange.format(ranges, RANGES_NAMED) + ")";
        }
    }

    Missing missing() {
        long count = 0;
        List<MigrationSummary.GfnRange> ranges = new ArrayList<>();
        boolean cut = false;
        long runFirst = -1;
        long runLast = -1;
        for (int s = 0; s < vm.memslotCount(); s++) {
            Memslot slot = vm.memslot(s);
            for (long bit = 0; bit < slot.pageCount(); bit++) {
                if (presence.isPresent(slot, bit, slot.firstPageIndex() + bit)) continue;
                long gfn = slot.baseGfn() + bit;
                count++;
                if (runFirst >= 0 && gfn == runLast + 1) {
                    runLast = gfn;
                    continue;
                }
                if (runFirst >= 0) cut |= !addRange(ranges, runFirst, runLast);
                runFirst = gfn;
                runLast = gfn;
            }
        }
        if (runFirst >= 0) cut |= !addRange(ranges, runFirst, runLast);
        return new Missing(count, List.copyOf(ranges), cut);
    }

    private static boolean addRange(List<MigrationSummary.GfnRange> ranges, long first, long last) {
        if (ranges.size() >= MAX_RANGES) return false;
        ranges.add(new MigrationSummary.GfnRange(first, last));
        return true;
    }
}
