package org.postcopysim.dest.uffd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.memory.GuestLayout;

/** The userfaultfd wait queues: fault, read, wake (visiting every sleeper), UFFDIO_COPY. */
class UserfaultfdTest {
    private static final int MAX_WAITERS = 16;
    private final UffdMsg msg = new UffdMsg();
    private final RecordingSink sink = new RecordingSink();

    /** Records woken ids in order, into a preallocated array. */
    private static final class RecordingSink implements WakeSink {
        final int[] ids = new int[64];
        int count;

        @Override
        public void wake(int waiterId) {
            ids[count++] = waiterId;
        }

        int[] take() {
            int[] out = Arrays.copyOf(ids, count);
            count = 0;
            return out;
        }
    }

    @Test
    void readMovesPendingWaitersToTheFaultQueueInFifoOrder() {
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        uffd.handleUserfault(3, 30, false);
        uffd.handleUserfault(1, 10, true);
        uffd.handleUserfault(2, 20);
        assertEquals(3, uffd.pendingCount());
        assertEquals(Userfaultfd.WAITER_PENDING, uffd.waiterState(1));

        assertEquals(3, uffd.read(msg));
        assertEquals(3, msg.waiterId());
        assertEquals(30, msg.pageIndex());
        assertEquals(30L << 12, msg.address());
        assertFalse(msg.isWrite());
        assertEquals(Userfaultfd.WAITER_WAITING, uffd.waiterState(3));
        assertEquals(2, uffd.pendingCount());
        assertEquals(1, uffd.waitingCount());

        assertEquals(1, uffd.read(msg));
        assertTrue(msg.isWrite());
        assertEquals(UffdMsg.FLAG_WRITE, msg.flags());
        assertEquals(2, uffd.read(msg));
        assertEquals(0, uffd.pendingCount());
        assertEquals(3, uffd.waitingCount());
        assertEquals(3, uffd.reads());
        assertEquals(3, uffd.faults());
    }

    @Test
    void readOnAnEmptyPendingQueueReturnsEagainAndLeavesTheMessageAlone() {
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        msg.set(9, 99, -1, 0);
        assertEquals(UffdResult.EAGAIN, uffd.read(msg));
        assertEquals(-1, UffdResult.EAGAIN);
        assertEquals(9, msg.waiterId());
        assertEquals(0, uffd.reads());
        assertEquals(1, uffd.emptyReads());
    }

