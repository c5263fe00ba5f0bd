package org.postcopysim.source.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * Whatever the order, the sent bitmap's invariant holds: every page is sent exactly once, by
 * the demand path or the background, and the background claims nothing only when every page is
 * sent; after a recovery, every page the destination does not hold is sent once more.
 */
class OrderSendsEveryPageOnceTest {
    static final List<BackgroundOrder> ORDERS = List.of(BackgroundOrder.LINEAR, BackgroundOrder.FOLLOW_FAULTS,
            BackgroundOrder.prepage(1), BackgroundOrder.prepage(64), BackgroundOrder.prepage(5000),
            BackgroundOrder.GROW_CHUNKS);
    static final int PAGES = 3001;

    /**
     * Demand requests (1 to 3 random pages, repeats included) and background claims (batches of
     * 1, 7 and 64) interleaved at random from {@code seed}, with a recovery half-way when
     * {@code recover}.
     */
    static void sendsEveryPageOnce(SourcePolicy p, long seed, boolean recover) {
        int pages = p.sent().pageCount();
        int[] copies = new int[pages];
        SplittableRandom rnd = new SplittableRandom(seed);
        BackgroundPolicy[] streams = {p.background(1, 0, 1, 0), p.background(7, 0, 1, 0), p.background(64, 0, 1, 0)};
        int[] out = new int[64];
        int[] request = new int[3];
        boolean recovered = !recover;
        while (true) {
            if (rnd.nextInt(3) == 0) {
                int k = 1 + rnd.nextInt(3);
                int firsts = 0;
                for (int i = 0; i < k; i++) {
                    request[i] = rnd.nextInt(pages);
                    boolean earlierInRequest = false;
                    for (int j = 0; j < i; j++) earlierInRequest |= request[j] == request[i];
                    if (!p.sent().isSent(request[i]) && !earlierInRequest) {
                        copies[request[i]]++;
                        firsts++;
                    }
                }
                assertEquals(k - firsts, p.onDemand(request, k), "duplicates: requested pages sent before");
                continue;
            }
            if (!recovered && p.sent().unsent() < pages / 2) {
                long[] held = new long[(pages + 63) / 64];
                int kept = 0;
                for (int q = 0; q < pages; q++) {
                    if (copies[q] > 0 && rnd.nextBoolean()) {
                        held[q >>> 6] |= 1L << q;
                        kept++;
                    } else {
                        copies[q] = 0; // lost with the link: to be sent again
                    }
                }
                assertEquals(pages - kept, p.resume(held), "every page not held is unsent again");
                recovered = true;
                continue;
            }
            int n = streams[rnd.nextInt(streams.length)].claim(out);
            if (n == 0) {
                assertEquals(0, p.sent().unsent(), "the background claimed nothing while pages were unsent");
                break;
            }
            for (int i = 0; i < n; i++) copies[out[i]]++;
        }
        for (int q = 0; q < pages; q++) assertEquals(1, copies[q], "page " + q + " sent " + copies[q] + " times");
    }

    /** {@link #sendsEveryPageOnce} for every order and seeds 1 to {@code seeds}, the failure naming both. */
    private static void everyOrder(int seeds, boolean recover) {
        for (BackgroundOrder order : ORDERS) {
            for (long seed = 1; seed <= seeds; seed++) {
                try {
                    sendsEveryPageOnce(new SourcePolicy(PAGES, order), seed, recover);
                } catch (AssertionFailedError e) {
                    throw new AssertionFailedError(order + ", seed " + seed + ": " + e.getMessage(), e);
                }
            }
        }
    }

    @Test
    void everyOrderSendsEveryPageExactlyOnce() {
        everyOrder(20, false);
    }

    @Test
    void everyOrderSendsEveryPageNotHeldOnceMoreAfterARecovery() {
        everyOrder(10, true);
    }

    @Test
    void negativeControlAWindowThatSkipsTheBitmapIsCaughtSendingAPageTwice() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> sendsEveryPageOnce(
                new SourcePolicy(PAGES, BackgroundOrder.prepage(64), OrderBug.PREPAGE_SKIPS_THE_BITMAP.bit()), 1, false));
        assertTrue(e.getMessage().contains("times"), e.getMessage());
    }

    @Test
    void negativeControlChunksThatDoNotWrapAreCaughtLeavingPagesUnsent() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> sendsEveryPageOnce(
                new SourcePolicy(PAGES, BackgroundOrder.GROW_CHUNKS, OrderBug.CHUNKS_DO_NOT_WRAP.bit()), 1, false));
        assertTrue(e.getMessage().contains("claimed nothing while pages were unsent"), e.getMessage());
    }

    /** A demand thread and a background thread at once, as the real source's two event loops. */
    static void sendsEveryPageOnceConcurrently(SourcePolicy p, long seed) throws InterruptedException {
        int pages = p.sent().pageCount();
        AtomicIntegerArray copies = new AtomicIntegerArray(pages);
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch go = new CountDownLatch(1);
        AssertionError[] failure = new AssertionError[1];
        Thread demand = new Thread(() -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            int[] one = new int[1];
            awaitQuietly(go);
            while (!done.get()) {
                one[0] = rnd.nextInt(pages);
                if (p.onDemand(one, 1) == 0) copies.incrementAndGet(one[0]);
            }
        });
        Thread background = new Thread(() -> {
            BackgroundPolicy bg = p.background(64, 0, 1, 0);
            int[] out = new int[64];
            awaitQuietly(go);
            for (int n; (n = bg.claim(out)) > 0; ) for (int i = 0; i < n; i++) copies.incrementAndGet(out[i]);
            // The bits, not the count: the demand thread sets a page's bit before it decrements the count,
            // so the count can still say 1 unsent for an instant after the last bit was set.
            int unsentPage = p.sent().firstUnsentFrom(0);
            if (unsentPage >= 0) failure[0] = new AssertionError("claimed nothing with page " + unsentPage + " unsent");
            done.set(true);
        });
        demand.start();
        background.start();
        go.countDown();
        background.join(60_000);
        done.set(true);
        demand.join(60_000);
        if (failure[0] != null) throw failure[0];
        for (int q = 0; q < pages; q++) assertEquals(1, copies.get(q), "page " + q + " sent " + copies.get(q) + " times");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void everyOrderSendsEveryPageOnceWithDemandAndBackgroundOnTwoThreads() throws InterruptedException {
        for (BackgroundOrder order : ORDERS) sendsEveryPageOnceConcurrently(new SourcePolicy(200_003, order), 42);
    }
}
