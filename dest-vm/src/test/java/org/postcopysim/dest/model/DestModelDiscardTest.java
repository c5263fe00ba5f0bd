package org.postcopysim.dest.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.TestPages;
import org.postcopysim.dest.kvm.AccessResult;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.model.DestModelHostEventsTest.Harness;
import org.postcopysim.dest.model.DestModelHostEventsTest.Mode;
import org.postcopysim.memory.PageContents;

/**
 * The switchover's discard after precopy, through the whole destination model in each fault mode
 * that migrates: a page that arrived during precopy and that the guest then wrote on the source is
 * dropped ({@link PageInstaller#discard}): it is missing again, so the guest's first access
 * faults and requests it (no refetch of an arrived page: it is not arrived any more), and what it
 * then reads is the source's latest copy. The negative controls skip the discard (the stale copy
 * stays and the latest one is dropped as a duplicate) and set the userfault bit behind the
 * model's back over a mapped page (the MMU invariants report the entry the model would have
 * zapped).
 */
class DestModelDiscardTest {
    private static final long CONTENT_SEED = 0xC0FFEE;

    /** The source's copy of {@code gfn} after {@code writes} guest writes on the source (release it). */
    private static ByteBuf sourcePageAfterWrites(long gfn, long writes) {
        ByteBuf page = TestPages.sourcePage(CONTENT_SEED, gfn);
        page.setLongLE(PageContents.COUNTER_WORD, page.getLongLE(PageContents.COUNTER_WORD) + writes);
        return page;
    }

    private static int arrive(Harness h, long gfn, long writes) {
        ByteBuf page = sourcePageAfterWrites(gfn, writes);
        try {
            return h.model.installer().install(h.ctx, gfn, TestPages.crc(page), TestPages.bytes(page));
        } finally {
            page.release();
        }
    }

    private static long counterWord(Harness h, long gfn) {
        return h.memory.readWord(h.pageIndex(gfn), PageContents.COUNTER_WORD);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aPageDirtiedAfterItWasSentIsDroppedFaultsAgainAndReadsTheSourcesLatestCopy(Mode m) {
        try (Harness h = new Harness(m.mode, 11)) {
            long gfn = 0x10042;
            long other = 0x120;
            assertEquals(PageInstaller.INSTALLED, arrive(h, gfn, 0)); // precopy round 1: every page
            assertEquals(PageInstaller.INSTALLED, arrive(h, other, 0));
            long present = h.model.installer().presentPages();
            // The switchover: the guest wrote gfn twice on the source after it was sent.
            assertEquals(PageInstaller.DISCARDED, h.model.installer().discard(h.ctx, gfn));
            assertEquals(PageInstaller.MISSING, h.model.installer().discard(h.ctx, gfn), "dropped once");
            assertFalse(h.model.installer().hasArrived(h.pageIndex(gfn)));
            assertEquals(present - 1, h.model.installer().presentPages());
            assertEquals(0, counterWord(h, gfn), "the stale copy is gone (MADV_DONTNEED leaves zeros)");
            assertEquals(1, h.vm().discards());
            // Postcopy: the guest's first access faults and requests the page.
            assertEquals(-1, h.touch(gfn, false));
            assertEquals(List.of(gfn), h.requests);
            assertEquals(PageInstaller.INSTALLED, arrive(h, gfn, 2));
            assertTrue(h.touch(gfn, false) >= 0);
            long latest = PageContents.expectedWord(CONTENT_SEED, gfn, PageContents.COUNTER_WORD) + 2;
            assertEquals(latest, counterWord(h, gfn), "the source's latest write");
            // The page that was not discarded never faults to the network.
            assertTrue(h.touch(other, false) >= 0);
            assertEquals(List.of(gfn), h.requests);
            assertEquals(0, h.model.refetchedArrivedPages());
            assertEquals(List.of(), h.model.mmuViolations());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void negativeControlWithoutTheDiscardTheStaleCopyStaysAndTheLatestIsDropped(Mode m) {
        try (Harness h = new Harness(m.mode, 12)) {
            long gfn = 0x10042;
            assertEquals(PageInstaller.INSTALLED, arrive(h, gfn, 0));
            // no discard
            assertTrue(h.touch(gfn, false) >= 0, "present: no fault");
            assertEquals(List.of(), h.requests);
            assertEquals(PageInstaller.ALREADY_PRESENT, arrive(h, gfn, 2), "the latest copy is a duplicate");
            long latest = PageContents.expectedWord(CONTENT_SEED, gfn, PageContents.COUNTER_WORD) + 2;
            assertNotEquals(latest, counterWord(h, gfn), "the guest sees the stale copy");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"KVM_USERFAULT", "UFFD_KVM_USERFAULT"})
    void theModelsDiscardZapsAMappingThatSettingTheBitAloneWouldLeave(Mode m) {
        try (Harness h = new Harness(m.mode, 13)) {
            long mapped = 0x10050;
            h.fetch(mapped); // faulted, answered and mapped in stage-2
            Memslot slot = h.vm().memslotOfGfn(mapped);
            assertTrue(slot.stage2().isMapped(mapped));
            assertEquals(PageInstaller.DISCARDED, h.model.installer().discard(h.ctx, mapped));
            assertFalse(slot.stage2().isMapped(mapped));
            assertEquals(List.of(), h.model.mmuViolations());
            assertEquals(-1, h.touch(mapped, false), "it faults again");

            long other = 0x10051;
            h.fetch(other);
            slot.userfaultBitmap().set(slot.indexOf(other)); // negative control: behind the model's back
            List<String> v = h.model.mmuViolations();
            assertTrue(v.stream().anyMatch(s -> s.contains("has a stage-2 entry but its userfault bit is set")), v.toString());
            assertEquals(AccessResult.HIT, h.vm().access(other, false, h.exit), "and the guest still reads the stale copy");
        }
    }
}
