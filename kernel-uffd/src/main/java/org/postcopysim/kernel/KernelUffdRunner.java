package org.postcopysim.kernel;

import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.threads.RunControl;
import org.postcopysim.dest.threads.UffdRunner;
import org.postcopysim.dest.uffd.UffdMsg;
import org.postcopysim.dest.uffd.Userfaultfd;
import org.postcopysim.memory.GuestLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model's userfaultfd paths ({@link UffdPaths}) run on real userfaultfds: one Linux uffd per
 * uffd of the model, registered (MISSING) over the same range of guest memory.
 * <ul>
 *   <li>{@link #sleepOnFault}: the vCPU thread reads a word of the page through native code
 *       ({@link Pointer#getLong}), so that while the page is missing it sleeps in the kernel's
 *       wait queue, "in native" for the JVM (it holds up no safepoint);</li>
 *   <li>readers ({@link UffdReader}, {@code uffd-reader-U-R}) poll and read each uffd and resolve
 *       each fault through the model's reader protocol ({@link UffdPaths#resolve}): a demand
 *       request, a join of a request in flight, or a {@code UFFDIO_WAKE} of a page that is
 *       present already;</li>
 *   <li>{@link #copy}, the make-present step of an install (after the staged page passed its
 *       CRC32C check and {@code UFFDIO_COPY} in DONTWAKE mode put it in place): the model maps the
 *       page, then {@code UFFDIO_WAKE} wakes its sleepers, which find it mapped in the kernel and
 *       in the model alike.</li>
 * </ul>
 * A reader that dies fails the run and unregisters the memory, which wakes every sleeper (they
 * refault without a uffd onto a zero page, see the stop, and leave); {@link #stop} unregisters
 * too, so no thread sleeps in the kernel after a run, whatever ended it.
 */
final class KernelUffdRunner implements UffdRunner {
    private static final Logger log = LoggerFactory.getLogger(KernelUffdRunner.class);
    private static final int PAGE = GuestLayout.PAGE_SIZE_BYTES;
    /** Spins before a vCPU that found the page in the kernel but not yet in the model parks briefly. */
    private static final int SPINS_BEFORE_PARK = 1_000;

    private final UffdPaths paths;
    private final GuestLayout layout;
    private final long base;
    private final long pages;
    private final Pointer memory;
    private final Uffd[] uffds;
    private final long[] rangeStart;
    private final long[] rangeBytes;
    private final Thread[] waiterThreads;
    private final List<UffdReader> readers = new ArrayList<>();
    private final List<Thread> readerThreads = new ArrayList<>();
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(() -> new Scratch(0));
    private final AtomicLong wakes = new AtomicLong();
    private final Object unregisterLock = new Object();
    private volatile boolean unregistered;
    private volatile boolean stopping;
    private volatile RunControl control;

    KernelUffdRunner(UffdPaths paths, int waiters, GuestRegion region, GuestLayout layout) throws KernelUnavailable {
        this.paths = paths;
        this.layout = layout;
        this.base = region.address();
        this.pages = region.pages();
        this.memory = new Pointer(base);
        this.waiterThreads = new Thread[waiters];
        int n = paths.uffds().count();
        uffds = new Uffd[n];
        rangeStart = new long[n];
        rangeBytes = new long[n];
        try {
            for (int u = 0; u < n; u++) {
                Userfaultfd model = paths.uffds().get(u);
                uffds[u] = Uffd.open(Uffd.Registration.MISSING);
                rangeStart[u] = base + model.firstPage() * PAGE;
                rangeBytes[u] = model.pages() * PAGE;
                uffds[u].register(rangeStart[u], rangeBytes[u], Uffd.Registration.MISSING);
            }
        } catch (KernelUnavailable | RuntimeException e) {
            for (Uffd u : uffds) if (u != null) u.close();
            throw e;
        }
    }

    /** The kernel uffd over dense page {@code pageIndex}, or null. */
    Uffd uffdOfPage(long pageIndex) {
        int u = paths.uffdOf(pageIndex);
        return u < 0 ? null : uffds[u];
    }

    @Override
    public void bindWaiter(int id, Thread thread) {
        waiterThreads[id] = thread;
    }

    /**
     * get_user_pages on a page the model found unmapped: a native read of the page. While the page
     * is missing the kernel puts the thread in the uffd's wait queue until a UFFDIO_WAKE (or the
     * range's unregistration) lets its fault run again. Returns once the model has the page mapped
     * too, or false when the run stopped.
     */
    @Override
    public boolean sleepOnFault(int u, int waiter, long pageIndex, boolean write, RunControl control) {
        if (paths.hostHasPage(pageIndex)) return true; // mapped since the access: retry it
        // A read even for a write access: the fault is taken the same way, and a native write would
        // change the guest's contents behind the model. UFFDIO_COPY maps the page writable.
        memory.getLong(pageIndex * PAGE);
        int spins = 0;
        while (!paths.hostHasPage(pageIndex)) {
            // The kernel has the page (or the range was unregistered): the model maps it right after
            // the copy that put it there, and the wake comes after that.
            if (control.stopRequested()) return false;
            if (++spins < SPINS_BEFORE_PARK) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 10_000);
        }
        return true;
    }

    /**
     * The make-present step of an install: the staged page is in guest memory already (its
     * UFFDIO_COPY, DONTWAKE). The model maps it, under the model uffd's lock, then UFFDIO_WAKE
     * wakes the threads asleep on it. Returns false when the model had it mapped (EEXIST).
     */
    @Override
    public boolean copy(long pageIndex) {
        int u = paths.uffdOf(pageIndex);
        boolean fresh;
        if (u < 0) {
            fresh = paths.copyDontWake(pageIndex);
        } else {
            synchronized (paths.uffds().get(u)) {
                fresh = paths.copyDontWake(pageIndex);
            }
            wake(uffds[u], pageIndex, scratch.get());
        }
        return fresh;
    }

    private void wake(Uffd uffd, long pageIndex, Scratch s) {
        int r = uffd.wake(base + pageIndex * PAGE, PAGE, s);
        if (r == 0) {
            wakes.incrementAndGet();
        } else if (!unregistered) {
            fail("UFFDIO_WAKE of page " + pageIndex + " failed: " + Libc.errnoName(-r)
                    + "; the memory was unregistered to wake the threads asleep in the kernel");
        }
    }

    @Override
    public void startReaders(PageProvider provider, Supplier<PageInstaller.Context> contexts, RunControl control) {
        this.control = control;
        int perUffd = paths.readersPerUffd();
        for (int u = 0; u < uffds.length; u++) {
            for (int r = 0; r < perUffd; r++) {
                String name = "uffd-reader-" + u + "-" + r;
                UffdReader reader = new UffdReader(name, uffds[u], resolver(provider, contexts.get(), control),
                        this::readerDied);
                Thread t = new Thread(reader, name);
                t.setDaemon(true);
                readers.add(reader);
                readerThreads.add(t);
            }
        }
        for (Thread t : readerThreads) t.start();
    }

    /** One reader's resolver: its own message and install context. */
    private UffdReader.Resolver resolver(PageProvider provider, PageInstaller.Context ctx, RunControl control) {
        UffdMsg msg = new UffdMsg();
        return (uffd, faultAddress, flags, s) -> {
            long pageIndex = (faultAddress - base) / PAGE;
            if (faultAddress < base || pageIndex >= pages) return -Libc.EINVAL;
            msg.set(-1, pageIndex, layout.gfnOfPageIndex(pageIndex), flags & UffdMsg.FLAG_WRITE);
            switch (paths.resolve(msg, provider, ctx)) {
                case UffdPaths.NEEDS_WAKE:
                    wake(uffd, pageIndex, s); // present already: its sleepers re-run their fault
                    return 0;
                case UffdPaths.FAILED:
                    control.fail(String.format("uffd reader could not resolve the fault on gfn 0x%x", msg.gfn()));
                    return -Libc.EINVAL;
                default:
                    return 0; // requested, or joined a request in flight: the install wakes it
            }
        };
    }

    private void readerDied(String reader, String why) {
        if (stopping) return;
        fail("uffd reader " + reader + " died: " + why + "; its faults could not be resolved, so the run stopped and "
                + "guest memory was unregistered to wake the vCPU threads asleep in the kernel");
    }

    private void fail(String why) {
        RunControl c = control;
        if (c != null) c.fail(why);
        log.error(why);
        unregisterAll();
    }

    /** UFFDIO_UNREGISTER of every range: threads asleep in the kernel wake and refault without a uffd. Idempotent. */
    void unregisterAll() {
        synchronized (unregisterLock) {
            if (unregistered) return;
            unregistered = true;
            Scratch s = new Scratch(0);
            for (int u = 0; u < uffds.length; u++) {
                int r = uffds[u].unregister(rangeStart[u], rangeBytes[u], s);
                if (r != 0) log.warn("UFFDIO_UNREGISTER of uffd {} failed: {}", u, Libc.errnoName(-r));
            }
        }
    }

    boolean unregistered() {
        return unregistered;
    }

    /** Unregisters the memory (waking any sleeper), then stops and joins the readers. */
    @Override
    public void stop() {
        stopping = true;
        unregisterAll();
        for (UffdReader r : readers) r.stop();
        for (Thread t : readerThreads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether every vCPU and reader thread has ended (guest memory may then be unmapped). */
    boolean threadsEnded() {
        for (Thread t : waiterThreads) if (t != null && t.isAlive()) return false;
        for (Thread t : readerThreads) if (t.isAlive()) return false;
        return true;
    }

    /** Closes the userfaultfds; {@code threadsEnded} false leaves them open for the threads still using them. */
    void close(boolean threadsEnded) {
        stopping = true;
        unregisterAll();
        for (UffdReader r : readers) r.stop();
        if (!threadsEnded) return;
        for (Uffd u : uffds) u.close();
    }

    long faultsRead() {
        long n = 0;
        for (UffdReader r : readers) n += r.faults;
        return n;
    }

    long pollWakeups() {
        long n = 0;
        for (UffdReader r : readers) n += r.pollWakeups;
        return n;
    }

    long wakes() {
        return wakes.get();
    }
}
