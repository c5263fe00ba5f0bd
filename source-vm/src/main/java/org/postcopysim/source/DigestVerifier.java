package org.postcopysim.source;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.protocol.CompletionDigest;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.source.policy.BackgroundOrder;

/**
 * Checks the destination's CompletionDigest chunks against the source's per-page CRC32Cs.
 * Chunks may arrive in any order; a page covered twice keeps its last checksum. The verdict
 * walks pages in dense order, so it does not depend on chunk order. Single-threaded (the
 * DEMAND channel's event loop).
 *
 * <p>When the guest ran on the source (precopy), its memory is not what it was generated as:
 * the checksums compared are taken again from the source's memory as it is now (frozen since the
 * switchover), page by page as the chunks come, not from what the source recorded while sending.
 * So the destination must hold every write the source's vCPUs made, whatever the dirty log or
 * the discard did; its own writes it undoes itself ({@code MemoryVerifier}).
 */
final class DigestVerifier {
    /** Most mismatched gfns a verdict names (count). */
    static final int MAX_MISMATCHED_GFNS = 32;

    private final SourceGuest guest;
    /** The guest ran on the source: checksum its memory again (null: the generated checksums hold). */
    private final org.postcopysim.memory.GuestMemory.View view;
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    private final long[] covered;
    private final long[] mismatched;

    /** The verdict on a whole digest. */
    record Verdict(long pagesVerified, long pagesTotal, long pageMismatches, List<Long> mismatchedGfns, int memoryDigest) {
        boolean verified() {
            return pageMismatches == 0 && pagesVerified == pagesTotal;
        }

        /** The CompletionResult frame's message, with the background order and the pages it left to demand. */
        CompletionResult toMessage(BackgroundOrder order, long pagesFetchedOnDemand) {
            return CompletionResult.newBuilder().setPagesVerified(pagesVerified).setPagesTotal(pagesTotal)
                    .setPageMismatches(pageMismatches).addAllMismatchedGfns(mismatchedGfns)
                    .setMemoryDigest(memoryDigest).setBackgroundOrder(order.toString())
                    .setPagesFetchedOnDemand(pagesFetchedOnDemand).build();
        }
    }

    /** @param guestRan whether the source's vCPUs wrote guest memory (precopy) */
    DigestVerifier(SourceGuest guest, boolean guestRan) {
        this.guest = guest;
        this.view = guestRan ? guest.newView() : null;
        int words = (guest.totalPages() + 63) >>> 6;
        this.covered = new long[words];
        this.mismatched = new long[words];
    }

    /**
     * Compares one chunk with the source's checksums.
     *
     * @return null when accepted, else why the chunk is malformed (it then changes nothing)
     */
    String accept(CompletionDigest chunk) {
        long first = chunk.getFirstPageIndex();
        int count = chunk.getPageCrc32CCount();
        int total = guest.totalPages();
        if (first < 0 || first > total || count > total - first) {
            return "digest chunk covers pages " + first + ".." + (first + count) + " outside the guest's " + total + " pages";
        }
        int base = (int) first;
        for (int i = 0; i < count; i++) {
            int p = base + i;
            long bit = 1L << p;
            covered[p >>> 6] |= bit;
            if (view != null) guest.crc32c(p, guest.checksumNow(p, view, crc));
            if (chunk.getPageCrc32C(i) == guest.crc32c(p)) {
                mismatched[p >>> 6] &= ~bit;
            } else {
                mismatched[p >>> 6] |= bit;
            }
        }
        return null;
    }

    /** The verdict on every chunk accepted so far; pages never covered count as mismatches. */
    Verdict verdict() {
        if (view != null) guest.recomputeDigest();
        int total = guest.totalPages();
        long verified = 0;
        long mismatches = 0;
        List<Long> gfns = new ArrayList<>();
        for (int w = 0; w < covered.length; w++) {
            int bitsInWord = Math.min(64, total - (w << 6));
            long valid = bitsInWord == 64 ? -1L : (1L << bitsInWord) - 1;
            long good = covered[w] & ~mismatched[w] & valid;
            long bad = ~good & valid;
            verified += Long.bitCount(good);
            mismatches += Long.bitCount(bad);
            for (long b = bad; b != 0 && gfns.size() < MAX_MISMATCHED_GFNS; b &= b - 1) {
                gfns.add(guest.layout().gfnOfPageIndex((w << 6) + Long.numberOfTrailingZeros(b)));
            }
        }
        return new Verdict(verified, total, mismatches, gfns, guest.memoryDigest());
    }
}
