package org.postcopysim.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AccessStreamTest {
    static long[] trace(String workload, long seed, int n) {
        AccessStream s = new AccessStream(Workload.parse(workload, 0.25), 100, 1000, seed, 7);
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            s.next();
            t[i] = s.pageIndex() * 4 + (s.isWrite() ? 1 : 0) + ((long) s.word() << 40);
        }
        return t;
    }

    @Test
    void sameSeedGivesTheSameAccessesAndAnotherSeedDoesNot() {
        for (String w : new String[] {"uniform", "sequential", "zipf", "zipf:0.5", "hotset"}) {
            assertArrayEquals(trace(w, 42, 5000), trace(w, 42, 5000), w);
            if (!w.equals("sequential")) assertFalse(Arrays.equals(trace(w, 42, 5000), trace(w, 43, 5000)), w);
        }
    }

    @Test
    void accessesStayInTheRangeAndTheWriteFractionHolds() {
        AccessStream s = new AccessStream(Workload.parse("uniform", 0.25), 100, 1000, 1, 0);
        int writes = 0;
        for (int i = 0; i < 100_000; i++) {
            s.next();
            assertTrue(s.pageIndex() >= 100 && s.pageIndex() < 1100);
            assertTrue(s.word() >= 1 && s.word() <= 511);
            if (s.isWrite()) writes++;
        }
        assertEquals(0.25, writes / 100_000.0, 0.01);
    }

    @Test
    void sequentialWalksPageAfterPageFromItsOffsetAndWraps() {
        AccessStream s = new AccessStream(Workload.parse("sequential", 0), 10, 5, 1, 3);
        long[] seen = new long[7];
        for (int i = 0; i < seen.length; i++) {
            s.next();
            seen[i] = s.pageIndex();
        }
        assertArrayEquals(new long[] {13, 14, 10, 11, 12, 13, 14}, seen);
    }

    @Test
    void zipfConcentratesAccessesOnFewPages() {
        AccessStream s = new AccessStream(Workload.parse("zipf:0.99", 0), 0, 10_000, 5, 0);
        int[] hits = new int[10_000];
        for (int i = 0; i < 200_000; i++) {
            s.next();
            hits[(int) s.pageIndex()]++;
        }
        int[] sorted = hits.clone();
        Arrays.sort(sorted);
        long top100 = 0;
        for (int i = 0; i < 100; i++) top100 += sorted[sorted.length - 1 - i];
        // 1% of the pages take well over a third of the accesses (uniform would give 1%).
        assertTrue(top100 > 200_000 * 0.35, "top 1% share " + top100 / 200_000.0);
    }

    @Test
    void hotsetSendsItsShareOfAccessesToItsFractionOfPages() {
        AccessStream s = new AccessStream(Workload.parse("hotset:0.1:0.9", 0), 0, 10_000, 3, 0);
        int[] hits = new int[10_000];
        for (int i = 0; i < 200_000; i++) {
            s.next();
            hits[(int) s.pageIndex()]++;
        }
        int[] sorted = hits.clone();
        Arrays.sort(sorted);
        long top = 0;
        for (int i = 0; i < 1000; i++) top += sorted[sorted.length - 1 - i];
        // 90% to the hot 10%, plus the hot pages' share of the uniform 10%: about 0.91.
        assertEquals(0.91, top / 200_000.0, 0.02);
        assertEquals("hotset:0.1:0.9", Workload.parse("hotset", 0).toString());
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("hotset:0", 0));
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("hotset:0.1:2", 0));
    }

    @Test
    void zipfRanksFollowThePowerLaw() {
        ZipfSampler z = new ZipfSampler(1000, 1.0);
        SplitMix64 rng = new SplitMix64(9);
        int[] counts = new int[1001];
        for (int i = 0; i < 500_000; i++) counts[(int) z.sample(rng)]++;
        // P(1)/P(2) = 2 for exponent 1.
        assertEquals(2.0, counts[1] / (double) counts[2], 0.1);
        assertEquals(10.0, counts[1] / (double) counts[10], 1.0);
    }

    @Test
    void rejectsUnknownWorkloadsAndBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("random", 0));
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("zipf:x", 0));
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("zipf:-1", 0));
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("uniform:2", 0));
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("uniform", 1.5));
        assertEquals("zipf:0.99", Workload.parse("ZIPF", 0).toString());
    }
}
