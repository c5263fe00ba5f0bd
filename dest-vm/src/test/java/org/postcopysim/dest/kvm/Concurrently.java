package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/** Runs a body on named threads released together, and awaits them with a bound (no sleeps). */
final class Concurrently {
    static final long TIMEOUT_SECONDS = 30;

    private Concurrently() {
    }

    static void run(String name, int threads, IntConsumer body) throws InterruptedException {
        run(name, threads, body, () -> { });
    }

    /** Starts {@code threads} threads on {@code body(threadIndex)}, runs {@code meanwhile} on the caller, awaits all. */
    static void run(String name, int threads, IntConsumer body, Runnable meanwhile) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    body.accept(index);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }, name + "-" + t);
            thread.setDaemon(true);
            thread.start();
        }
        start.countDown();
        meanwhile.run();
        assertTrue(done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), name + " threads did not finish in time");
        if (failure.get() != null) throw new AssertionError(name + " thread failed", failure.get());
    }
}
