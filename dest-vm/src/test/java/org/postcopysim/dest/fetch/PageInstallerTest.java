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
import org.postcopysim.dest.fault.Presences;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * The installer over {@link TestPages#gappedLayout()}, where a page's gfn, memslot bit and dense
 * page index differ: each test checks the page's bytes at its page index, its bit in its own
 * memslot and nothing else, so an installer that indexes memory by gfn or clears the bit of the
 * page index is caught.
 */
class PageInstallerTest {
    static final long SEED = 99;
    GuestLayout layout;
    GuestMemory memory;
    Vm vm;
    PageInstaller installer;
    PageInstaller.Context ctx;
    /** (page index, gfn) of every page the listener heard of. */
    final List<List<Long>> installed = new ArrayList<>();
    boolean lastSeen;

    @BeforeEach
    void setUp() {
        layout = TestPages.gappedLayout(); // 2033 pages in 3 memslots
        memory = GuestMemory.allocate(layout.totalPages());
        vm = TestPages.vmWithAllPagesMissing(layout);
        installer = new PageInstaller(vm, (pageIndex, gfn, last) -> {
            installed.add(List.of(pageIndex, gfn));
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

    private int installSourcePage(long gfn) {
        ByteBuf page = TestPages.sourcePage(SEED, gfn);
        try {
            return install(gfn, page, TestPages.crc(page));
        } finally {
            page.release();
        }
    }

    /** Userfault bits still set, over every memslot. */
    private long bitsSet() {
        long n = 0;
        for (int i = 0; i < vm.memslotCount(); i++) {
            Memslot slot = vm.memslot(i);
            for (long bit = 0; bit < slot.pageCount(); bit++) if (slot.userfaultBitmap().isSet(bit)) n++;
        }
        return n;
    }

    private void assertHoldsSourcePage(long pageIndex, long gfn) {
        for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) {
            assertEquals(PageContents.expectedWord(SEED, gfn, w), memory.readWord(pageIndex, w),
                    "page index " + pageIndex + " holds gfn 0x" + Long.toHexString(gfn) + ", word " + w);
        }
    }

    private void assertZero(long pageIndex) {
        for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) {
            assertEquals(0, memory.readWord(pageIndex, w), "page index " + pageIndex + " untouched, word " + w);
        }
    }

    @Test
    void installsContentsAtThePageIndexThenClearsTheBitInItsMemslot() {
        long gfn = 0x10007; // bit 7 of memslot 1, page index 1007
        assertEquals(PageInstaller.INSTALLED, installSourcePage(gfn));
        assertFalse(vm.memslot(1).userfaultBitmap().isSet(7));
        assertTrue(vm.memslot(0).userfaultBitmap().isSet(7), "memslot 0's bit 7 is another page");
        assertTrue(vm.memslot(2).userfaultBitmap().isSet(7), "and so is memslot 2's");
        assertEquals(layout.totalPages() - 1, bitsSet(), "one bit cleared, no other");
        assertHoldsSourcePage(1007, gfn);
        assertZero(7);
        assertZero(1700 + 7);
        assertEquals(List.of(List.of(1007L, gfn)), installed, "the listener hears page index and gfn");
        assertEquals(1, installer.presentPages());
        assertEquals(1007, installer.pageIndexOf(gfn));
    }

    @Test
    void theFirstAndLastPageOfEveryMemslotInstallWhereTheyBelong() {
        for (GuestLayout.Slot s : layout.slots()) {
            for (long bit : new long[] {0, s.pageCount() - 1}) {
                long gfn = s.baseGfn() + bit;
                assertEquals(PageInstaller.INSTALLED, installSourcePage(gfn), "gfn 0x" + Long.toHexString(gfn));
                assertFalse(vm.memslotOfGfn(gfn).userfaultBitmap().isSet(bit));
                assertHoldsSourcePage(s.firstPageIndex() + bit, gfn);
            }
        }
        assertEquals(layout.totalPages() - 6, bitsSet());
        assertZero(1);
        assertZero(1001);
    }

    @Test
    void duplicateArrivalIsInstalledOnceAndDoesNotOverwriteGuestWrites() {
        long gfn = 0x200003; // bit 3 of memslot 2, page index 1703
        long pageIndex = 1703;
        ByteBuf page = TestPages.sourcePage(SEED, gfn);
        try {
            int crc = TestPages.crc(page);
            assertEquals(PageInstaller.INSTALLED, install(gfn, page, crc));
            // The guest writes the page after it arrived...
            memory.getAndAddWord(pageIndex, PageContents.COUNTER_WORD, 5);
            long afterWrite = memory.readWord(pageIndex, PageContents.COUNTER_WORD);
            // ...then a second copy arrives (demand answer racing the background stream).
            assertEquals(PageInstaller.ALREADY_PRESENT, install(gfn, page, crc));
            assertEquals(afterWrite, memory.readWord(pageIndex, PageContents.COUNTER_WORD), "a duplicate must not overwrite");
        } finally {
            page.release();
        }
        assertEquals(List.of(List.of(pageIndex, gfn)), installed, "listeners hear of a page once");
        assertEquals(1, installer.presentPages());
        // The page with the same bit in memslot 0 is still missing, and installs.
        assertEquals(PageInstaller.INSTALLED, installSourcePage(0x103));
    }

    @Test
    void pageWithWrongChecksumIsNeverMadePresent() {
        long gfn = 0x200009; // bit 9 of memslot 2, page index 1709
        ByteBuf page = TestPages.sourcePage(SEED, gfn);
        try {
            int crc = TestPages.crc(page);
            assertEquals(PageInstaller.BAD_CHECKSUM, install(gfn, page, crc ^ 1));
            assertTrue(vm.memslot(2).userfaultBitmap().isSet(9), "bit stays set: no vCPU may read it");
            assertEquals(layout.totalPages(), bitsSet());
            assertEquals(0, installer.presentPages());
            assertTrue(installed.isEmpty());
            // Damage in flight: one flipped byte in the contents, correct checksum.
            page.setByte(100, page.getByte(100) ^ 0x40);
            assertEquals(PageInstaller.BAD_CHECKSUM, install(gfn, page, crc));
            page.setByte(100, page.getByte(100) ^ 0x40);
            assertEquals(PageInstaller.INSTALLED, install(gfn, page, crc), "a good copy later installs");
        } finally {
            page.release();
        }
        assertFalse(vm.memslot(2).userfaultBitmap().isSet(9));
        assertHoldsSourcePage(1709, gfn);
    }

    @Test
    void rejectsGfnsOutsideEveryMemslot() {
        // Below the first memslot, in each gap, past the last, and the page count (a page index, no gfn).
        long[] outside = {0, 0xFF, 0x100 + 1000, 0xFFFF, 0x10000 + 700, 0x1FFFFF, 0x200000 + 333, layout.totalPages()};
        for (long gfn : outside) {
            ByteBuf page = TestPages.sourcePage(SEED, gfn);
            try {
                assertEquals(PageInstaller.OUT_OF_RANGE, install(gfn, page, TestPages.crc(page)), "gfn 0x" + Long.toHexString(gfn));
            } finally {
                page.release();
            }
        }
        assertEquals(0, installer.presentPages());
        assertEquals(layout.totalPages(), bitsSet());
    }

    @Test
    void reportsTheLastPageAndEveryPageEndsWhereItBelongs() {
        for (long pageIndex = 0; pageIndex < layout.totalPages(); pageIndex++) {
            long gfn = layout.gfnOfPageIndex(pageIndex);
            assertEquals(PageInstaller.INSTALLED, installSourcePage(gfn), "gfn 0x" + Long.toHexString(gfn));
            assertEquals(pageIndex == layout.totalPages() - 1, lastSeen);
        }
        assertEquals(0, bitsSet());
        for (long pageIndex = 0; pageIndex < layout.totalPages(); pageIndex++) {
            long gfn = layout.gfnOfPageIndex(pageIndex);
            assertEquals(PageContents.expectedWord(SEED, gfn, 1), memory.readWord(pageIndex, 1), "page index " + pageIndex);
            assertEquals(List.of(pageIndex, gfn), installed.get((int) pageIndex));
        }
    }

    @Test
    void inExitOnMissingModeTheInstallMapsThePageIndexInTheHostPageTables() {
        HostPageTable host = new HostPageTable(layout.totalPages());
        Vm hostVm = new Vm(layout, true, host);
        PageInstaller hostInstaller = new PageInstaller(hostVm,
                Presences.forMode(FaultMode.EXIT_ON_MISSING, host, null), (pageIndex, gfn, last) -> { });
        long gfn = 0x200005; // bit 5 of memslot 2, page index 1705
        ByteBuf page = TestPages.sourcePage(SEED, gfn);
        try {
            assertEquals(PageInstaller.INSTALLED, hostInstaller.install(ctx, gfn, TestPages.crc(page), TestPages.bytes(page)));
            assertEquals(PageInstaller.ALREADY_PRESENT,
                    hostInstaller.install(ctx, gfn, TestPages.crc(page), TestPages.bytes(page)));
        } finally {
            page.release();
        }
        assertTrue(host.isMapped(1705));
        assertEquals(1, host.mappedCount(), "page index 1705 alone: not 5, not the gfn's");
        assertHoldsSourcePage(1705, gfn);
    }
}
