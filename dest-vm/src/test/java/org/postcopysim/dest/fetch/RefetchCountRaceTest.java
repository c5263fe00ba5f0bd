package org.postcopysim.dest.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.uffd.WakeSink;
import org.postcopysim.memory.GuestLayout;

/**
 * A fault racing the install of its page is not a refetch: the real installer makes pages
 * present (and records them arrived) on one thread while another faults on the page being
 * installed, through the real fetcher. Requests that lose the race are allowed (the answer is
 * dropped as a duplicate); counting one as a request for an arrived page is not. Found by a soak
 * run that failed with "1 network requests were sent for pages that had arrived" in
 * exit-on-missing without any host event: the fetcher read presence before the arrival record,
 * so an install between the two reads counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RefetchCountRaceTest {
    /** Rounds at least, and at most (until the faults have raced some installs). */
    private static final int MIN_ROUNDS = 20;
    private static final int MAX_ROUNDS = 2000;

    @Test
    void aFaultRacingTheInstallOfItsPageIsNotCountedAsARefetch() throws Exception {
        GuestLayout layout = GuestLayout.contiguous(64L << 20, 1); // 16 Ki pages
        long races = 0;
        for (int round = 0; round < MAX_ROUNDS && (round < MIN_ROUNDS || races == 0); round++) {
            DestModel model = DestModel.build(layout, FaultOptions.DEFAULT, 1, true, 0, new DestModel.Hooks() {
                @Override
                public UffdCopier uffdCopier(UffdPaths paths) {
                    return pageIndex -> paths.copy(pageIndex, WakeSink.NONE);
                }

                @Override
                public void onInstalled(long pageIndex, long gfn, boolean last) {
                }
            });
            AtomicLong requests = new AtomicLong();
            DemandFetcher fetcher = model.useNetwork(3, (id, gfn, urgent) -> requests.incrementAndGet());
            PageInstaller installer = model.installer();
            Memslot slot = model.vm().memslot(0);
            long pages = layout.totalPages();
            AtomicLong installing = new AtomicLong(-1);
            java.util.concurrent.CountDownLatch faulting = new java.util.concurrent.CountDownLatch(1);
            Thread installs = new Thread(() -> {
                PageInstaller.Context ctx = null; // contents elided
                try {
                    faulting.await(); // both sides running: the installs start under the faults
                } catch (InterruptedException e) {
                    return;
                }
                for (long p = 0; p < pages; p++) {
                    installing.lazySet(p);
                    installer.installElided(ctx, layout.gfnOfPageIndex(p));
                }
            }, "installs");
            installs.start();
            faulting.countDown();
            long next = 0;
            while (next < pages) {
                long p = installing.get();
                if (p < next) {
                    Thread.onSpinWait();
                    continue;
                }
                // Fault on the page being installed right now (it may be present already, or not yet).
                if (fetcher.fault(slot, p, layout.gfnOfPageIndex(p), p) == DemandFetcher.REQUESTED) races++;
                next = p + 1;
            }
            installs.join();
            assertEquals(0, fetcher.refetchedArrivedPages(), "round " + round + ": " + requests.get()
                    + " requests lost the race, none was for a page that had arrived and left");
        }
        assertTrue(races > 0, "the faults raced the installs (" + races + " requests for pages being installed)");
    }
}
