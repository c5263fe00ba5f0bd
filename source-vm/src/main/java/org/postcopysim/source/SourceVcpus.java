package org.postcopysim.source;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.postcopysim.guest.AccessStream;
import org.postcopysim.guest.DirtyLog;
import org.postcopysim.guest.GuestVcpu;
import org.postcopysim.guest.Pacing;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.guest.Workload;
import org.postcopysim.time.NanoClock;
import org.postcopysim.time.ParkUntil;

/**
 * The guest running on the source during precopy: one thread per vCPU ({@code source-vcpu-N}),
 * each running the guest's workload on the source's memory with the destination's own code
 * ({@link GuestVcpu}: the access stream, the read check, the counter write), every write recorded
 * in the {@link DirtyLog}, and paced as the destination's vCPUs are ({@link Pacing}). Every page is
 * in place, so no access faults. {@link #stop} completes once every thread has exited: guest
 * memory is frozen from then on.
 */
final class SourceVcpus {
    /** Salt of the source vCPUs' stream seeds, so they do not replay the destination's accesses. */
    static final long SOURCE_STREAM_SALT = 0x5052_4543_4F50_59L; // "PRECOPY"

    private final List<Thread> threads = new ArrayList<>();
    private final List<Runner> runners = new ArrayList<>();
    private final NanoClock clock;
    private final long accessesPerSec;
    private final Consumer<String> onFailure;
    private final AtomicInteger running = new AtomicInteger();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final BooleanSupplier stopRequested = this::stopRequested;
    private volatile boolean stop;

    /**
     * @param seed      seed of the workload (the destination's); each vCPU's stream is forked from it
     * @param onFailure told why when a vCPU stops on a read of a word the source never had
     */
    SourceVcpus(SourceGuest guest, DirtyLog dirty, int vcpus, Workload workload, long accessesPerSec, long seed,
                NanoClock clock, Consumer<String> onFailure) {
        this.clock = clock;
        this.accessesPerSec = accessesPerSec;
        this.onFailure = onFailure;
        long pages = guest.totalPages();
        for (int v = 0; v < vcpus; v++) {
            long startOffset = SwitchoverFrames.vcpu(guest.seed(), v).getRip() >>> org.postcopysim.memory.GuestLayout.PAGE_SHIFT;
            AccessStream stream = new AccessStream(workload, 0, pages, SplitMix64.fork(seed ^ SOURCE_STREAM_SALT, v), startOffset);
            Runner r = new Runner(v, new GuestVcpu(guest.layout(), guest.memory(), dirty, stream, guest.seed()));
            Thread t = new Thread(r, "source-vcpu-" + v);
            t.setDaemon(true);
            runners.add(r);
            threads.add(t);
        }
    }

    /** Starts every vCPU. */
    void start() {
        running.set(threads.size());
        for (Thread t : threads) t.start();
    }

    /** Stops every vCPU; completes once the last one has exited (at once when none ran). Idempotent. */
    CompletableFuture<Void> stop() {
        stop = true;
        for (Thread t : threads) LockSupport.unpark(t);
        if (running.get() == 0) stopped.complete(null);
        return stopped;
    }

    private boolean stopRequested() {
        return stop;
    }

    /** Guest accesses vCPU {@code v} made (read once {@link #stop} completed). */
    long accesses(int v) {
        return runners.get(v).accesses;
    }

    /** Guest writes of every vCPU (read once {@link #stop} completed). */
    long writes() {
        long sum = 0;
        for (Runner r : runners) sum += r.writes;
        return sum;
    }

    private final class Runner implements Runnable {
        private final int id;
        private final GuestVcpu vcpu;
        /** Written by this vCPU's thread only, read after it exited. */
        long accesses;
        long writes;

        Runner(int id, GuestVcpu vcpu) {
            this.id = id;
            this.vcpu = vcpu;
        }

        @Override
        public void run() {
            try {
                long now = clock.nanoTime();
                Pacing pacing = new Pacing(accessesPerSec, now);
                while (!stop) {
                    for (int i = 0; i < Pacing.BATCH_ACCESSES; i++) {
                        vcpu.next();
                        int r = vcpu.complete();
                        accesses++;
                        if (r == GuestVcpu.WROTE) {
                            writes++;
                        } else if (r == GuestVcpu.READ_STALE) {
                            onFailure.accept(String.format("source vcpu-%d read gfn 0x%x word %d and saw 0x%x, not the "
                                    + "generated 0x%x", id, vcpu.gfn(), vcpu.word(), vcpu.seenWord(), vcpu.expectedWord()));
                            return;
                        }
                    }
                    if (pacing.paced()) {
                        now = clock.nanoTime();
                        if (!ParkUntil.until(clock, pacing.nextBatchDueNs(now), now, stopRequested, this)) return;
                    }
                }
            } finally {
                if (running.decrementAndGet() == 0 && stop) stopped.complete(null);
            }
        }
    }
}
