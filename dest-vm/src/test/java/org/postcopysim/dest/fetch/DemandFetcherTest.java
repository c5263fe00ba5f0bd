package org.postcopysim.dest.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;

/**
 * The fetcher over {@link TestPages#gappedLayout()}: every fault names its page three ways
 * (memslot bit, gfn, dense page index), each computed here from the layout on its own, so a
 * fetcher that requests by page index, or tracks in-flight pages by gfn or by bit, is caught.
 */
class DemandFetcherTest {
    final List<long[]> sent = new ArrayList<>();
    final GuestLayout layout = TestPages.gappedLayout();
    final Vm vm = TestPages.vmWithAllPagesMissing(layout);
    final DemandFetcher fetcher = new DemandFetcher(layout.totalPages(), 2,
            (requestId, gfn, urgent) -> sent.add(new long[] {requestId, gfn, urgent ? 1 : 0}));

    /** Gfn of page {@code bit} of the memslot at {@code position}. */
    long gfn(int position, long bit) {
        return layout.slot(position).baseGfn() + bit;
    }

    /** A vCPU's exit on {@code gfn}, as the fault path hands it over. */
    int fault(long gfn) {
        GuestLayout.Slot s = layout.slot(layout.slotPositionOfGfn(gfn));
        Memslot slot = vm.memslot(layout.slotPositionOfGfn(gfn));
        return fetcher.fault(slot, gfn - s.baseGfn(), gfn, layout.pageIndexOfGfn(gfn));
    }

    Set<Long> sentGfns() {
        Set<Long> gfns = new TreeSet<>();
        for (long[] r : sent) gfns.add(r[1]);
        return gfns;
    }

    @Test
    void secondFaultOnAPageInFlightJoinsItWithoutASecondRequest() {
        long gfn = gfn(1, 5); // 0x10005: bit 5 of memslot 1, page index 1005
        assertEquals(DemandFetcher.REQUESTED, fault(gfn));
        assertEquals(DemandFetcher.JOINED, fault(gfn));
        assertEquals(DemandFetcher.JOINED, fault(gfn));
        assertEquals(1, sent.size());
        assertEquals(0x10005, sent.get(0)[1], "the request names the gfn (not the page index or the bit)");
        assertEquals(1, sent.get(0)[2], "a vCPU is blocked: urgent");
    }

    @Test
    void pagesWithTheSameBitInDifferentMemslotsAreDifferentRequests() {
        // Bit 5 of each memslot: page indexes 5, 1005 and 1705, three different pages.
        long[] gfns = {gfn(0, 5), gfn(1, 5), gfn(2, 5)};
        for (long g : gfns) assertEquals(DemandFetcher.REQUESTED, fault(g), "gfn 0x" + Long.toHexString(g));
        assertEquals(Set.of(0x105L, 0x10005L, 0x200005L), sentGfns());
        assertEquals(3, sent.size());
    }

    @Test
    void requestIdsAreUniqueAndNonZero() {
        for (int position = 0; position < layout.slotCount(); position++) {
            for (long bit = 0; bit < 10; bit++) fault(gfn(position, bit));
        }
        assertEquals(30, sent.stream().mapToLong(r -> r[0]).distinct().filter(id -> id != 0).count());
        assertEquals(30, sentGfns().size());
    }

    @Test
    void faultOnAPageThatArrivedMeanwhileSendsNothing() {
        long gfn = gfn(2, 8); // bit 8 of memslot 2, page index 1708
        vm.memslot(2).userfaultBitmap().clear(8);
        assertEquals(DemandFetcher.PRESENT, fault(gfn));
        assertTrue(sent.isEmpty());
        // Bit 8 is clear in memslot 2 only: the other memslots' page 8 are still missing.
        assertEquals(DemandFetcher.REQUESTED, fault(gfn(0, 8)));
        assertEquals(DemandFetcher.REQUESTED, fault(gfn(1, 8)));
        assertEquals(Set.of(0x108L, 0x10008L), sentGfns());
    }

    @Test
    void installClearsTheInFlightStateSoALaterFaultRequestsAgain() {
        long gfn = gfn(1, 4);
        assertEquals(DemandFetcher.REQUESTED, fault(gfn));
        assertEquals(DemandFetcher.REQUESTED, fault(gfn(0, 4)));
        fetcher.onInstalled(layout.pageIndexOfGfn(gfn)); // page index 1004
        assertEquals(DemandFetcher.REQUESTED, fault(gfn), "its fetch is over: a new fault is a new request");
        assertEquals(DemandFetcher.JOINED, fault(gfn(0, 4)), "the other page's fetch is still in flight");
        assertEquals(3, sent.size());
        assertEquals(gfn, sent.get(2)[1]);
    }

    @Test
    void badCopiesAreReRequestedUpToTheLimitThenGiveUp() {
        long gfn = gfn(2, 11);
        long pageIndex = layout.pageIndexOfGfn(gfn); // 1711
        assertTrue(fetcher.onBadCopy(gfn, pageIndex));
        assertTrue(fetcher.onBadCopy(gfn, pageIndex));
        assertFalse(fetcher.onBadCopy(gfn, pageIndex), "third bad copy with a limit of 2 re-requests");
        assertEquals(2, sent.size());
        assertEquals(Set.of(gfn), sentGfns(), "re-requests name the gfn");
        assertEquals(3, fetcher.badCopies(pageIndex));
        assertEquals(0, fetcher.badCopies(11), "counted per page index: page 11 (memslot 0) has none");
        assertEquals(2, fetcher.reRequests());
    }

    @Test
    void afterARecoveryEveryRequestInFlightIsSentAgainByItsGfn() {
        long[] gfns = {gfn(0, 999), gfn(1, 0), gfn(1, 699), gfn(2, 0), gfn(2, 332)};
        Set<Long> expected = new TreeSet<>();
        for (long g : gfns) {
            fault(g);
            expected.add(g);
        }
        fetcher.onInstalled(layout.pageIndexOfGfn(gfn(1, 0)));
        expected.remove(gfn(1, 0));
        sent.clear();
        assertEquals(4, fetcher.resendInFlight(layout::gfnOfPageIndex));
        assertEquals(expected, sentGfns());
        assertEquals(4, fetcher.resentAfterRecovery());
    }
}
