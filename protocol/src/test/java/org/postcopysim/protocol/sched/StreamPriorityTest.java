package org.postcopysim.protocol.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Which event loops run the stream at a lower priority, by rule and on real threads. */
class StreamPriorityTest {
    @Test
    void onlyALoopWithStreamsAndNoDemandConnectionIsLowered() {
        assertEquals(10, StreamPriority.niceness(0, 0, 1, 10), "streams only: lowered");
        assertEquals(10, StreamPriority.niceness(0, 0, 3, 10));
        assertEquals(0, StreamPriority.niceness(0, 1, 1, 10), "a demand connection beside a stream keeps the base");
        assertEquals(0, StreamPriority.niceness(0, 1, 0, 10));
        assertEquals(0, StreamPriority.niceness(0, 0, 0, 10), "nothing on it: the base");
        assertEquals(15, StreamPriority.niceness(5, 0, 1, 10), "above the thread's own base");
        assertEquals(19, StreamPriority.niceness(12, 0, 1, 10), "at most 19");
    }

    @Test
    void aNicenessOutsideZeroToNineteenIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> StreamPriority.of(-1));
        assertThrows(IllegalArgumentException.class, () -> StreamPriority.of(20));
        assertEquals(0, StreamPriority.of(0).streamNice());
    }

    /**
     * On a real thread: a stream lowers it, a demand connection beside it restores it; once the
     * stream leaves too the loop stays as it is until its next connection, a demand one restoring
     * it. Off, nothing changes. (Restoring needs CAP_SYS_NICE: the test runs where it has it, as root.)
     */
    @Test
    void aThreadRunsTheStreamLowerAndDemandAtItsBase() throws Exception {
        assumeTrue(ThreadNice.unsupported() == null, () -> "cannot set a thread's niceness here: " + ThreadNice.unsupported());
        assumeTrue(ThreadNice.restoreRefusal() == null, () -> "cannot restore a niceness here: " + ThreadNice.restoreRefusal());
        List<Integer> seen = onFreshThread(() -> {
            List<Integer> n = new ArrayList<>();
            StreamPriority p = StreamPriority.of(10);
            n.add(ThreadNice.current());
            p.enter(StreamPriority.Role.STREAM);
            n.add(ThreadNice.current());
            p.enter(StreamPriority.Role.DEMAND);
            n.add(ThreadNice.current());
            p.leave(StreamPriority.Role.DEMAND);
            n.add(ThreadNice.current());
            p.leave(StreamPriority.Role.STREAM);
            n.add(ThreadNice.current());
            p.enter(StreamPriority.Role.DEMAND);
            n.add(ThreadNice.current());
            p.leave(StreamPriority.Role.DEMAND);
            StreamPriority.OFF.enter(StreamPriority.Role.STREAM);
            n.add(ThreadNice.current());
            return n;
        });
        int base = seen.get(0);
        assertEquals(List.of(base, base + 10, base, base + 10, base + 10, base, base), seen);
    }

    /** A thread of a stream-only group runs at its base plus the niceness from its start; off, at its base. */
    @Test
    void aStreamGroupsThreadsRunLowerFromTheirStart() throws Exception {
        assumeTrue(ThreadNice.unsupported() == null, () -> "cannot set a thread's niceness here: " + ThreadNice.unsupported());
        int base = ThreadNice.current();
        for (int nice : new int[] {6, 0}) {
            AtomicReference<Integer> seen = new AtomicReference<>();
            Thread t = StreamPriority.of(nice).threadFactory("stream-test").newThread(() -> seen.set(ThreadNice.current()));
            t.start();
            t.join();
            assertEquals(Math.min(19, base + nice), seen.get(), "niceness +" + nice);
        }
    }

    @Test
    void theNicenessReadIsTheOneSet() throws Exception {
        assumeTrue(ThreadNice.unsupported() == null, () -> "cannot set a thread's niceness here: " + ThreadNice.unsupported());
        List<Integer> seen = onFreshThread(() -> {
            int base = ThreadNice.current();
            assertNull(ThreadNice.set(Math.min(19, base + 3)));
            return List.of(base, ThreadNice.current());
        });
        assertEquals(Math.min(19, seen.get(0) + 3), seen.get(1));
    }

    /** Runs {@code body} on a new thread (niceness is per thread; the test's own is left alone). */
    private static List<Integer> onFreshThread(java.util.concurrent.Callable<List<Integer>> body) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                out.set(body.call());
            } catch (Throwable e) {
                out.set(e);
            }
        }, "stream-priority-test");
        t.start();
        t.join();
        if (out.get() instanceof Throwable e) throw new AssertionError(e);
        @SuppressWarnings("unchecked")
        List<Integer> r = (List<Integer>) out.get();
        return r;
    }
}
