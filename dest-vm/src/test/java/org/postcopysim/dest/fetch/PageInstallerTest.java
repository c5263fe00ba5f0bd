package org.postcopysim.dest.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

class PageInstallerTest {
    static final long SEED = 99;
    GuestLayout layout;
    GuestMemory memory;
    Vm vm;
    PageInstaller installer;
    PageInstaller.Context ctx;
    final List<Long> installed = new ArrayList<>();
    boolean lastSeen;

    @BeforeEach
    void setUp() {
        layout = GuestLayout.contiguous(2L << 20, 1); // 512 pages
        memory = GuestMemory.allocate(layout.totalPages());
        vm = TestPages.vmWithAllPagesMissing(layout);
        installer = new PageInstaller(vm, (pageIndex, gfn, last) -> {
            installed.add(gfn);
            lastSeen |= last;
        });
        ctx = new PageInstaller.Context(memory);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private int install(long gfn, ByteBuf page, int crc) {
        return installer.install(ctx, gfn, crc, TestPages.bytes(page));
    }

    @Test
    void installsContentsThenClearsTheBit() {
        ByteBuf page = TestPages.sourcePage(SEED, 7);
        try {
            assertEquals(PageInstaller.INSTALLED, install(7, page, TestPages.crc(page)));
        } finally {
            page.release();
        }
        Memslot slot = vm.memslotOfGfn(7);
        assertFalse(slot.userfaultBitmap().isSet(7));
        for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) {
            assertEquals(PageContents.expectedWord(SEED, 7, w), memory.readWord(7, w));
        }
        assertEquals(List.of(7L), installed);
        assertEquals(1, installer.presentPages());
    }

    @Test
    void duplicateArrivalIsInstalledOnceAndDoesNotOverwriteGuestWrites() {
        ByteBuf page = TestPages.sourcePage(SEED, 3);
        try {
            int crc = TestPages.crc(page);
            assertEquals(PageInstaller.INSTALLED, install(3, page, crc));
            // The guest writes the page after it arrived...
            memory.getAndAddWord(3, PageContents.COUNTER_WORD, 5);
            long afterWrite = memory.readWord(3, PageContents.COUNTER_WORD);
            // ...then a second copy arrives (demand answer racing the background stream).
            assertEquals(PageInstaller.ALREADY_PRESENT, install(3, page, crc));
            assertEquals(afterWrite, memory.readWord(3, PageContents.COUNTER_WORD), "a duplicate must not overwrite");
        } finally {
            page.release();
        }
        assertEquals(List.of(3L), installed, "listeners hear of a page once");
        assertEquals(1, installer.presentPages());
    }

    @Test
    void pageWithWrongChecksumIsNeverMadePresent() {
        ByteBuf page = TestPages.sourcePage(SEED, 9);
        try {
            int crc = TestPages.crc(page);
            assertEquals(PageInstaller.BAD_CHECKSUM, install(9, page, crc ^ 1));
            assertTrue(vm.memslotOfGfn(9).userfaultBitmap().isSet(9), "bit stays set: no vCPU may read it");
            assertEquals(0, installer.presentPages());
            assertTrue(installed.isEmpty());
            // Damage in flight: one flipped byte in the contents, correct checksum.
            page.setByte(100, page.getByte(100) ^ 0x40);
            assertEquals(PageInstaller.BAD_CHECKSUM, install(9, page, crc));
            page.setByte(100, page.getByte(100) ^ 0x40);
            assertEquals(PageInstaller.INSTALLED, install(9, page, crc), "a good copy later installs");
        } finally {
            page.release();
        }
    }

    @Test
    void rejectsOutOfRangeGfns() {
        ByteBuf page = TestPages.sourcePage(SEED, 1);
        try {
            assertEquals(PageInstaller.OUT_OF_RANGE, install(layout.totalPages(), page, TestPages.crc(page)));
        } finally {
            page.release();
        }
        assertEquals(0, installer.presentPages());
    }

    @Test
    void reportsTheLastPage() {
        for (long gfn = 0; gfn < layout.totalPages(); gfn++) {
            ByteBuf page = TestPages.sourcePage(SEED, gfn);
            try {
                assertEquals(PageInstaller.INSTALLED, install(gfn, page, TestPages.crc(page)));
            } finally {
                page.release();
            }
            assertEquals(gfn == layout.totalPages() - 1, lastSeen);
        }
    }
}
