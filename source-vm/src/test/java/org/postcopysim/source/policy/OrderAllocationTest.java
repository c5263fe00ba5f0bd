package org.postcopysim.source.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every background order allocates nothing once built: a whole migration's worth of demand
 * requests and background claims leaves the thread's allocation counter where it was (a few
 * hundred bytes of slack for the counter itself). The control shows the counter sees one small
 * array per page.
 */
class OrderAllocationTest {
    private static final int PAGES = 1 << 16;

    /** Bytes the calling thread allocated running {@code work}. */
    private static long allocatedBy(Runnable work) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(tid);
        work.run();
        return mx.getThreadAllocatedBytes(tid) - before;
    }

    /** Sends every page: a demand request every 8th step, background claims of 64 otherwise. */
    private static void migrate(SourcePolicy p, BackgroundPolicy bg, int[] out, int[] one, SplittableRandom rnd) {
        for (int step = 0; ; step++) {
            if ((step & 7) == 0) {
                one[0] = rnd.nextInt(PAGES);
                p.onDemand(one, 1);
            } else if (bg.claim(out) == 0) {
                return;
            }
        }
    }

    @Test
    void noOrderAllocatesPerPage() {
        for (BackgroundOrder order : OrderSendsEveryPageOnceTest.ORDERS) {
            for (int round = 0; round < 3; round++) { // the first rounds warm the JIT up
                SourcePolicy p = new SourcePolicy(PAGES, order);
                BackgroundPolicy bg = p.background(64, 0, 1, 0);
                int[] out = new int[64];
                int[] one = new int[1];
                SplittableRandom rnd = new SplittableRandom(round);
                long bytes = allocatedBy(() -> migrate(p, bg, out, one, rnd));
                if (round == 2) assertTrue(bytes < 1024, order + ": " + bytes + " bytes allocated sending " + PAGES + " pages");
            }
        }
    }

    @Test
    void controlTheCounterSeesAnAllocationPerPage() {
        int[][] keep = new int[1][];
        long bytes = allocatedBy(() -> {
            for (int i = 0; i < PAGES; i++) keep[0] = new int[] {i};
        });
        assertTrue(bytes >= 16L * PAGES, "the counter missed " + PAGES + " arrays: " + bytes + " bytes");
    }
}
