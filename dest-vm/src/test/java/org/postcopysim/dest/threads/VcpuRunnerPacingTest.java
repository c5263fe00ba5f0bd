package org.postcopysim.dest.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.TestPages;
import org.postcopysim.dest.metrics.LatencyRecorder;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.guest.Workload;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.time.NanoClock;

/**
 * A vCPU's pacing ({@code --access-rate}) on a clock the test moves: one thread, every page
 * present (no fault ever), a rate of one pacing batch per second of the test's clock. The runner
 * may wake whenever it likes (the test unparks it on purpose, as a spurious wake-up or an
 * installer's stray unpark would); only the clock decides when the next batch runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VcpuRunnerPacingTest {
    private static final long SEED = 5;
    private static final long BATCH = VcpuRunner.PACING_BATCH;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    /** The test's clock: stands still until moved, and counts how often it is read. */
    static final class TestClock implements NanoClock {
        final AtomicLong now = new AtomicLong(1_000 * SECOND);
        final AtomicLong reads = new AtomicLong();

        @Override
        public long nanoTime() {
            reads.incrementAndGet();
            return now.get();
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail(what + ": not within 20 s");
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Whether {@code t} is parked by {@code runner}'s pacing. */
    private static boolean pacing(Thread t, VcpuRunner runner) {
        return t.getState() == Thread.State.TIMED_WAITING && LockSupport.getBlocker(t) == runner;
    }

    /** Wakes the runner and waits until it has looked at the clock and parked again. */
    private static void kick(Thread t, VcpuRunner runner, TestClock clock) {
        long reads = clock.reads.get();
        LockSupport.unpark(t);
        await("the vCPU read the clock after the wake-up", () -> clock.reads.get() > reads);
        await("the vCPU parked again", () -> pacing(t, runner));
    }

    @Test
    void theClockAloneDecidesWhenTheNextBatchRunsAndALateVcpuDoesNotCatchUp() throws Exception {
        GuestLayout layout = GuestLayout.contiguous(2L << 20, 1);
        try (GuestMemory memory = GuestMemory.allocate(layout.totalPages())) {
            ThreadedDest threaded = new ThreadedDest(1, () -> { });
            DestModel model = DestModel.build(layout, FaultOptions.DEFAULT, 1, true, 0, new DestModel.Hooks() {
                @Override
                public UffdCopier uffdCopier(UffdPaths paths) {
                    return threaded.uffdCopier(paths);
                }

                @Override
                public void onInstalled(long pageIndex, long gfn, boolean last) {
                    threaded.onInstalled(pageIndex, gfn, last);
                }
            });
            // Every page present and correct, so the vCPU never exits: only pacing stops it.
            PageInstaller.Context ctx = new PageInstaller.Context(memory);
            for (long p = 0; p < layout.totalPages(); p++) {
                long gfn = layout.gfnOfPageIndex(p);
                ByteBuf page = TestPages.sourcePage(SEED, gfn);
                try {
                    assertEquals(PageInstaller.INSTALLED, model.installer().install(ctx, gfn, TestPages.crc(page), TestPages.bytes(page)));
                } finally {
                    page.release();
                }
            }
            model.addVcpu(0, memory, Workload.parse("uniform", 0.2), 1, SEED, 0,
                    (slot, bit, gfn, pageIndex, c) -> { throw new AssertionError("no page is missing"); }, LatencyRecorder.NONE);
            RunControl control = new RunControl();
            TestClock clock = new TestClock();
            threaded.createVcpus(model, () -> ctx, control, clock, v -> 0, BATCH, v -> 0); // one batch per second
            VcpuRunner runner = threaded.runners().get(0);
            Thread t = new Thread(runner, "vcpu-0");
            t.setDaemon(true);
            t.start();
            try {
                await("the first batch ran and the vCPU parked", () -> pacing(t, runner));
                for (int i = 0; i < 3; i++) kick(t, runner, clock); // early wake-ups: no batch runs
                clock.now.addAndGet(SECOND);
                kick(t, runner, clock); // the second batch is due
                clock.now.addAndGet(10 * SECOND); // as if the vCPU had been blocked for 10 s
                kick(t, runner, clock); // the third batch is late: it runs, and pacing starts again from now
                for (int i = 0; i < 3; i++) kick(t, runner, clock);
                assertTrue(t.isAlive(), "paced, not finished");
            } finally {
                control.requestStop();
                LockSupport.unpark(t);
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
            assertFalse(t.isAlive(), "the vCPU stopped when asked");
            VcpuCounters c = model.vcpus().get(0).counters();
            assertEquals(0, c.exits, "no page was ever missing");
            assertEquals(0, c.staleReads);
            // One at the start, one a second later, and two after the 10 s jump (the late one, then
            // the next, due at once from the new start): 4 batches, not 1 + 1 + 10 to catch up, and none per wake-up.
            assertEquals(4 * BATCH, c.accesses);
        }
    }
}
