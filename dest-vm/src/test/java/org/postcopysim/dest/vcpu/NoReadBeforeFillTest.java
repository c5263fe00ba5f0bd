package org.postcopysim.dest.vcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fault.NetworkPageProvider;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.TestPages;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.metrics.LatencyRecorder;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.threads.RunControl;
import org.postcopysim.dest.threads.ThreadedDest;
import org.postcopysim.dest.threads.VcpuRunner;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.guest.Workload;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;
import org.postcopysim.time.NanoClock;

/**
 * The fetcher's central invariant, checked the way uffd-stress does: several vCPU threads hammer a
 * few pages while a "network" thread answers their requests and a background thread pushes every
 * page (so copies race), and every single guest read is compared with the source's contents.
 * A negative control shows the same oracle catches an installer that clears the bit first.
 */
class NoReadBeforeFillTest {
    static final long SEED = 0x5EED;
    static final int VCPUS = 4;
    static final int PAGES = 8;

    /** How one arriving copy is made present. */
    interface InstallStrategy {
        void install(Harness h, long gfn, ByteBuf page, int crc);
    }

    /** The production installer: fill, verify, then clear. */
    static final InstallStrategy CORRECT = (h, gfn, page, crc) ->
            h.model.installer().install(h.context(), gfn, crc, TestPages.bytes(page));

    /** A broken installer: clears the bit, then fills (a vCPU can read the zero page in between). */
    static final InstallStrategy CLEAR_THEN_FILL = (h, gfn, page, crc) -> {
        Memslot slot = h.model.vm().memslotOfGfn(gfn);
        long pageIndex = slot.pageIndexOf(gfn);
        if (!slot.userfaultBitmap().clear(slot.indexOf(gfn))) return;
        for (int i = 0; i < 2000; i++) Thread.onSpinWait(); // widen the window a little
        java.nio.ByteBuffer dst = h.memory.newView().page(pageIndex);
        page.getBytes(page.readerIndex(), dst);
        h.model.fetcher().onInstalled(pageIndex);
        h.threaded.waiters().wake(pageIndex);
        h.present.countDown();
    };

