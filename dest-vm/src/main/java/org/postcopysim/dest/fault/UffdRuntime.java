package org.postcopysim.dest.fault;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.uffd.UffdMsg;
import org.postcopysim.dest.uffd.UffdResult;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.dest.uffd.Userfaultfd;
import org.postcopysim.dest.uffd.WakeSink;
import org.postcopysim.dest.vcpu.RunControl;

/**
 * The thread runtime around the userfaultfd model: the model ({@link Userfaultfd}) is plain data;
 * this class takes the lock around every call (one lock per uffd, like the wait queues'
 * spinlock), parks faulting threads until a wake names them, wakes the readers that poll the
 * uffd, and runs the reader threads ({@code uffd-reader-U-R}) that read faults and resolve them.
 *
 * <p>Waiter ids are the vCPU ids; the fault path of a vCPU is the only thread using its id.
 */
public final class UffdRuntime implements WakeSink {
    /** How long a parked waiter or idle reader sleeps before re-checking (nanoseconds). */
    static final long RECHECK_NS = 1_000_000;

    private final UffdSet uffds;
    private final HostPageTable host;
    private final Vm vm;
    private final Thread[] waiterThreads;
    private final AtomicIntegerArray asleep;
    private final AtomicLongArray pollSeq;
    private final int readersPerUffd;
    private final List<Thread> readers = new ArrayList<>();
    private final List<List<Thread>> readersByUffd = new ArrayList<>();
    private final AtomicLong pollerWakeups = new AtomicLong();
    private final AtomicLong sleeps = new AtomicLong();
    private volatile boolean stopping;

    public UffdRuntime(UffdSet uffds, HostPageTable host, Vm vm, int waiters, int readersPerUffd) {
        if (readersPerUffd < 1) throw new IllegalArgumentException("at least one reader per uffd");
        this.uffds = uffds;
        this.host = host;
        this.vm = vm;
        this.waiterThreads = new Thread[waiters];
        this.asleep = new AtomicIntegerArray(waiters);
        this.pollSeq = new AtomicLongArray(uffds.count());
        this.readersPerUffd = readersPerUffd;
    }

    public UffdSet uffds() {
        return uffds;
    }

    /** Records the thread that faults as waiter {@code id}. */
    public void bindWaiter(int id, Thread thread) {
        waiterThreads[id] = thread;
    }

    /**
     * handle_userfault() for the calling thread, waiter {@code waiter}: queue on the uffd of
     * {@code pageIndex} unless the page got mapped meanwhile, wake the pollers, and sleep until a
     * wake names this waiter. Returns false when the run stopped while asleep.
     */
    public boolean sleepOnFault(int waiter, long pageIndex, boolean write, RunControl control) {
        int u = uffds.indexOf(pageIndex);
        if (u < 0) {
            control.fail("page " + pageIndex + " faulted outside every registered userfaultfd range");
            return false;
        }
        Userfaultfd uffd = uffds.get(u);
        asleep.set(waiter, 1);
        boolean queued;
        synchronized (uffd) {
            queued = uffd.handleUserfault(waiter, pageIndex, write, host);
        }
        if (!queued) {
            asleep.set(waiter, 0);
            return true;
        }
        sleeps.incrementAndGet();
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

    /**
     * UFFDIO_COPY's install of a page whose contents are in guest memory: map it and wake its
     * waiters, under the uffd's lock. Returns false on EEXIST.
     */
    public boolean copy(long pageIndex) {
        Userfaultfd uffd = uffds.forPage(pageIndex);
        if (uffd == null) return host.map(pageIndex);
        synchronized (uffd) {
            return uffd.copy(host, pageIndex, false, this) == UffdResult.OK;
        }
    }

    /** UFFDIO_WAKE of one page (after a resolver found it present without copying). */
    public void wakePage(long pageIndex) {
        Userfaultfd uffd = uffds.forPage(pageIndex);
        if (uffd == null) return;
        synchronized (uffd) {
            uffd.wake(pageIndex, 1, this);
        }
    }

    private void wakePollers(int u) {
        pollSeq.incrementAndGet(u);
        if (u < readersByUffd.size()) {
            for (Thread r : readersByUffd.get(u)) {
                LockSupport.unpark(r);
                pollerWakeups.incrementAndGet();
            }
        }
    }

    /**
     * Starts {@code readersPerUffd} reader threads per uffd; each reads pending faults and has
     * {@code provider} fetch the page. A page found present is woken explicitly.
     */
    public void startReaders(PageProvider provider, java.util.function.Supplier<PageInstaller.Context> contexts,
                             RunControl control) {
        for (int u = 0; u < uffds.count(); u++) {
            List<Thread> mine = new ArrayList<>();
            for (int r = 0; r < readersPerUffd; r++) {
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
        Userfaultfd uffd = uffds.get(u);
        UffdMsg msg = new UffdMsg();
        while (!stopping && !control.stopRequested()) {
            long seq = pollSeq.get(u);
            int waiter;
            synchronized (uffd) {
                waiter = uffd.read(msg);
            }
            if (waiter == UffdResult.EAGAIN) {
                // poll(): sleep until a fault is queued
                while (pollSeq.get(u) == seq && !stopping && !control.stopRequested()) {
                    LockSupport.parkNanos(this, RECHECK_NS);
                }
                continue;
            }
            long pageIndex = msg.pageIndex();
            long gfn = vm.layout().gfnOfPageIndex(pageIndex);
            Memslot slot = vm.memslotOfGfn(gfn);
            int r = provider.fetch(slot, slot.indexOf(gfn), gfn, pageIndex, ctx);
            if (r == PageProvider.PRESENT) wakePage(pageIndex);
        }
    }

    /** Stops the readers and wakes every sleeper. */
    public void stop() {
        stopping = true;
        for (Thread t : readers) LockSupport.unpark(t);
        for (int u = 0; u < uffds.count(); u++) {
            Userfaultfd uffd = uffds.get(u);
            synchronized (uffd) {
                uffd.wakeAll(this);
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

    /** Reader wake-ups caused by queued faults (the poll herd). */
    public long pollerWakeups() {
        return pollerWakeups.get();
    }

    /** Faults that slept on a wait queue. */
    public long sleeps() {
        return sleeps.get();
    }
}
