package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.PageBatch;
import org.postcopysim.protocol.PageBatchCodec;

/**
 * A batch of long runs of consecutive pages goes out straight from guest memory (the frame's
 * contents are read-only slices of it, nothing copied); every other batch is copied into its
 * frame. Either way the frame is byte for byte the same, and every page decodes as generated.
 */
class SourceGuestEncodeTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final long SEED = 17;
    private static SourceGuest guest;

    @BeforeAll
    static void generate() {
        guest = SourceGuest.generate(GuestLayout.gapped(4L << 20, 2, 1L << 20), SEED, 2);
    }

    @AfterAll
    static void close() {
        guest.close();
    }

    private static ByteBuf encode(int... pages) {
        return guest.encodeBatch(ALLOC, 0, pages, 0, pages.length, guest.newEncoder());
    }

    /** The frame's pages, each checked against its checksum and the seed's contents; returns the gfns. */
    private static List<Long> decode(ByteBuf frame) {
        List<Long> gfns = new ArrayList<>();
        CRC32C crc = new CRC32C();
        java.nio.ByteBuffer expected = java.nio.ByteBuffer.allocate(GuestLayout.PAGE_SIZE_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int n = new PageBatchCodec.Reader().read(frame, FrameDescriptor.HEADER_BYTES, frame.readableBytes() - FrameDescriptor.HEADER_BYTES,
                (id, gfn, crc32c, buf, index, length) -> {
                    crc.reset();
                    crc.update(buf.nioBuffer(index, length));
                    assertEquals(crc32c, (int) crc.getValue(), "checksum of gfn " + gfn);
                    expected.clear();
                    PageContents.fill(expected, SEED, gfn);
                    assertEquals(expected.clear(), buf.nioBuffer(index, length), "contents of gfn " + gfn);
                    gfns.add(gfn);
                    return true;
                });
        assertEquals(gfns.size(), n);
        return gfns;
    }

    private static int[] range(int from, int count) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) out[i] = from + i;
        return out;
    }

    @Test
    void aRunOfConsecutivePagesIsSentFromGuestMemoryReadOnly() throws Exception {
        ByteBuf frame = encode(range(10, 64));
        try {
            assertTrue(frame instanceof CompositeByteBuf, "a header and a slice of guest memory");
            CompositeByteBuf c = (CompositeByteBuf) frame;
            assertEquals(2, c.numComponents());
            assertTrue(c.component(1).isReadOnly(), "guest memory is never written through a frame");
            assertThrows(java.nio.ReadOnlyBufferException.class, () -> c.component(1).setByte(0, 1));
            assertEquals(64 * GuestLayout.PAGE_SIZE_BYTES, c.component(1).readableBytes());
            List<Long> gfns = decode(frame);
            for (int i = 0; i < 64; i++) assertEquals(guest.layout().gfnOfPageIndex(10 + i), gfns.get(i));
            PageBatch parsed = PageBatch.parseFrom(frame.nioBuffer(FrameDescriptor.HEADER_BYTES,
                    frame.readableBytes() - FrameDescriptor.HEADER_BYTES));
            assertEquals(64, parsed.getPageGfnCount(), "the generated parser reads it too");
        } finally {
            assertTrue(frame.release());
        }
    }

    @Test
    void runsAcrossAMemslotGapAreOneSliceEachAndTheFrameEqualsTheCopiedOne() {
        // Dense pages 508..515 cross from the first memslot (512 pages) into the second, 4 GiB of gfns
        // further: consecutive in guest memory, not in gfn. Two runs of 8 pages, from 508 and 600.
        int[] pages = new int[16];
        for (int i = 0; i < 8; i++) pages[i] = 508 + i;
        for (int i = 0; i < 8; i++) pages[8 + i] = 600 + i;
        ByteBuf fromMemory = encode(pages);
        ByteBuf copied = null;
        try {
            assertEquals(3, ((CompositeByteBuf) fromMemory).numComponents(), "the header and two slices");
            List<Long> gfns = decode(fromMemory);
            assertEquals(guest.layout().gfnOfPageIndex(512), gfns.get(4));
            assertTrue(gfns.get(4) - gfns.get(3) > 1, "the gfns jump at the memslot boundary");
            assertEquals(guest.layout().gfnOfPageIndex(600), gfns.get(8));
            // The same pages in a batch too short to send from memory: copied, and the same bytes.
            PageBatchCodec.Writer w = new PageBatchCodec.Writer();
            copied = w.begin(ALLOC, 0, 0, pages.length, true);
            GuestMemoryPages view = new GuestMemoryPages();
            for (int i = 0; i < pages.length; i++) {
                w.page(i, guest.layout().gfnOfPageIndex(pages[i]), guest.crc32c(pages[i]));
                w.contents(i, view.page(pages[i]));
            }
            w.finish();
            assertEquals(copied, fromMemory, "byte for byte the frame with its contents copied");
        } finally {
            assertTrue(fromMemory.release());
            if (copied != null) copied.release();
        }
    }

    @Test
    void scatteredOrShortBatchesAreCopiedIntoTheirFrame() {
        int[] scattered = new int[16];
        for (int i = 0; i < scattered.length; i++) scattered[i] = 3 * i; // runs of one page
        ByteBuf a = encode(scattered);
        ByteBuf b = encode(range(40, SourceGuest.MIN_PAGES_FROM_MEMORY - 1));
        ByteBuf demand = guest.encodeBatch(ALLOC, 7, new int[] {5}, 0, 1, guest.newEncoder());
        try {
            for (ByteBuf f : List.of(a, b, demand)) {
                assertFalse(f instanceof CompositeByteBuf, "copied into one buffer");
                assertFalse(f.isReadOnly());
            }
            assertEquals(16, decode(a).size());
            assertEquals(SourceGuest.MIN_PAGES_FROM_MEMORY - 1, decode(b).size());
            assertEquals(List.of(guest.layout().gfnOfPageIndex(5)), decode(demand));
        } finally {
            a.release();
            b.release();
            demand.release();
        }
    }

    @Test
    void aRunStopsAtTheEndOfAOneGibChunkOfGuestMemory() {
        long chunk = org.postcopysim.memory.GuestMemory.pagesToChunkEnd(0); // pages per chunk
        int c = (int) chunk;
        int[] pages = {c - 2, c - 1, c, c + 1, c + 3};
        assertEquals(2, SourceGuest.runLength(pages, 0, pages.length), "up to the chunk's end");
        assertEquals(2, SourceGuest.runLength(pages, 2, pages.length), "then from the next chunk's start");
        assertEquals(1, SourceGuest.runLength(pages, 4, pages.length));
        assertEquals(1, SourceGuest.runLength(pages, 0, 1), "never past to");
    }

    /** A reader of guest memory for the expected frame. */
    private static final class GuestMemoryPages {
        private final org.postcopysim.memory.GuestMemory.View view = guest.newView();

        java.nio.ByteBuffer page(int pageIndex) {
            return view.page(pageIndex);
        }
    }
}
