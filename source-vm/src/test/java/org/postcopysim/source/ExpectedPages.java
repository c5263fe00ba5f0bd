package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.zip.CRC32C;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.PageBatch;

/** What a destination expects of every page, computed independently of the source from the seed. */
final class ExpectedPages {
    private final GuestLayout layout;
    private final long seed;
    private final ByteBuffer scratch = ByteBuffer.allocate(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();

    ExpectedPages(SourceConfig config) {
        this.layout = GuestLayout.gapped(config.guestBytes(), config.memslots(),
                config.memslotGapBytes() / GuestLayout.PAGE_SIZE_BYTES);
        this.seed = config.seed();
    }

    GuestLayout layout() {
        return layout;
    }

    int totalPages() {
        return (int) layout.totalPages();
    }

    /** The source's CRC32C of dense page {@code pageIndex}. */
    int crcOfPageIndex(int pageIndex) {
        PageContents.fill(scratch, seed, layout.gfnOfPageIndex(pageIndex));
        return PageContents.crc32c(crc, scratch);
    }

    /** CRC32C over every page's CRC32C in dense order, little-endian: the expected memory digest. */
    int memoryDigest() {
        ByteBuffer all = ByteBuffer.allocate(4 * totalPages()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < totalPages(); i++) all.putInt(crcOfPageIndex(i));
        CRC32C d = new CRC32C();
        d.update(all.flip());
        return (int) d.getValue();
    }

    /** Checks one received page: right size, its CRC32C matches its contents, its contents are the seed's. */
    void assertPage(ReceivedPage page) {
        byte[] contents = page.getContents().toByteArray();
        assertEquals(GuestLayout.PAGE_SIZE_BYTES, contents.length, "page size of gfn " + page.getGfn());
        crc.reset();
        crc.update(contents);
        assertEquals((int) crc.getValue(), page.getCrc32C(), "crc32c of gfn " + page.getGfn());
        PageContents.fill(scratch, seed, page.getGfn());
        assertArrayEquals(scratch.array(), contents, "contents of gfn " + page.getGfn());
    }

    /**
     * Reads background PAGE_BATCH frames until every page has arrived; fails on a duplicate, a
     * page outside the layout, a bad page or a non-zero request id. Returns the batches' first gfns.
     */
    java.util.List<Long> receiveAllPages(TestDestination background, BitSet seen) {
        java.util.List<Long> firstGfns = new java.util.ArrayList<>();
        while (seen.cardinality() < totalPages()) {
            PageBatch batch = background.next(FrameType.FRAME_TYPE_PAGE_BATCH).parse(PageBatch.parser());
            assertEquals(0, batch.getRequestId(), "background batches carry request id 0");
            assertTrue(batch.getPageGfnCount() > 0, "empty background batch");
            firstGfns.add(batch.getPageGfn(0));
            for (ReceivedPage p : ReceivedPage.of(batch)) {
                long index = layout.pageIndexOfGfn(p.getGfn());
                assertTrue(index >= 0, "gfn " + p.getGfn() + " outside the layout");
                assertFalse(seen.get((int) index), "gfn " + p.getGfn() + " sent twice");
                seen.set((int) index);
                assertPage(p);
            }
        }
        return firstGfns;
    }
}
