package org.postcopysim.source.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SourcePolicyTest {
    @Test
    void aDemandRequestMarksItsPagesSentAndMovesTheScanNextToTheLastOne() {
        SourcePolicy policy = new SourcePolicy(100);
        assertEquals(0, policy.onDemand(new int[] {40, 41}, 2));
        assertEquals(1, policy.onDemand(new int[] {41}, 1), "a page requested twice is a duplicate");
        BackgroundPolicy bg = policy.background(4, 0, 1, 0);
        int[] out = new int[4];
        assertEquals(4, bg.claim(out));
        assertArrayEquals(new int[] {42, 43, 44, 45}, out, "the scan continues after the last page requested");
    }

    @Test
    void theBackgroundClaimsEveryUnsentPageOnceThenNothing() {
        SourcePolicy policy = new SourcePolicy(10);
        policy.onDemand(new int[] {3}, 1);
        BackgroundPolicy bg = policy.background(4, 0, 1, 0);
        int[] out = new int[4];
        int total = 0;
        boolean[] seen = new boolean[10];
        seen[3] = true;
        for (int n; (n = bg.claim(out)) > 0; total += n) {
            for (int i = 0; i < n; i++) {
                assertTrue(!seen[out[i]], "page " + out[i] + " claimed twice: " + Arrays.toString(out));
                seen[out[i]] = true;
            }
        }
        assertEquals(9, total);
        assertEquals(0, policy.sent().unsent());
    }

    @Test
    void aCappedStreamWaitsOffWhatItSentAtTheCap() {
        SourcePolicy policy = new SourcePolicy(10);
        long bytesPerSec = 1_000_000; // 1 byte per microsecond
        BackgroundPolicy bg = policy.background(1, bytesPerSec, 1000, 0);
        assertEquals(0, bg.nanosUntilNext(0), "a full bucket sends at once");
        bg.sent(5000); // 4000 bytes of debt beyond the 1000-byte burst
        long waitNs = bg.nanosUntilNext(0);
        assertTrue(waitNs > 3_999_000 && waitNs <= 4_001_000, "waits off the debt at the cap: " + waitNs);
        assertEquals(0, bg.nanosUntilNext(waitNs), "and then sends");
        BackgroundPolicy uncapped = policy.background(1, 0, 1000, 0);
        uncapped.sent(1 << 30);
        assertEquals(0, uncapped.nanosUntilNext(0), "no cap, no wait");
    }
}