    /**
     * The destination under test, assembled as the migration assembles it, over two memslots at
     * gapped bases, so that a mix-up of gfn, bit and dense page index cannot pass.
     */
    static final class Harness implements DestModel.Hooks {
        final GuestLayout layout = GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0x100, PAGES / 2, 0),
                new GuestLayout.Slot(1, 0x2000, PAGES / 2, 0)));
        final GuestMemory memory = GuestMemory.allocate(PAGES);
        final RunControl control = new RunControl();
        final BlockingQueue<Long> requests = new ArrayBlockingQueue<>(1024);
        final CountDownLatch present = new CountDownLatch(PAGES);
        final ThreadedDest threaded = new ThreadedDest(VCPUS, () -> { });
        final DestModel model = DestModel.build(layout, FaultOptions.DEFAULT, VCPUS, true, System.nanoTime(), this);
        final ThreadLocal<PageInstaller.Context> contexts = ThreadLocal.withInitial(() -> new PageInstaller.Context(memory));

        Harness() {
            model.useNetwork(3, (id, gfn, urgent) -> requests.add(gfn));
        }

        @Override
        public UffdCopier uffdCopier(UffdPaths paths) {
            return threaded.uffdCopier(paths);
        }

        @Override
        public void onInstalled(long pageIndex, long gfn, boolean last) {
            threaded.onInstalled(pageIndex, gfn, last);
            present.countDown();
        }

        PageInstaller.Context context() {
            return contexts.get();
        }
    }

    /** Runs one round; returns the failure text (null when every read was correct). */
    static String round(InstallStrategy strategy, long roundSeed) throws InterruptedException {
        Harness h = new Harness();
        List<Thread> threads = new ArrayList<>();
        try {
            NetworkPageProvider provider = new NetworkPageProvider(h.model.fetcher());
            for (int v = 0; v < VCPUS; v++) {
                h.model.addVcpu(v, h.memory, Workload.parse("uniform", 0.3), roundSeed, SEED, 0, provider,
                        LatencyRecorder.NONE);
            }
            // Even vCPUs park at once, odd ones spin a little first: both waits are exercised.
            h.threaded.createVcpus(h.model, () -> new PageInstaller.Context(h.memory), h.control, NanoClock.SYSTEM,
                    v -> v % 2 == 0 ? 0 : 20_000, 0, v -> 0);
            List<VcpuRunner> runners = h.threaded.runners();
            Thread network = new Thread(() -> {
                try {
                    while (h.present.getCount() > 0 && !h.control.failed()) {
                        Long gfn = h.requests.poll(1, TimeUnit.MILLISECONDS);
                        if (gfn == null) continue;
                        deliver(h, strategy, gfn);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "network");
            Thread background = new Thread(() -> {
                SplitMix64 rng = new SplitMix64(roundSeed);
                for (int i = 0; i < PAGES * 3 && !h.control.failed(); i++) {
                    for (int spin = 0; spin < 5000; spin++) Thread.onSpinWait();
                    deliver(h, strategy, h.layout.gfnOfPageIndex(rng.nextLong(PAGES)));
                }
                for (long p = 0; p < PAGES; p++) deliver(h, strategy, h.layout.gfnOfPageIndex(p));
            }, "background");
            threads.add(network);
            threads.add(background);
            h.threaded.startVcpus();
            network.start();
            background.start();
            boolean allPresent = h.present.await(30, TimeUnit.SECONDS);
            background.join(30_000);
            // Let the vCPUs run over present memory for a while too.
            for (VcpuRunner r : runners) {
                long until = System.nanoTime() + 50_000_000;
                while (r.counters().accesses < 2_000 && System.nanoTime() < until && !h.control.failed()) Thread.onSpinWait();
            }
            h.threaded.stop();
            network.join(10_000);
            if (h.control.failed()) return h.control.failureText();
            assertTrue(allPresent, "every page arrived");
            long reads = runners.stream().mapToLong(r -> r.counters().reads).sum();
            assertTrue(reads > 0, "the vCPUs read");
            // Memory equals the source's once the guest writes are undone (a lost write shows here).
            for (long p = 0; p < PAGES; p++) {
                long gfn = h.layout.gfnOfPageIndex(p);
                long counter = h.memory.readWord(p, PageContents.COUNTER_WORD) - h.model.writeLog().writes(p);
                if (counter != PageContents.expectedWord(SEED, gfn, PageContents.COUNTER_WORD)) {
                    return "page " + p + " lost guest writes: its counter word is off by "
                            + (counter - PageContents.expectedWord(SEED, gfn, PageContents.COUNTER_WORD));
                }
                for (int w = 1; w < PageContents.WORDS_PER_PAGE; w++) {
                    if (h.memory.readWord(p, w) != PageContents.expectedWord(SEED, gfn, w)) {
                        return "page " + p + " word " + w + " differs from the source";
                    }
                }
            }
            return null;
        } finally {
            h.threaded.stop();
            for (Thread t : threads) t.join(10_000);
            h.memory.close();
        }
    }

    static void deliver(Harness h, InstallStrategy strategy, long gfn) {
        ByteBuf page = TestPages.sourcePage(SEED, gfn);
        try {
            strategy.install(h, gfn, page, TestPages.crc(page));
        } finally {
            page.release();
        }
    }

    @Test
    void noVcpuEverReadsAPageBeforeItsContentsAreWritten() throws InterruptedException {
        for (int round = 0; round < 60; round++) {
            assertNull(round(CORRECT, round), "round " + round);
        }
    }

    @Test
    void theOracleCatchesAnInstallerThatClearsTheBitBeforeFilling() throws InterruptedException {
        String failure = null;
        for (int round = 0; round < 200 && failure == null; round++) {
            failure = round(CLEAR_THEN_FILL, round);
        }
        // Caught either as a vCPU read of a page not yet filled, or as a guest write the late fill overwrote.
        assertTrue(failure != null && (failure.contains("before its contents were in place")
                || failure.contains("lost guest writes")), "a clear-then-fill installer must be caught; got " + failure);
    }
}
