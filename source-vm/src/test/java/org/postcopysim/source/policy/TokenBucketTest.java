package org.postcopysim.source.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The bucket reads no clock: these tests drive time by hand. */
class TokenBucketTest {
    @Test
    void aFullBucketSendsAtOnceThenWaitsOffItsDebt() {
        TokenBucket b = new TokenBucket(1_000, 100, 0); // 1000 bytes/s, burst 100 bytes
        assertEquals(0, b.nanosUntilAvailable(0));
        b.consume(600); // 500 bytes of debt
        long wait = b.nanosUntilAvailable(0);
        assertEquals(501_000_000L, wait, 1_000); // 501 bytes at 1 byte/ms
        assertTrue(b.nanosUntilAvailable(wait / 2) > 0);
        assertEquals(0, b.nanosUntilAvailable(wait));
    }

    @Test
    void longRunRateIsTheCapWhateverTheFrameSize() {
        long rate = 8L << 20;
        TokenBucket b = new TokenBucket(rate, 270_000, 0);
        long now = 0;
        long sent = 0;
        while (sent < (64L << 20)) {
            long wait = b.nanosUntilAvailable(now);
            now += wait;
            if (wait == 0) {
                b.consume(264_000);
                sent += 264_000;
            }
        }
        double seconds = now / 1e9;
        double expected = (sent - 270_000 - 264_000) / (double) rate; // first burst and last frame are free
        assertEquals(expected, seconds, 0.01, "64 MiB at 8 MiB/s");
    }

    @Test
    void idleTimeRefillsNoMoreThanOneBurst() {
        TokenBucket b = new TokenBucket(1_000, 100, 0);
        b.consume(100);
        assertEquals(0, b.nanosUntilAvailable(3_600_000_000_000L)); // an hour idle
        b.consume(101);
        assertTrue(b.nanosUntilAvailable(3_600_000_000_000L) > 0, "only one burst was stored");
    }
}
