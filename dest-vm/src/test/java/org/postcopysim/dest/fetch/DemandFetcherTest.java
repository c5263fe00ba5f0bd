package org.postcopysim.dest.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;

class DemandFetcherTest {
    final List<long[]> sent = new ArrayList<>();
    final GuestLayout layout = GuestLayout.contiguous(2L << 20, 1);
    final Vm vm = TestPages.vmWithAllPagesMissing(layout);
    final DemandFetcher fetcher = new DemandFetcher(layout.totalPages(), 2,
            (requestId, gfn, urgent) -> sent.add(new long[] {requestId, gfn, urgent ? 1 : 0}));

    @Test
    void secondFaultOnAPageInFlightJoinsItWithoutASecondRequest() {
        Memslot slot = vm.memslotOfGfn(5);
        assertEquals(DemandFetcher.REQUESTED, fetcher.fault(slot, 5, 5, 5));
        assertEquals(DemandFetcher.JOINED, fetcher.fault(slot, 5, 5, 5));
        assertEquals(DemandFetcher.JOINED, fetcher.fault(slot, 5, 5, 5));
        assertEquals(1, sent.size());
        assertEquals(5, sent.get(0)[1]);
        assertEquals(1, sent.get(0)[2], "a vCPU is blocked: urgent");
    }

    @Test
    void requestIdsAreUniqueAndNonZero() {
        Memslot slot = vm.memslot(0);
        for (long gfn = 0; gfn < 10; gfn++) fetcher.fault(slot, gfn, gfn, gfn);
        assertEquals(10, sent.stream().mapToLong(r -> r[0]).distinct().filter(id -> id != 0).count());
    }

    @Test
    void faultOnAPageThatArrivedMeanwhileSendsNothing() {
        Memslot slot = vm.memslotOfGfn(8);
        slot.userfaultBitmap().clear(8);
        assertEquals(DemandFetcher.PRESENT, fetcher.fault(slot, 8, 8, 8));
        assertTrue(sent.isEmpty());
    }

    @Test
    void installClearsTheInFlightStateSoALaterFaultRequestsAgain() {
        Memslot slot = vm.memslotOfGfn(4);
        assertEquals(DemandFetcher.REQUESTED, fetcher.fault(slot, 4, 4, 4));
        fetcher.onInstalled(4);
        assertEquals(DemandFetcher.REQUESTED, fetcher.fault(slot, 4, 4, 4));
        assertEquals(2, sent.size());
    }

    @Test
    void badCopiesAreReRequestedUpToTheLimitThenGiveUp() {
        assertTrue(fetcher.onBadCopy(11, 11));
        assertTrue(fetcher.onBadCopy(11, 11));
        assertFalse(fetcher.onBadCopy(11, 11), "third bad copy with a limit of 2 re-requests");
        assertEquals(2, sent.size());
        assertEquals(3, fetcher.badCopies(11));
        assertEquals(2, fetcher.reRequests());
    }
}