    @Test
    void withALayoutTheMessageCarriesTheGfnOfThePageIndex() {
        GuestLayout layout = GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0, 1024, 0),
                new GuestLayout.Slot(1, 10_000, 1000, 0)));
        Userfaultfd uffd = new Userfaultfd(0, layout.totalPages(), MAX_WAITERS, layout);
        uffd.handleUserfault(0, 1024 + 5, true);
        uffd.read(msg);
        assertEquals(10_005, msg.gfn());
        assertEquals(10_005L << 12, msg.gpa());
        assertEquals((1024L + 5) << 12, msg.address());

        Userfaultfd noLayout = new Userfaultfd(0, 2024, MAX_WAITERS);
        noLayout.handleUserfault(0, 1029);
        noLayout.read(msg);
        assertEquals(-1, msg.gfn());
        assertEquals(-1, msg.gpa());
    }

    @Test
    void aWakeVisitsEveryWaiterOnBothQueuesAndWakesOnlyThoseInTheRange() {
        int n = 8;
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        for (int w = 0; w < n; w++) uffd.handleUserfault(w, 50 + w);
        for (int i = 0; i < n / 2; i++) uffd.read(msg); // waiters 0..3 on the fault queue, 4..7 pending

        assertEquals(1, uffd.wake(50 + 1, 1, sink));

        assertArrayEquals(new int[] {1}, sink.take());
        assertEquals(1, uffd.wakes());
        assertEquals(n, uffd.waitersVisited());
        assertEquals(n, uffd.maxWaitersVisitedPerWake());
        assertEquals(Userfaultfd.WAITER_NONE, uffd.waiterState(1));
        assertEquals(3, uffd.waitingCount());
        assertEquals(4, uffd.pendingCount());

        assertEquals(0, uffd.wake(99, 1, sink), "no waiter on page 99");
        assertEquals(2, uffd.wakes());
        assertEquals(n + (n - 1), uffd.waitersVisited());
        assertEquals(n, uffd.maxWaitersVisitedPerWake());
        assertEquals((n + n - 1) / 2.0, uffd.meanWaitersVisitedPerWake(), 1e-9);
        assertEquals(1, uffd.woken());
    }

    @Test
    void wakingAPendingWaiterThatNoReaderReadRemovesItAndKeepsTheFifoOrderOfTheRest() {
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        for (int w = 0; w < 5; w++) uffd.handleUserfault(w, 10 + w);

        assertEquals(1, uffd.wake(12, 1, sink));

        assertArrayEquals(new int[] {2}, sink.take());
        assertEquals(Userfaultfd.WAITER_NONE, uffd.waiterState(2));
        assertEquals(4, uffd.pendingCount());
        assertEquals(0, uffd.read(msg));
        assertEquals(1, uffd.read(msg));
        assertEquals(3, uffd.read(msg), "the woken waiter is never read");
        assertEquals(4, uffd.read(msg));
        assertEquals(UffdResult.EAGAIN, uffd.read(msg));
    }

    @Test
    void aRangeWakeWakesEveryWaiterOfEveryPageInIt() {
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        uffd.handleUserfault(0, 10);
        uffd.handleUserfault(1, 10);
        uffd.handleUserfault(2, 11);
        uffd.handleUserfault(3, 12);
        uffd.read(msg);

        assertEquals(3, uffd.wake(10, 2, sink));

        assertArrayEquals(new int[] {1, 2, 0}, sink.take(), "pending queue first, then the fault queue");
        assertEquals(1, uffd.sleepingCount());
        assertEquals(Userfaultfd.WAITER_PENDING, uffd.waiterState(3));
    }

    @Test
    void aWokenWaiterCanFaultAgain() {
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        uffd.handleUserfault(0, 10);
        uffd.read(msg);
        uffd.wake(10, 1, sink);
        uffd.handleUserfault(0, 11);
        assertEquals(0, uffd.read(msg));
        assertEquals(11, msg.pageIndex());
    }

    @Test
    void thePendingQueueStaysFifoAcrossRingWraparound() {
        Userfaultfd uffd = new Userfaultfd(0, 100, 3);
        int expectedNext = 0;
        int nextFault = 0;
        for (int step = 0; step < 30; step++) {
            while (uffd.pendingCount() + uffd.waitingCount() < 3) {
                uffd.handleUserfault(nextFault % 3, nextFault);
                nextFault++;
            }
            int read = uffd.read(msg);
            assertEquals(expectedNext % 3, read);
            assertEquals(expectedNext, msg.pageIndex());
            expectedNext++;
            assertEquals(1, uffd.wake(msg.pageIndex(), 1, sink));
        }
        assertEquals(30, sink.take().length);
    }

    @Test
    void copyMapsThePageAndWakesItsWaitersASecondCopyIsEexistAndWakesNobody() {
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        HostPageTable host = new HostPageTable(100);
        uffd.handleUserfault(0, 3);
        uffd.handleUserfault(1, 3);
        uffd.handleUserfault(2, 4);
        uffd.read(msg);

        assertEquals(UffdResult.OK, uffd.copy(host, 3, false, sink));

        assertTrue(host.isMapped(3));
        assertArrayEquals(new int[] {1, 0}, sink.take());
        assertEquals(1, uffd.sleepingCount());
        assertEquals(1, uffd.wakes());

        uffd.handleUserfault(5, 3); // a late fault on the page (the runner skipped the must-wait check)
        assertEquals(UffdResult.EEXIST, uffd.copy(host, 3, false, sink));
        assertEquals(0, sink.take().length, "EEXIST wakes nobody");
        assertEquals(1, uffd.eexistCount());
        assertEquals(1, uffd.copies());
        assertEquals(1, uffd.wakes(), "no wake walk on EEXIST");
        assertEquals(Userfaultfd.WAITER_PENDING, uffd.waiterState(5));
    }

    @Test
    void aDontWakeCopyWakesNobodyAndALaterWakeDoes() {
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        HostPageTable host = new HostPageTable(100);
        uffd.handleUserfault(2, 4);
        uffd.read(msg);

        assertEquals(UffdResult.OK, uffd.copy(host, 4, true, null));

        assertTrue(host.isMapped(4));
        assertEquals(Userfaultfd.WAITER_WAITING, uffd.waiterState(2));
        assertEquals(0, uffd.wakes());
        assertEquals(1, uffd.wake(4, 1, sink));
        assertArrayEquals(new int[] {2}, sink.take());
    }

    @Test
    void theMustWaitCheckQueuesNothingWhenThePageIsAlreadyMapped() {
        Userfaultfd uffd = new Userfaultfd(0, 100, MAX_WAITERS);
        HostPageTable host = new HostPageTable(100);
        host.map(8);
        assertFalse(uffd.handleUserfault(0, 8, false, host));
        assertEquals(Userfaultfd.WAITER_NONE, uffd.waiterState(0));
        assertEquals(1, uffd.faultsNotQueued());
        assertTrue(uffd.handleUserfault(0, 9, false, host));
        assertEquals(1, uffd.faults());
    }

    @Test
    void wakeAllWakesEverySleeper() {
        Userfaultfd uffd = new Userfaultfd(10, 20, MAX_WAITERS);
        uffd.handleUserfault(0, 10);
        uffd.handleUserfault(1, 29);
        uffd.read(msg);
        assertEquals(2, uffd.wakeAll(sink));
        assertEquals(0, uffd.sleepingCount());
    }

    @Test
    void coversOnlyTheRegisteredRange() {
        Userfaultfd uffd = new Userfaultfd(10, 20, MAX_WAITERS);
        assertFalse(uffd.covers(9));
        assertTrue(uffd.covers(10));
        assertTrue(uffd.covers(29));
        assertFalse(uffd.covers(30));
    }

    @Test
    void callerBugsAreRejected() {
        Userfaultfd uffd = new Userfaultfd(10, 20, 4);
        uffd.handleUserfault(0, 10);
        assertThrows(IllegalStateException.class, () -> uffd.handleUserfault(0, 11), "queued twice");
        assertThrows(IndexOutOfBoundsException.class, () -> uffd.handleUserfault(1, 30), "outside the range");
        assertThrows(IndexOutOfBoundsException.class, () -> uffd.handleUserfault(4, 10), "bad waiter id");
        assertThrows(IndexOutOfBoundsException.class, () -> uffd.copy(new HostPageTable(100), 5, true, null));
        assertThrows(IllegalArgumentException.class, () -> uffd.wake(10, 0, sink));
        assertThrows(IllegalStateException.class,
                () -> uffd.wake(10, 1, id -> uffd.handleUserfault(id, 12)), "re-entry from the sink");
    }
}
