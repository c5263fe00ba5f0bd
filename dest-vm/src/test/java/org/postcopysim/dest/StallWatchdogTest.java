package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.threads.PageWaiters;
import org.postcopysim.time.NanoClock;

class StallWatchdogTest {
    private static final long TIMEOUT_NS = 300_000_000;

    @Test
    void reportsAVcpuBlockedLongerThanTheTimeoutAndCountsEachWaitOnce() {
        PageWaiters waiters = new PageWaiters(3);
        Counter stalls = new SimpleMeterRegistry().counter("stalls");
        StallWatchdog dog = new StallWatchdog(waiters, TIMEOUT_NS, stalls, p -> p + 0x100, () -> "up", p -> "test page", NanoClock.SYSTEM);
        long t0 = 1_000_000_000L;
        waiters.beginWait(1, 42, t0);
        waiters.beginWait(2, 43, t0 + 200_000_000);
        assertEquals(0, dog.scan(t0 + TIMEOUT_NS - 1), "not yet");
        assertEquals(1, dog.scan(t0 + TIMEOUT_NS), "vcpu-1 stalled");
        assertEquals(0, dog.scan(t0 + 2 * TIMEOUT_NS - 200_000_000 - 1), "vcpu-1 reported already, vcpu-2 not yet");
        assertEquals(2, dog.scan(t0 + 2 * TIMEOUT_NS), "vcpu-2 stalled, and vcpu-1's wait doubled: reported again");
        waiters.endWait(1);
        waiters.beginWait(1, 44, t0 + 3 * TIMEOUT_NS);
        assertEquals(2, dog.scan(t0 + 4 * TIMEOUT_NS), "a new wait of vcpu-1 is a new stall; vcpu-2's wait doubled again");
        assertEquals(3, (long) stalls.count(), "three waits");
    }

    @Test
    void aWaitThatGoesOnIsReportedAgainEachTimeItDoublesButCountedOnce() {
        PageWaiters waiters = new PageWaiters(1);
        Counter stalls = new SimpleMeterRegistry().counter("stalls");
        StallWatchdog dog = new StallWatchdog(waiters, TIMEOUT_NS, stalls, p -> p, () -> "up", p -> "test page", NanoClock.SYSTEM);
        long t0 = 1_000_000_000L;
        waiters.beginWait(0, 7, t0);
        assertEquals(1, dog.scan(t0 + TIMEOUT_NS), "stalled");
        assertEquals(0, dog.scan(t0 + 2 * TIMEOUT_NS - 1), "not again before the wait doubled");
        assertEquals(1, dog.scan(t0 + 2 * TIMEOUT_NS), "still stalled at twice the timeout");
        assertEquals(0, dog.scan(t0 + 4 * TIMEOUT_NS - 1));
        assertEquals(1, dog.scan(t0 + 4 * TIMEOUT_NS), "and at four times");
        assertEquals(1, dog.scan(t0 + 100 * TIMEOUT_NS), "a wait never goes quiet for good");
        assertEquals(1, (long) stalls.count(), "one wait, one stall");
    }
}
