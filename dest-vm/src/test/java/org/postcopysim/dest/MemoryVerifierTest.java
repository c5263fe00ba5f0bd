package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.guest.GuestWriteLog;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * The source-equivalent CRC the destination reports per page: the guest's writes undone, and a
 * page the guest gave up in a conversion accounted for (zeros plus its writes since), but only
 * then: a converted page holding anything else is reported as it is, so the source finds it.
 */
class MemoryVerifierTest {
    private static final long SEED = 77;
    private final GuestLayout layout = GuestLayout.contiguous(8L << 20, 2);
    private final GuestMemory memory = GuestMemory.allocate(layout.totalPages());
    private final GuestWriteLog writes = new GuestWriteLog(layout.totalPages());
    private final Vm vm = new Vm(layout, true, HostPageTable.fullyMapped(layout.totalPages()),
            MmuOptions.DEFAULT.withPrivateMemory(0, 1));

    @AfterEach
    void close() {
        memory.close();
    }

    private int sourceCrc(long pageIndex) {
        ByteBuffer page = ByteBuffer.allocateDirect(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        PageContents.fill(page, SEED, layout.gfnOfPageIndex(pageIndex));
        return PageContents.crc32c(new CRC32C(), page);
    }

    private void fillFromSource(long pageIndex) {
        PageContents.fill(memory.newView().page(pageIndex), SEED, layout.gfnOfPageIndex(pageIndex));
    }

    private void write(long pageIndex, int times) {
        for (int i = 0; i < times; i++) {
            memory.getAndAddWord(pageIndex, PageContents.COUNTER_WORD, 1);
            writes.recordWrite(pageIndex);
        }
    }

    @Test
    void aPageWithTheGuestsWritesIsReportedAsTheSourcesPage() {
        long p = 600;
        fillFromSource(p);
        write(p, 3);
        assertEquals(sourceCrc(p), new MemoryVerifier(memory, writes, vm, SEED).sourceEquivalentCrc(p));
    }

    @Test
    void aConvertedPageOfZerosAndLaterWritesIsAccountedForAndOnlyThen() {
        long p = 1500;
        fillFromSource(p);
        write(p, 2); // before the conversion: lost with the contents
        assertTrue(vm.convert(layout.gfnOfPageIndex(p)));
        assertTrue(vm.isConverted(p));
        for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) memory.writeWord(p, w, 0);
        write(p, 1); // after it
        MemoryVerifier verifier = new MemoryVerifier(memory, writes, vm, SEED);
        assertEquals(sourceCrc(p), verifier.sourceEquivalentCrc(p), "given up: zeros and one write since");
        // Without the accounting (the verifier as it was before conversions) the page is a mismatch.
        assertNotEquals(sourceCrc(p), new MemoryVerifier(memory, writes).sourceEquivalentCrc(p));
        // A converted page that holds anything but zeros and its writes is reported as it is.
        memory.writeWord(p, PageContents.FIRST_DATA_WORD + 5, 0x1234);
        assertNotEquals(sourceCrc(p), verifier.sourceEquivalentCrc(p), "a stray word in a given-up page");
        memory.writeWord(p, PageContents.FIRST_DATA_WORD + 5, 0);
        memory.writeWord(p, PageContents.COUNTER_WORD, 4); // more writes than the page ever saw
        assertNotEquals(sourceCrc(p), verifier.sourceEquivalentCrc(p), "a counter above the page's writes");
    }

    @Test
    void aConvertedPageThatArrivedAfterItsConversionIsTheSourcesPage() {
        long p = 40;
        assertTrue(vm.convert(layout.gfnOfPageIndex(p)));
        fillFromSource(p); // the source's copy arrived after the conversion
        write(p, 2);
        assertEquals(sourceCrc(p), new MemoryVerifier(memory, writes, vm, SEED).sourceEquivalentCrc(p));
    }
}
