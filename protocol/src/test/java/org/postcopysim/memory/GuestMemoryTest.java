package org.postcopysim.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {
    private static final int PAGE = GuestLayout.PAGE_SIZE_BYTES;
    private static final long PAGES_PER_GIB = (1L << 30) / PAGE;

    @Test
    void freshPagesAreZeroAndWordsReadBackWhatWasWritten() {
        try (GuestMemory mem = GuestMemory.allocate(4)) {
            assertEquals(4, mem.pageCount());
            assertEquals(4L * PAGE, mem.byteSize());
            for (long p = 0; p < 4; p++) {
                for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) assertEquals(0L, mem.readWord(p, w));
            }
            mem.writeWord(0, 0, 0x0102030405060708L);
            mem.writeWord(0, 511, -1L);
            mem.writeWord(3, 7, Long.MIN_VALUE);
            assertEquals(0x0102030405060708L, mem.readWord(0, 0));
            assertEquals(-1L, mem.readWord(0, 511));
            assertEquals(Long.MIN_VALUE, mem.readWordAcquire(3, 7));
            assertEquals(0L, mem.readWord(1, 0), "page 1 is untouched");
            assertEquals(0L, mem.readWord(3, 6));
            assertEquals(0L, mem.readWord(3, 8));
        }
    }

    @Test
    void wordsAreLittleEndianInThePageBytes() {
        try (GuestMemory mem = GuestMemory.allocate(1)) {
            mem.writeWord(0, 1, 0x0102030405060708L);
            ByteBuffer page = mem.newView().page(0);
            assertEquals(0x08, page.get(8), "least significant byte first");
            assertEquals(0x01, page.get(15));
        }
    }

    @Test
    void getAndAddWordReturnsTheOldValue() {
        try (GuestMemory mem = GuestMemory.allocate(2)) {
            assertEquals(0L, mem.getAndAddWord(1, 0, 5));
            assertEquals(5L, mem.getAndAddWord(1, 0, -2));
            assertEquals(3L, mem.readWord(1, 0));
        }
    }

    @Test
    void getAndAddWordIsAtomicUnderConcurrentAdders() throws Exception {
        int threads = 4;
        int addsPerThread = 200_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (GuestMemory mem = GuestMemory.allocate(2)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < addsPerThread; i++) {
                        mem.getAndAddWord(1, PageContents.COUNTER_WORD, 1);
                        mem.getAndAddWord(1, 511, 3);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
            assertEquals((long) threads * addsPerThread, mem.readWord(1, PageContents.COUNTER_WORD));
            assertEquals(3L * threads * addsPerThread, mem.readWord(1, 511));
            assertEquals(0L, mem.readWord(1, 1), "neighbouring word untouched");
            assertEquals(0L, mem.readWord(0, 511), "previous page untouched");
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void viewPagePositionsAFourKibWindowOnThatPage() {
        try (GuestMemory mem = GuestMemory.allocate(3)) {
            GuestMemory.View view = mem.newView();
            ByteBuffer page = view.page(2);
            assertEquals(2 * PAGE, page.position());
            assertEquals(3 * PAGE, page.limit());
            assertEquals(PAGE, page.remaining());
            assertEquals(ByteOrder.LITTLE_ENDIAN, page.order());
            page.putLong(page.position() + 16, 77L);
            assertEquals(77L, mem.readWord(2, 2), "a write through the view is a write to guest memory");

            mem.writeWord(1, 0, 99L);
            ByteBuffer again = view.page(1);
            assertEquals(PAGE, again.position());
            assertEquals(2 * PAGE, again.limit());
            assertEquals(99L, again.getLong(again.position()));

            ByteBuffer other = mem.newView().page(2);
            assertNotSame(other, view.page(0), "each view owns its buffers");
            assertEquals(2 * PAGE, other.position());
            assertEquals(0, view.page(0).position());
        }
    }

    @Test
    void filledPageChecksumsAreStableAndEqualAcrossViewsAndMemories() {
        long seed = 0xC0FFEEL;
        try (GuestMemory a = GuestMemory.allocate(4); GuestMemory b = GuestMemory.allocate(4)) {
            GuestMemory.View va = a.newView();
            GuestMemory.View va2 = a.newView();
            GuestMemory.View vb = b.newView();
            for (long p = 0; p < 4; p++) {
                PageContents.fill(va.page(p), seed, 1000 + p);
                PageContents.fill(vb.page(p), seed, 1000 + p);
            }
            for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) {
                assertEquals(PageContents.expectedWord(seed, 1002, w), a.readWord(2, w));
            }
            CRC32C crc = new CRC32C();
            int[] sums = new int[4];
            for (int p = 0; p < 4; p++) {
                ByteBuffer page = va.page(p);
                sums[p] = PageContents.crc32c(crc, page);
                assertEquals((long) p * PAGE, page.position(), "crc32c leaves the window in place");
                assertEquals(sums[p], PageContents.crc32c(crc, va.page(p)), "stable");
                assertEquals(sums[p], PageContents.crc32c(crc, va2.page(p)), "second view of the same memory");
                assertEquals(sums[p], PageContents.crc32c(crc, vb.page(p)), "another memory filled the same way");
            }
            assertTrue(sums[0] != sums[1] && sums[1] != sums[2] && sums[2] != sums[3]);
        }
    }

    @Test
    void closeIsIdempotent() {
        GuestMemory mem = GuestMemory.allocate(1);
        mem.writeWord(0, 0, 1L);
        mem.close();
        mem.close();
    }

    @Test
    void allocateRejectsNonPositivePageCounts() {
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.allocate(-1));
    }

    @Test
    void oneGibGuestAllocatesAndCloses() {
        try (GuestMemory mem = GuestMemory.allocate(PAGES_PER_GIB)) {
            assertEquals(262_144L, mem.pageCount());
            assertEquals(1L << 30, mem.byteSize());
            mem.writeWord(PAGES_PER_GIB - 1, 511, 0xABCDL);
            assertEquals(0xABCDL, mem.readWord(PAGES_PER_GIB - 1, 511));
            assertEquals(0L, mem.readWord(0, 0));
        }
    }

    @Test
    void twoGibGuestLivesOffTheHeapAcrossTwoMappings() {
        assertTrue(Runtime.getRuntime().maxMemory() < (2L << 30),
                "this test proves off-heap only when the heap cannot hold 2 GiB: " + Runtime.getRuntime().maxMemory());
        long pages = 2 * PAGES_PER_GIB;
        try (GuestMemory mem = GuestMemory.allocate(pages)) {
            assertEquals(524_288L, mem.pageCount());
            assertEquals(2L << 30, mem.byteSize());
            long last = pages - 1;
            mem.writeWord(last, 511, 0x1234_5678_9ABCL);
            assertEquals(0x1234_5678_9ABCL, mem.readWord(last, 511));
            // The pages either side of the 1 GiB mapping boundary are distinct.
            mem.writeWord(PAGES_PER_GIB - 1, 511, 1L);
            mem.writeWord(PAGES_PER_GIB, 0, 2L);
            assertEquals(1L, mem.readWord(PAGES_PER_GIB - 1, 511));
            assertEquals(2L, mem.readWord(PAGES_PER_GIB, 0));
            assertEquals(5L, mem.getAndAddWord(PAGES_PER_GIB, 0, 3) + 3);
            ByteBuffer page = mem.newView().page(PAGES_PER_GIB);
            assertEquals(0, page.position(), "the second mapping starts at its first page");
            assertEquals(5L, page.getLong(0));
            ByteBuffer lastPage = mem.newView().page(last);
            assertEquals(0x1234_5678_9ABCL, lastPage.getLong(lastPage.position() + 511 * 8));
        }
    }

    @Test
    void aGuestNoDirectoryCanHoldIsRefusedBeforeAnythingIsWritten() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GuestMemory.allocate(1L << 40));
        assertTrue(e.getMessage().contains("fit neither"), e.getMessage());
    }

    @Test
    void readOnlyPagesShareMemoryCannotWriteItAndStayInOneChunk() {
        assertEquals(1L << 18, GuestMemory.pagesToChunkEnd(0), "a 1 GiB chunk holds 2^18 pages");
        assertEquals(1, GuestMemory.pagesToChunkEnd((1L << 18) - 1));
        assertEquals(1L << 18, GuestMemory.pagesToChunkEnd(1L << 18));
        try (GuestMemory m = GuestMemory.allocate(16)) {
            ByteBuffer pages = m.readOnlyPages(3, 2);
            assertTrue(pages.isReadOnly() && pages.isDirect());
            assertEquals(2 * GuestLayout.PAGE_SIZE_BYTES, pages.remaining());
            m.writeWord(4, 1, 0x1122_3344_5566_7788L);
            assertEquals(0x1122_3344_5566_7788L, pages.order(ByteOrder.LITTLE_ENDIAN).getLong(GuestLayout.PAGE_SIZE_BYTES + 8),
                    "the same memory, not a copy");
            assertThrows(java.nio.ReadOnlyBufferException.class, () -> pages.put(0, (byte) 1));
            assertThrows(IndexOutOfBoundsException.class, () -> m.readOnlyPages(15, 2), "past the end");
            assertThrows(IndexOutOfBoundsException.class, () -> m.readOnlyPages(0, 0));
        }
    }
}
