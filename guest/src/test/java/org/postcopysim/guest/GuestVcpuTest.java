package org.postcopysim.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/** A guest read checks the source's word, so a page that does not hold the source's contents is caught. */
class GuestVcpuTest {
    private static final long SEED = 3;

    @Test
    void aReadPassesOnTheSourcesContentsAndIsStaleOnAnythingElse() {
        GuestLayout layout = GuestLayout.gapped(32 * GuestLayout.PAGE_SIZE_BYTES, 2, 100);
        try (GuestMemory memory = GuestMemory.allocate(layout.totalPages())) {
            GuestMemory.View view = memory.newView();
            for (long p = 0; p < layout.totalPages(); p++) {
                ByteBuffer page = view.page(p);
                PageContents.fill(page, SEED, layout.gfnOfPageIndex(p));
            }
            memory.writeWord(7, 0, 0); // the counter word: reads never check it
            for (int w = 1; w < PageContents.WORDS_PER_PAGE; w++) memory.writeWord(9, w, 0); // page 9: zeros
            GuestVcpu vcpu = new GuestVcpu(layout, memory, page -> { },
                    new AccessStream(Workload.parse("sequential", 0), 0, layout.totalPages(), SEED, 0), SEED);
            for (long p = 0; p < layout.totalPages(); p++) {
                vcpu.next();
                assertEquals(p, vcpu.pageIndex());
                assertEquals(layout.gfnOfPageIndex(p), vcpu.gfn());
                assertEquals(p == 9 ? GuestVcpu.READ_STALE : GuestVcpu.READ_OK, vcpu.complete(), "page " + p);
            }
        }
    }

    @Test
    void withContentsElidedEveryReadPassesAndWritesAreStillRecorded() {
        GuestLayout layout = GuestLayout.contiguous(8 * GuestLayout.PAGE_SIZE_BYTES, 1);
        GuestWriteLog log = new GuestWriteLog(8);
        GuestVcpu vcpu = new GuestVcpu(layout, null, log,
                new AccessStream(Workload.parse("sequential", 0.5), 0, 8, SEED, 0), SEED);
        long writes = 0;
        for (int i = 0; i < 800; i++) {
            vcpu.next();
            int r = vcpu.complete();
            if (vcpu.isWrite()) {
                assertEquals(GuestVcpu.WROTE, r);
                writes++;
            } else {
                assertEquals(GuestVcpu.READ_OK, r);
            }
        }
        long logged = 0;
        for (int p = 0; p < 8; p++) logged += log.writes(p);
        assertEquals(writes, logged);
    }
}
