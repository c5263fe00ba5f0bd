package org.postcopysim.source;

import java.util.List;

/**
 * How a migration ended, as the source saw it.
 *
 * @param verified           true when the destination's digest covered every page and matched
 * @param pagesTotal         pages of the guest (count)
 * @param pagesVerified      pages whose destination checksum matched the source's (count)
 * @param pageMismatches     pages whose checksum differed or that the digest did not cover (count)
 * @param mismatchedGfns     guest frame numbers of the first mismatched pages, in dense order (at most 32)
 * @param demandPagesSent    pages sent in answer to page requests (count, duplicates included)
 * @param backgroundPagesSent pages sent by the background stream (count)
 * @param duplicatePagesSent requested pages that had already been sent (count)
 * @param bytesSent          PAGE_BATCH frame bytes sent on both connections (bytes, headers included)
 * @param pageRequests       PAGE_REQUEST frames received (count)
 * @param memoryDigest       CRC32C over the source's per-page CRC32Cs in dense order (little-endian ints)
 * @param recoveries         link recoveries completed: pauses the destination resumed (count)
 * @param pausedMs           time paused over the completed recoveries (milliseconds)
 * @param precopy            what precopy did ({@link Precopy#NONE} without)
 * @param error              why the migration failed; null when verified
 */
public record SourceResult(boolean verified, long pagesTotal, long pagesVerified, long pageMismatches,
                           List<Long> mismatchedGfns, long demandPagesSent, long backgroundPagesSent,
                           long duplicatePagesSent, long bytesSent, long pageRequests, int memoryDigest,
                           long recoveries, long pausedMs, Precopy precopy, String error) {
    /**
     * The precopy side of a migration: rounds run, pages and PAGE_BATCH bytes they sent (also
     * counted in {@code backgroundPagesSent} and {@code bytesSent}), pages discarded at the
     * switchover and guest writes the source's vCPUs made.
     */
    public record Precopy(int rounds, long pagesSent, long bytesSent, long discardedPages, long guestWrites) {
        public static final Precopy NONE = new Precopy(0, 0, 0, 0, 0);
    }

    public SourceResult {
        java.util.Objects.requireNonNull(precopy, "precopy");
        mismatchedGfns = List.copyOf(mismatchedGfns);
        if (verified && error != null) throw new IllegalArgumentException("a verified result carries no error");
        if (!verified && error == null) throw new IllegalArgumentException("a failed result says why");
    }
}
