package org.postcopysim.kernel;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.dest.HostBackend;
import org.postcopysim.dest.MigrationSummary;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.threads.UffdRunner;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's guest memory on the kernel backend: an anonymous mapping ({@link GuestRegion},
 * MISSING registration), the {@link GuestMemory} view of it that the model's reads, writes and
 * the completion digest use (only ever on pages the model has mapped, which the kernel has: the
 * model maps a page after its UFFDIO_COPY), the staging page of each installing thread, and the
 * {@link KernelUffdRunner} with its userfaultfds.
 */
final class KernelGuest implements HostBackend.Guest {
    private static final Logger log = LoggerFactory.getLogger(KernelGuest.class);
    static final int PAGE = GuestLayout.PAGE_SIZE_BYTES;

    private final GuestLayout layout;
    private final GuestRegion region;
    private final GuestMemory memory;
    private final List<GuestRegion> stagingPages = new ArrayList<>();
    final AtomicLong copies = new AtomicLong();
    final AtomicLong eexist = new AtomicLong();
    final AtomicLong copyRetries = new AtomicLong();
    private volatile KernelUffdRunner runner;
    private boolean closed;

    KernelGuest(GuestLayout layout) throws KernelUnavailable {
        this.layout = layout;
        this.region = GuestRegion.map(layout.totalPages(), Uffd.Registration.MISSING);
        this.memory = GuestMemory.over(GuestRegion.chunks(region.address(), region.bytes()), layout.totalPages(),
                () -> { }); // the region is unmapped by close(), once every thread touching it has ended
    }

    GuestRegion region() {
        return region;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public synchronized PageInstaller.Context newContext() {
        if (closed) throw new IllegalStateException("guest memory is closed");
        try {
            GuestRegion page = GuestRegion.map(1, Uffd.Registration.MISSING); // page aligned, as UFFDIO_COPY's source must be
            stagingPages.add(page);
            return new PageInstaller.Context(new Staging(page));
        } catch (KernelUnavailable e) {
            throw new IllegalStateException("cannot map a staging page: " + e.getMessage(), e);
        }
    }

    @Override
    public UffdRunner uffdRunner(UffdPaths paths, int waiters) {
        if (runner != null) throw new IllegalStateException("the uffd runner is made once");
        try {
            runner = new KernelUffdRunner(paths, waiters, region, layout);
        } catch (KernelUnavailable e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return runner;
    }

    @Override
    public MigrationSummary.UffdStats uffdStats() {
        KernelUffdRunner r = runner;
        if (r == null) return null;
        long faults = r.faultsRead();
        // The kernel does not say how many sleepers a wake walked past: that field is null.
        return new MigrationSummary.UffdStats(faults, r.wakes(), null, faults, eexist.get(), r.pollWakeups());
    }

    /** UFFDIO_COPY calls that placed a page (test and log use). */
    long copies() {
        return copies.get();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        KernelUffdRunner r = runner;
        boolean threadsEnded = r == null || r.threadsEnded();
        if (r != null) r.close(threadsEnded);
        memory.close();
        if (!threadsEnded) {
            // Unmapping memory a live thread still touches would crash the JVM: leave it mapped.
            log.error("a vCPU or uffd reader thread did not end: guest memory stays mapped until the process exits");
            return;
        }
        for (GuestRegion p : stagingPages) p.close();
        region.close();
        log.info("kernel backend: {} pages copied in by UFFDIO_COPY, {} EEXIST, {} retried (EAGAIN)", copies.get(),
                eexist.get(), copyRetries.get());
    }

    /** One installing thread's staging page and ioctl scratch memory. */
    private final class Staging implements PageInstaller.Staging {
        private final long address;
        private final ByteBuffer page;
        private final Scratch scratch = new Scratch(0);
        private String failure;

        Staging(GuestRegion stagingPage) {
            this.address = stagingPage.address();
            this.page = GuestRegion.view(address, 0, PAGE);
        }

        @Override
        public ByteBuffer page() {
            return page.clear();
        }

        @Override
        public int place(long pageIndex) {
            KernelUffdRunner r = runner;
            if (r == null) {
                failure = "no userfaultfd is registered over guest memory";
                return FAILED;
            }
            Uffd uffd = r.uffdOfPage(pageIndex);
            if (uffd == null) {
                failure = "page " + pageIndex + " lies in no registered userfaultfd range";
                return FAILED;
            }
            long dst = region.address() + pageIndex * PAGE;
            while (true) {
                // DONTWAKE: the sleepers are woken once the model has the page mapped too (KernelUffdRunner.copy).
                int res = uffd.copy(dst, address, PAGE, true, scratch);
                if (res == 0) {
                    copies.incrementAndGet();
                    return PLACED;
                }
                if (res == -Libc.EEXIST) {
                    eexist.incrementAndGet(); // mapped already: tolerated, and nothing overwritten
                    return WAS_THERE;
                }
                if (res == -Libc.EAGAIN) {
                    copyRetries.incrementAndGet(); // the mm changed under the copy: retry
                    continue;
                }
                failure = "UFFDIO_COPY failed: " + Libc.errnoName(-res)
                        + (r.unregistered() ? " (guest memory was unregistered: the run had failed)" : "");
                return FAILED;
            }
        }

        @Override
        public String placeFailure() {
            return failure;
        }
    }
}
