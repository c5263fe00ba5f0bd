package org.postcopysim.dest.uffd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;

/** Routing a page to its uffd: one shared uffd, or one per vCPU range. */
class UffdSetTest {
    private static final int MAX_WAITERS = 8;

    @Test
    void perVcpuWithEqualRangesRoutesEachPageToItsVcpusUffd() {
        UffdSet set = UffdSet.perVcpu(0, 100, 4, MAX_WAITERS, null);
        assertEquals(UffdSet.Scope.PER_VCPU, set.scope());
        assertEquals(4, set.count());
        long[][] expected = {{0, 0}, {99, 0}, {100, 1}, {250, 2}, {300, 3}, {399, 3}};
        for (long[] e : expected) {
            assertEquals(e[1], set.indexOf(e[0]), "page " + e[0]);
            assertSame(set.get((int) e[1]), set.forPage(e[0]));
            assertTrue(set.forPage(e[0]).covers(e[0]));
        }
    }

    @Test
    void perVcpuWithUnequalBoundariesRoutesByBinarySearch() {
        UffdSet set = UffdSet.perVcpu(new long[] {10, 20, 50, 51}, MAX_WAITERS, null);
        long[][] expected = {{10, 0}, {19, 0}, {20, 1}, {49, 1}, {50, 2}};
        for (long[] e : expected) {
            assertEquals(e[1], set.indexOf(e[0]), "page " + e[0]);
            assertTrue(set.forPage(e[0]).covers(e[0]));
        }
        assertEquals(30, set.get(1).pages());
    }

    @Test
    void pagesOutsideEveryRangeBelongToNoUffd() {
        UffdSet equal = UffdSet.perVcpu(100, 50, 2, MAX_WAITERS, null);
        UffdSet unequal = UffdSet.perVcpu(new long[] {10, 20, 50}, MAX_WAITERS, null);
        for (long page : new long[] {-1, 0, 99, 200, 1000}) {
            assertEquals(-1, equal.indexOf(page));
            assertNull(equal.forPage(page));
        }
        for (long page : new long[] {-1, 9, 50, 51}) {
            assertEquals(-1, unequal.indexOf(page));
            assertNull(unequal.forPage(page));
        }
    }

    @Test
    void sharedRoutesEveryPageToTheOneUffd() {
        GuestLayout layout = GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0, 1024, 0),
                new GuestLayout.Slot(1, 10_000, 1000, 0)));
        UffdSet set = UffdSet.shared(layout, MAX_WAITERS);
        assertEquals(UffdSet.Scope.SHARED, set.scope());
        assertEquals(1, set.count());
        for (long page = 0; page < layout.totalPages(); page += 97) assertSame(set.get(0), set.forPage(page));
        assertSame(set.get(0), set.forPage(layout.totalPages() - 1));
        assertNull(set.forPage(layout.totalPages()));
        assertNull(set.forPage(-1));
    }

    @Test
    void perVcpuUffdsHaveSeparateQueuesSoAWakeVisitsOnlyItsOwnSleepers() {
        UffdSet set = UffdSet.perVcpu(0, 100, 4, MAX_WAITERS, null);
        for (int vcpu = 0; vcpu < 4; vcpu++) set.forPage(vcpu * 100 + 5).handleUserfault(vcpu, vcpu * 100 + 5);
        set.get(1).handleUserfault(7, 150); // a non-vCPU thread faulting in vCPU 1's range

        assertEquals(1, set.get(1).wake(105, 1, WakeSink.NONE));

        assertEquals(2, set.get(1).waitersVisited());
        assertEquals(2, set.maxWaitersVisitedPerWake());
        assertEquals(4, set.pendingCount());
        assertEquals(1, set.wakes());

        UffdSet shared = UffdSet.shared(0, 400, MAX_WAITERS, null);
        for (int vcpu = 0; vcpu < 4; vcpu++) shared.forPage(vcpu * 100 + 5).handleUserfault(vcpu, vcpu * 100 + 5);
        shared.forPage(150).handleUserfault(7, 150);
        assertEquals(1, shared.get(0).wake(105, 1, WakeSink.NONE));
        assertEquals(5, shared.waitersVisited(), "one shared uffd: the wake walks every vCPU's waiter");
    }

    @Test
    void badBoundariesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> UffdSet.perVcpu(new long[] {10}, MAX_WAITERS, null));
        assertThrows(IllegalArgumentException.class, () -> UffdSet.perVcpu(new long[] {10, 10}, MAX_WAITERS, null));
        assertThrows(IllegalArgumentException.class, () -> UffdSet.perVcpu(new long[] {-1, 10}, MAX_WAITERS, null));
        assertThrows(IllegalArgumentException.class, () -> UffdSet.perVcpu(0, 0, 4, MAX_WAITERS, null));
        assertThrows(IllegalArgumentException.class, () -> UffdSet.shared(0, 0, MAX_WAITERS, null));
    }
}
