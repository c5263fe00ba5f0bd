package org.postcopysim.dest.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.TestPages;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;

class BatchInstallerTest {
    @Test
    void aPageWithTheWrongLengthIsRefusedNamedAndNotInstalled() {
        GuestLayout layout = GuestLayout.contiguous(1L << 20, 1);
        Vm vm = TestPages.vmWithAllPagesMissing(layout);
        try (GuestMemory memory = GuestMemory.allocate(layout.totalPages())) {
            PageInstaller installer = new PageInstaller(vm, (p, g, last) -> { });
            DemandFetcher fetcher = new DemandFetcher(layout.totalPages(), 3, (id, gfn, urgent) -> { });
            SimpleMeterRegistry r = new SimpleMeterRegistry();
            BatchInstaller batch = new BatchInstaller(installer, fetcher, memory, new BatchInstaller.Meters(
                    r.counter("installed"), r.counter("dup"), r.counter("crc"), r.counter("bytes")));
            ByteBuf page = TestPages.sourcePage(1, 5);
            try {
                assertFalse(batch.onPage(1, 5, TestPages.crc(page), page, page.readerIndex(), page.readableBytes() - 1),
                        "a short page stops the frame");
                assertEquals(0, installer.presentPages());
                assertTrue(vm.memslotOfGfn(5).userfaultBitmap().isSet(5), "still missing");
                assertTrue(batch.onPage(1, 5, TestPages.crc(page), page, page.readerIndex(), page.readableBytes()),
                        "the whole page installs");
                assertEquals(1, installer.presentPages());
            } finally {
                page.release();
            }
        }
    }

    /** Two streams' installers over one guest; the test delivers precopy frames on either. */
    private static final class TwoStreams implements AutoCloseable {
        final GuestLayout layout = GuestLayout.contiguous(1L << 20, 1);
        final Vm vm = TestPages.vmWithAllPagesMissing(layout);
        final GuestMemory memory = GuestMemory.allocate(layout.totalPages());
        final PageInstaller installer = installer(vm);
        final SimpleMeterRegistry r = new SimpleMeterRegistry();
        final BatchInstaller a = stream();
        final BatchInstaller b = stream();

        private static PageInstaller installer(Vm vm) {
            PageInstaller i = new PageInstaller(vm, (p, g, last) -> { });
            i.trackPrecopyRounds();
            return i;
        }

        private BatchInstaller stream() {
            DemandFetcher fetcher = new DemandFetcher(layout.totalPages(), 3, (id, gfn, urgent) -> { });
            BatchInstaller s = new BatchInstaller(installer, fetcher, memory, new BatchInstaller.Meters(
                    r.counter("installed"), r.counter("dup"), r.counter("crc"), r.counter("bytes")));
            s.replacePresentPages(true);
            return s;
        }

        /** Delivers on {@code on} a precopy frame of round {@code round} with gfn's contents as of {@code seed}. */
        void deliver(BatchInstaller on, int round, long gfn, long seed) {
            ByteBuf page = TestPages.sourcePage(seed, gfn);
            ByteBuf frame = TestPages.batch(io.netty.buffer.ByteBufAllocator.DEFAULT, round, new long[] {gfn},
                    new int[] {TestPages.crc(page)}, new ByteBuf[] {page});
            frame.skipBytes(org.postcopysim.protocol.FrameDescriptor.LENGTH_FIELD_BYTES); // as FrameDecoder emits it
            try {
                assertEquals(null, on.installFrame(frame));
            } finally {
                page.release();
                frame.release();
            }
        }

        /** Whether guest page gfn holds its contents as of {@code seed}. */
        boolean holds(long gfn, long seed) {
            ByteBuf expected = TestPages.sourcePage(seed, gfn);
            try {
                java.nio.ByteBuffer here = memory.newView().page(layout.pageIndexOfGfn(gfn));
                return here.equals(expected.nioBuffer());
            } finally {
                expected.release();
            }
        }

        @Override
        public void close() {
            memory.close();
        }
    }

    @Test
    void aPrecopyCopyOfAnEarlierRoundArrivingLateOnAnotherStreamIsDropped() {
        try (TwoStreams t = new TwoStreams()) {
            t.deliver(t.b, 2, 5, 22); // round 2's copy overtook round 1's on the other stream
            t.deliver(t.a, 1, 5, 11);
            assertTrue(t.holds(5, 22), "the later round's copy stays");
            t.deliver(t.a, 3, 5, 33);
            assertTrue(t.holds(5, 33), "a later round's copy replaces the one here");
            t.deliver(t.b, 3, 5, 34);
            assertTrue(t.holds(5, 33), "a second copy of the same round is a duplicate");
            assertEquals(1, t.installer.presentPages());
            assertEquals(2, t.r.counter("dup").count(), 0.0, "the late copy and the duplicate are counted as duplicates");
        }
    }

    @Test
    void negativeControlTheLastCopyToArriveWinningKeepsTheOvertakenCopy() {
        try (TwoStreams t = new TwoStreams()) {
            java.util.concurrent.atomic.AtomicInteger arrivals = new java.util.concurrent.atomic.AtomicInteger();
            t.a.lastArrivalWins(arrivals);
            t.b.lastArrivalWins(arrivals);
            t.deliver(t.b, 2, 5, 22);
            t.deliver(t.a, 1, 5, 11);
            assertTrue(t.holds(5, 11), "the broken destination keeps the stale copy, which the fixed one drops");
        }
    }
}
