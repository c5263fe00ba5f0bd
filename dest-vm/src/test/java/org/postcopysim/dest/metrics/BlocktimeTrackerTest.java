package org.postcopysim.dest.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BlocktimeTrackerTest {
    /** An origin far from zero, so relative arithmetic is exercised. */
    private static final long T0 = 5_000_000_000L;

    @Test
    void twoVcpusWithOverlappingIntervalsAreAllBlockedForTheOverlap() {
        BlocktimeTracker t = new BlocktimeTracker(2, T0);
        t.onBlock(0, T0 + 100);
        t.onBlock(1, T0 + 150); // both blocked from 150
        assertEquals(2, t.blockedVcpus());
        assertEquals(50, t.allBlockedNs(T0 + 200), "an open all-blocked interval counts up to now");
        assertEquals(0, t.allBlockedNs(), "closed intervals only");
        assertEquals(130, t.onUnblock(0, T0 + 230)); // ... to 230
        t.onUnblock(1, T0 + 300);
        assertEquals(80, t.allBlockedNs());
        assertEquals(80, t.allBlockedNs(T0 + 1_000), "no interval open any more");
        assertArrayEquals(new long[] {130, 150}, t.perVcpuBlockedNs());

        // A second overlap adds to the first.
        t.onBlock(1, T0 + 400);
        t.onBlock(0, T0 + 410);
        t.onUnblock(1, T0 + 420);
        t.onUnblock(0, T0 + 500);
        assertEquals(90, t.allBlockedNs());
        assertArrayEquals(new long[] {130 + 90, 150 + 20}, t.perVcpuBlockedNs());
        assertEquals(0, t.blockedVcpus());
    }

    @Test
    void vcpusNeverBlockedAtOnceGiveNoAllBlockedTime() {
        BlocktimeTracker t = new BlocktimeTracker(3, T0);
        t.onBlock(0, T0 + 10);
        t.onBlock(1, T0 + 20);
        t.onUnblock(0, T0 + 30);
        t.onBlock(2, T0 + 40); // 1 and 2 blocked, 0 running
        t.onUnblock(1, T0 + 50);
        t.onUnblock(2, T0 + 60);
        assertEquals(0, t.allBlockedNs());
        assertEquals(0, t.allBlockedNs(T0 + 100));
        assertArrayEquals(new long[] {20, 30, 20}, t.perVcpuBlockedNs());
    }

    @Test
    void withOneVcpuAllBlockedTimeIsItsBlockedTime() {
        BlocktimeTracker t = new BlocktimeTracker(1, T0);
        t.onBlock(0, T0 + 1_000);
        assertEquals(500, t.vcpuBlockedNs(0, T0 + 1_500), "open interval up to now");
        assertEquals(0, t.vcpuBlockedNs(0));
        t.onUnblock(0, T0 + 3_000);
        t.onBlock(0, T0 + 10_000);
        t.onUnblock(0, T0 + 10_007);
        assertEquals(2_007, t.vcpuBlockedNs(0));
        assertEquals(2_007, t.allBlockedNs());
    }

    @Test
    void aTimeThatArrivesAfterALaterOneCountsAsTheLaterOne() {
        // vCPU 1 read its clock (150) before vCPU 0's unblock at 200 reached the tracker, but
        // arrives after it: its effective time is 200, so no interval runs backwards.
        BlocktimeTracker t = new BlocktimeTracker(2, T0);
        t.onBlock(0, T0 + 100);
        t.onBlock(1, T0 + 120);
        t.onUnblock(0, T0 + 200);
        assertEquals(80, t.onUnblock(1, T0 + 150));
        assertEquals(80, t.allBlockedNs());
        assertTrue(t.allBlockedNs() <= t.vcpuBlockedNs(1));
    }

    @Test
    void aRunLongerThanTheRelativeClockMeasuresEveryInterval() {
        // Relative times are kept modulo 2^48 ns (78 hours): events hours apart, and an interval
        // across the wrap, still measure right.
        long wrapNs = BlocktimeTracker.TIME_MASK + 1;
        BlocktimeTracker t = new BlocktimeTracker(1, T0);
        for (long at = wrapNs / 4; at < wrapNs; at += wrapNs / 4) {
            t.onBlock(0, T0 + at);
            t.onUnblock(0, T0 + at + 10);
        }
        t.onBlock(0, T0 + wrapNs - 50);
        assertEquals(30 + 20, t.vcpuBlockedNs(0, T0 + wrapNs - 30));
        assertEquals(30 + 70, t.vcpuBlockedNs(0, T0 + wrapNs + 20), "an open interval across the wrap");
        assertEquals(100, t.onUnblock(0, T0 + wrapNs + 50));
        t.onBlock(0, T0 + wrapNs + wrapNs / 2); // 39 hours without an event
        t.onUnblock(0, T0 + wrapNs + wrapNs / 2 + 14);
        assertEquals(30 + 100 + 14, t.allBlockedNs());
        assertEquals(30 + 100 + 14, t.vcpuBlockedNs(0));
    }

    @Test
    void blockingTwiceOrUnblockingWithoutBlockIsACallerBug() {
        BlocktimeTracker t = new BlocktimeTracker(2, T0);
        assertThrows(IllegalStateException.class, () -> t.onUnblock(0, T0 + 1));
        t.onBlock(0, T0 + 1);
        assertThrows(IllegalStateException.class, () -> t.onBlock(0, T0 + 2));
        assertEquals(1, t.blockedVcpus(), "a rejected call changes nothing");
        assertThrows(IndexOutOfBoundsException.class, () -> t.onBlock(2, T0 + 3));
        assertThrows(IllegalArgumentException.class, () -> new BlocktimeTracker(0, T0));
    }

    @Test
    void concurrentVcpusKeepAllBlockedWithinEachVcpusBlockedTimeAndEndWithNoneBlocked() throws Exception {
        int vcpus = 4;
        int rounds = 100_000;
        BlocktimeTracker t = new BlocktimeTracker(vcpus, System.nanoTime());
        long[] returned = new long[vcpus];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(vcpus);
        long began = System.nanoTime();
        for (int v = 0; v < vcpus; v++) {
            int vcpu = v;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < rounds; i++) {
                        t.onBlock(vcpu, System.nanoTime());
                        if ((i & 7) == 0) Thread.onSpinWait();
                        returned[vcpu] += t.onUnblock(vcpu, System.nanoTime());
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }, "vcpu-" + v);
            th.setDaemon(true);
            th.start();
        }
        start.countDown();
        // A scrape while they run: never more than any vCPU's time, never negative.
        while (done.getCount() > 0) {
            long now = System.nanoTime();
            long all = t.allBlockedNs(now);
            assertTrue(all >= 0);
            assertTrue(t.blockedVcpus() >= 0 && t.blockedVcpus() <= vcpus);
            done.await(1, TimeUnit.MILLISECONDS);
        }
        assertTrue(done.await(30, TimeUnit.SECONDS));
        long elapsed = System.nanoTime() - began;
        if (failure.get() != null) throw new AssertionError(failure.get());

        assertEquals(0, t.blockedVcpus(), "every block was matched by an unblock");
        long[] per = t.perVcpuBlockedNs();
        long all = t.allBlockedNs();
        assertEquals(all, t.allBlockedNs(System.nanoTime()), "nothing open");
        for (int v = 0; v < vcpus; v++) {
            assertEquals(returned[v], per[v], "onUnblock's returns add up to vcpu-" + v + "'s time");
            assertTrue(all <= per[v], "all-blocked " + all + " ns exceeds vcpu-" + v + "'s " + per[v] + " ns");
            assertTrue(per[v] <= elapsed + 1_000_000, "vcpu-" + v + " blocked longer than the test ran");
        }
    }
}
