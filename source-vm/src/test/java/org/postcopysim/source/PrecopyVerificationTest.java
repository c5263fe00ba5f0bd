package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;
import org.postcopysim.protocol.CompletionDigest;

/**
 * After precopy the source verifies the destination's digest against its memory as the guest left
 * it, not against the checksums it recorded while sending: a guest write that no precopy round or
 * discard carried over (a dirty log that missed it) is a mismatch. The negative control verifies
 * the same digest against the recorded checksums, as a source whose guest never ran does, and
 * misses the write.
 */
class PrecopyVerificationTest {
    private static final GuestLayout LAYOUT = GuestLayout.gapped(64 * GuestLayout.PAGE_SIZE_BYTES, 2, 16);

    /** The digest of a destination holding the pages as they were when sent (before the missed write). */
    private static CompletionDigest digestAsSent(SourceGuest guest) {
        CompletionDigest.Builder b = CompletionDigest.newBuilder().setFirstPageIndex(0).setLast(true).setPagesPresent(64);
        for (int p = 0; p < guest.totalPages(); p++) b.addPageCrc32C(guest.crc32c(p));
        return b.build();
    }

    private static void writeBehindTheRecords(SourceGuest guest, int pageIndex) {
        GuestMemory memory = guest.memory();
        memory.getAndAddWord(pageIndex, PageContents.COUNTER_WORD, 1);
    }

    /** The verdict on a destination that holds the pages as sent, after a write no round or discard carried over. */
    private static DigestVerifier.Verdict verdictAfterAMissedWrite(SourceGuest guest, boolean guestRan) {
        CompletionDigest digest = digestAsSent(guest);
        writeBehindTheRecords(guest, 41);
        DigestVerifier v = new DigestVerifier(guest, guestRan);
        assertEquals(null, v.accept(digest));
        return v.verdict();
    }

    @Test
    void aGuestWriteTheDestinationNeverGotIsAMismatch() {
        try (SourceGuest guest = SourceGuest.generate(LAYOUT, 7, 1)) {
            DigestVerifier.Verdict verdict = verdictAfterAMissedWrite(guest, true);
            assertEquals(1, verdict.pageMismatches());
            assertEquals(List.of(LAYOUT.gfnOfPageIndex(41)), verdict.mismatchedGfns());
            assertEquals(guest.checksumNow(41, guest.newView(), new CRC32C()), guest.crc32c(41), "the record follows memory now");
        }
    }

    @Test
    void negativeControlTrustingTheChecksumsRecordedWhileSendingMissesTheWrite() {
        try (SourceGuest guest = SourceGuest.generate(LAYOUT, 7, 1)) {
            assertTrue(verdictAfterAMissedWrite(guest, false).verified(),
                    "the stale page passes: this verifier cannot see the guest's writes");
        }
    }
}
