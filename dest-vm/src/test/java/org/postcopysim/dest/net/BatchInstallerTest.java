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
}
