package org.postcopysim.dest.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.TestPages;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;
import org.postcopysim.protocol.FrameDecoder;
import org.postcopysim.protocol.FrameDescriptor;

/**
 * The install path as the background stream drives it: PAGE_BATCH frames arriving in pieces
 * (as socket reads cut them), chained by {@link FrameDecoder} without a copy, decoded in place
 * and installed by {@link BatchInstaller}. Every page is CRC32C-checked before it is made present,
 * also when its bytes straddle two reads; and the path allocates nothing per page.
 */
class SplitFrameInstallTest {
    private static final int PAGES_PER_BATCH = FrameDescriptor.DEFAULT_PAGES_PER_BATCH;
    private static final long SEED = 11;

    /** One destination connection's install path over a guest of {@code pages} missing pages. */
    private static final class Rig implements AutoCloseable {
        final GuestLayout layout;
        final Vm vm;
        final GuestMemory memory;
        final PageInstaller installer;
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        final EmbeddedChannel channel;
        final List<String> errors = new ArrayList<>();
        boolean sawChainedFrame;

        Rig(long pages) {
            layout = GuestLayout.contiguous(pages * GuestLayout.PAGE_SIZE_BYTES, 1);
            vm = TestPages.vmWithAllPagesMissing(layout);
            memory = GuestMemory.allocate(layout.totalPages());
            installer = new PageInstaller(vm, (p, g, last) -> { });
            DemandFetcher fetcher = new DemandFetcher(layout.totalPages(), 3, (id, gfn, urgent) -> { });
            BatchInstaller batch = new BatchInstaller(installer, fetcher, memory, new BatchInstaller.Meters(
                    meters.counter("installed"), meters.counter("dup"), meters.counter("crc"), meters.counter("bytes")));
            channel = new EmbeddedChannel(new FrameDecoder(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES),
                    new SimpleChannelInboundHandler<ByteBuf>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                            for (ByteBuf b = frame; b != null; b = b.unwrap()) {
                                if (b instanceof CompositeByteBuf) sawChainedFrame = true;
                            }
                            String error = batch.installFrame(frame);
                            if (error != null) errors.add(error);
                        }
                    });
        }

        double count(String name) {
            return meters.counter(name).count();
        }

        @Override
        public void close() {
            channel.finishAndReleaseAll();
            memory.close();
        }
    }

    /** The whole stream of PAGE_BATCH frames for pages [0, pages), with the source's CRC32C of each. */
    private static ByteBuf stream(GuestLayout layout, long pages) {
        ByteBuf all = ByteBufAllocator.DEFAULT.heapBuffer();
        for (long first = 0; first < pages; first += PAGES_PER_BATCH) {
            int n = (int) Math.min(PAGES_PER_BATCH, pages - first);
            long[] gfns = new long[n];
            int[] crcs = new int[n];
            ByteBuf[] pagesOf = new ByteBuf[n];
            for (int i = 0; i < n; i++) {
                gfns[i] = layout.gfnOfPageIndex(first + i);
                pagesOf[i] = TestPages.sourcePage(SEED, gfns[i]);
                crcs[i] = TestPages.crc(pagesOf[i]);
            }
            ByteBuf frame = TestPages.batch(ByteBufAllocator.DEFAULT, 0, gfns, crcs, pagesOf);
            for (ByteBuf page : pagesOf) page.release();
            all.writeBytes(frame);
            frame.release();
        }
        return all;
    }

    /** Cuts {@code all} into reads of {@code readBytes} (the last one shorter), before anything is measured. */
    private static List<ByteBuf> reads(ByteBuf all, int readBytes) {
        List<ByteBuf> out = new ArrayList<>();
        while (all.isReadable()) out.add(copyOf(all, Math.min(readBytes, all.readableBytes())));
        all.release();
        return out;
    }

    /** The next {@code n} bytes of {@code all} in a direct buffer of their own, as a socket read delivers them. */
    private static ByteBuf copyOf(ByteBuf all, int n) {
        ByteBuf r = ByteBufAllocator.DEFAULT.directBuffer(n, n);
        all.readBytes(r, n);
        return r;
    }

    private static void feed(Rig rig, List<ByteBuf> reads) {
        for (ByteBuf r : reads) rig.channel.writeInbound(r);
    }

    private static boolean equalsSource(Rig rig, long pageIndex) {
        ByteBuf expected = TestPages.sourcePage(SEED, rig.layout.gfnOfPageIndex(pageIndex));
        try {
            return rig.memory.newView().page(pageIndex).equals(expected.nioBuffer());
        } finally {
            expected.release();
        }
    }

    @Test
    void framesCutIntoOddReadsAreChainedAndEveryPageArrivesIntact() {
        long pages = 3 * PAGES_PER_BATCH + 5;
        try (Rig rig = new Rig(pages)) {
            feed(rig, reads(stream(rig.layout, pages), 1000)); // no page lies within one read
            assertTrue(rig.errors.isEmpty(), rig.errors::toString);
            assertTrue(rig.sawChainedFrame, "frames spanning reads reach the installer as chained slices");
            assertEquals(pages, rig.installer.presentPages());
            assertEquals(0, rig.count("crc"));
            for (long p = 0; p < pages; p++) assertTrue(equalsSource(rig, p), "page " + p);
        }
    }

    @Test
    void aCorruptedByteOfAPageThatStraddlesTwoReadsFailsItsChecksumAndThePageStaysMissing() {
        long pages = 2 * PAGES_PER_BATCH;
        try (Rig rig = new Rig(pages)) {
            ByteBuf all = stream(rig.layout, pages);
            // Page 70's contents: the second frame's 7th entry. Flip a byte in the middle of it and cut the
            // reads so that this page's contents span two of them.
            int frameBytes = all.getInt(0) + FrameDescriptor.LENGTH_FIELD_BYTES;
            int entryBytes = (frameBytes - FrameDescriptor.HEADER_BYTES) / PAGES_PER_BATCH;
            int damaged = frameBytes + FrameDescriptor.HEADER_BYTES + 6 * entryBytes + entryBytes / 2;
            all.setByte(damaged, all.getByte(damaged) ^ 0x40);
            long bad = PAGES_PER_BATCH + 6;
            feed(rig, reads(all, damaged + 17)); // a read ends 17 bytes after the damaged byte
            assertTrue(rig.sawChainedFrame);
            assertEquals(1, rig.count("crc"), "one copy failed its check");
            assertTrue(rig.vm.memslotOfGfn(rig.layout.gfnOfPageIndex(bad)).userfaultBitmap()
                    .isSet(rig.layout.gfnOfPageIndex(bad) - rig.layout.gfnOfPageIndex(0)), "the damaged page stays missing");
            assertEquals(pages - 1, rig.installer.presentPages(), "every other page installed");
            assertNull(rig.errors.isEmpty() ? null : rig.errors.get(0), "one bad copy is refetched, not fatal");
            assertFalse(rig.installer.hasArrived(bad));
        }
    }

    /** Bytes this thread allocates while {@code pages} pages go through the install path in 64 KiB reads. */
    private static long allocatedBytes(long pages, boolean allocatePerPage) {
        try (Rig rig = new Rig(pages)) {
            List<ByteBuf> reads = reads(stream(rig.layout, pages), 64 << 10);
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long id = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(id);
            for (ByteBuf r : reads) {
                rig.channel.writeInbound(r);
                if (allocatePerPage) {
                    for (int i = 0; i < r.capacity() / GuestLayout.PAGE_SIZE_BYTES; i++) Sink.keep = new long[2];
                }
            }
            long allocated = threads.getThreadAllocatedBytes(id) - before;
            assertEquals(pages, rig.installer.presentPages());
            return allocated;
        }
    }

    /** Where the broken variant's per-page allocation escapes to, so that the JIT cannot elide it. */
    static final class Sink {
        static volatile Object keep;
    }

    /** Per extra page, between a small and a large run: the per-frame and per-read costs, and nothing per page. */
    private static double bytesPerExtraPage(boolean allocatePerPage) {
        long small = 2 * 1024;
        long large = 10 * 1024;
        allocatedBytes(small, allocatePerPage); // warm up: the JIT and Netty's pools
        allocatedBytes(large, allocatePerPage);
        long a = allocatedBytes(small, allocatePerPage);
        long b = allocatedBytes(large, allocatePerPage);
        return (double) (b - a) / (large - small);
    }

    /** Under this, per extra page, nothing is allocated per page (a 64 KiB read holds 16 pages). */
    static final double MAX_BYTES_PER_PAGE = 16;

    @Test
    void theInstallPathAllocatesNothingPerPageAndAPerPageAllocationWouldShow() {
        // The build's paranoid leak detection records a stack trace at every buffer access; a
        // migration runs without it, and so does this measurement.
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try {
            double clean = bytesPerExtraPage(false);
            assertTrue(clean < MAX_BYTES_PER_PAGE, "allocated " + clean + " bytes per extra page");
            // Negative control: the same run with 32 bytes allocated per page is caught.
            double broken = bytesPerExtraPage(true);
            assertTrue(broken >= MAX_BYTES_PER_PAGE, "the measurement misses a per-page allocation: " + broken);
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }
}
