package org.postcopysim.dest.threads;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.uffd.UffdMsg;
import org.postcopysim.dest.uffd.UffdResult;
import org.postcopysim.dest.uffd.Userfaultfd;
import org.postcopysim.dest.uffd.WakeSink;

/**
 * The thread runner of the userfaultfd paths ({@link UffdPaths}, plain data and methods): a
 * monitor per uffd around every call the model marks "under the lock" (the wait queues'
 * spinlock), faulting threads parked until a wake names them, the readers that poll each uffd
 * unparked by a queued fault, and the reader threads ({@code uffd-reader-U-R}) themselves.
 *
 * <p>Waiter ids are the vCPU ids; the fault path of a vCPU is the only thread using its id.
 */
public final class UffdThreads implements UffdRunner, WakeSink {
    /** How long a parked waiter or idle reader sleeps before re-checking (nanoseconds). */
    static final long RECHECK_NS = 1_000_000;

    private final UffdPaths paths;
    private final Thread[] waiterThreads;
    private final AtomicIntegerArray asleep;
    private final AtomicLongArray pollSeq;
    private final List<Thread> readers = new ArrayList<>();
    private final List<List<Thread>> readersByUffd = new ArrayList<>();
    private volatile boolean stopping;

    public UffdThreads(UffdPaths paths, int waiters) {
        this.paths = paths;
        this.waiterThreads = new Thread[waiters];
        this.asleep = new AtomicIntegerArray(waiters);
        this.pollSeq = new AtomicLongArray(paths.uffds().count());
    }

    public UffdPaths paths() {
        return paths;
    }

    /** Records the thread that faults as waiter {@code id}. */
    @Override
    public void bindWaiter(int id, Thread thread) {
        waiterThreads[id] = thread;
    }

    private Object lock(int u) {
        return paths.uffds().get(u);
    }

    /**
     * handle_userfault() for the calling thread, waiter {@code waiter}, on uffd {@code u}: queue
     * unless the page got mapped meanwhile, wake the pollers, and sleep until a wake names this
     * waiter. Returns false when the run stopped while asleep.
     */
    @Override
    public boolean sleepOnFault(int u, int waiter, long pageIndex, boolean write, RunControl control) {
        asleep.set(waiter, 1);
        boolean queued;
        synchronized (lock(u)) {
            queued = paths.fault(u, waiter, pageIndex, write);
        }
        if (!queued) {
            asleep.set(waiter, 0);
            return true;
        }
        wakePollers(u);
        while (asleep.get(waiter) == 1) {
            if (control.stopRequested()) return false;
            LockSupport.parkNanos(this, RECHECK_NS);
        }
        return true;
    }

    /** Called under the uffd's lock by a wake walk: the waiter may retry. */
    @Override
    public void wake(int waiterId) {
        asleep.set(waiterId, 0);
        Thread t = waiterThreads[waiterId];
        if (t != null) LockSupport.unpark(t);
    }

    /** UFFDIO_COPY under the page's uffd lock: map and wake. Returns false on EEXIST. */
    @Override
    public boolean copy(long pageIndex) {
        int u = paths.uffdOf(pageIndex);
        if (u < 0) return paths.copy(pageIndex, this);
        synchronized (lock(u)) {
            return paths.copy(pageIndex, this);
        }
    }

    /** UFFDIO_WAKE of one page (after a resolver found it present without copying). */
    public void wakePage(long pageIndex) {
        int u = paths.uffdOf(pageIndex);
        if (u < 0) return;
        synchronized (lock(u)) {
            paths.wakePage(pageIndex, this);
        }
    }

    private void wakePollers(int u) {
        pollSeq.incrementAndGet(u);
        paths.pollWakeups(u);
        if (u < readersByUffd.size()) {
            for (Thread r : readersByUffd.get(u)) LockSupport.unpark(r);
        }
    }

    /**
     * Starts {@link UffdPaths#readersPerUffd()} reader threads per uffd; each reads pending
     * faults and resolves them through {@code provider}.
     */
    @Override
    public void startReaders(PageProvider provider, Supplier<PageInstaller.Context> contexts, RunControl control) {
        for (int u = 0; u < paths.uffds().count(); u++) {
            List<Thread> mine = new ArrayList<>();
            for (int r = 0; r < paths.readersPerUffd(); r++) {
                int uffdIndex = u;
                Thread t = new Thread(() -> readLoop(uffdIndex, provider, contexts.get(), control),
                        "uffd-reader-" + u + "-" + r);
                t.setDaemon(true);
                mine.add(t);
                readers.add(t);
            }
            readersByUffd.add(mine);
        }
        for (Thread t : readers) t.start();
    }

    private void readLoop(int u, PageProvider provider, PageInstaller.Context ctx, RunControl control) {
        UffdMsg msg = new UffdMsg();
        while (!stopping && !control.stopRequested()) {
            long seq = pollSeq.get(u);
            int waiter;
            synchronized (lock(u)) {
                waiter = paths.read(u, msg);
            }
            if (waiter == UffdResult.EAGAIN) {
                // poll(): sleep until a fault is queued (one queued since the read changed seq)
                paths.beginPoll(u);
                while (pollSeq.get(u) == seq && !stopping && !control.stopRequested()) {
                    LockSupport.parkNanos(this, RECHECK_NS);
                }
                continue;
            }
            switch (paths.resolve(msg, provider, ctx)) {
                case UffdPaths.NEEDS_WAKE:
                    wakePage(msg.pageIndex());
                    break;
                case UffdPaths.FAILED:
                    control.fail(String.format("uffd reader could not resolve the fault on gfn 0x%x", msg.gfn()));
                    return;
                default:
                    break;
            }
        }
    }

    /** Stops the readers and wakes every sleeper. */
    @Override
    public void stop() {
        stopping = true;
        for (Thread t : readers) LockSupport.unpark(t);
        for (int u = 0; u < paths.uffds().count(); u++) {
            Userfaultfd uffd = paths.uffds().get(u);
            synchronized (uffd) {
                paths.wakeAll(u, this);
            }
        }
        for (Thread t : readers) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
