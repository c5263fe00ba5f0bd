package org.postcopysim.dest.fault;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.uffd.UffdMsg;
import org.postcopysim.dest.uffd.UffdResult;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.dest.uffd.Userfaultfd;
import org.postcopysim.dest.uffd.WakeSink;

/**
 * The userfaultfd paths of one destination as plain data and methods, above the per-uffd model
 * ({@link Userfaultfd}): routing a fault to its uffd, the must-wait check and queueing, the
 * poll wake-ups a queued fault causes, the reader protocol (read, fetch, copy or wake), and the
 * UFFDIO_COPY of a page outside every uffd. It counts every cost a simulator charges: sleeps,
 * poller wake-ups, and (in {@link Userfaultfd}) reads, empty reads, wakes and waiters visited.
 *
 * <p>No lock, no thread, no clock. Methods marked <em>under the lock of uffd u</em> must be
 * serialized with every other such call on the same uffd by the runner: the thread runner
 * ({@code threads.UffdThreads}) holds a monitor per uffd (the wait queues' spinlock), the
 * simulator holds a simulated lock with its hold time and hand-off cost. Counters are atomic so
 * any thread may read them.
 */
public final class UffdPaths {
    /** {@link #resolve}: the fault is resolved (installed, or someone else is installing it). */
    public static final int RESOLVED = 0;
    /** {@link #resolve}: the page was present already: wake its waiters (UFFDIO_WAKE, under the lock). */
    public static final int NEEDS_WAKE = 1;
    /** {@link #resolve}: the page could not be had; the run must stop. */
    public static final int FAILED = 2;

    private final UffdSet uffds;
    private final HostPageTable host;
    private final Vm vm;
    private final int readersPerUffd;
    private final AtomicLong sleeps = new AtomicLong();
    private final AtomicLong pollerWakeups = new AtomicLong();
    private final AtomicIntegerArray polling;

    /** @param readersPerUffd reader threads that poll each uffd (at least 1) */
    public UffdPaths(UffdSet uffds, HostPageTable host, Vm vm, int readersPerUffd) {
        if (readersPerUffd < 1) throw new IllegalArgumentException("at least one reader per uffd");
        this.uffds = uffds;
        this.host = host;
        this.vm = vm;
        this.readersPerUffd = readersPerUffd;
        this.polling = new AtomicIntegerArray(uffds.count());
    }

    public UffdSet uffds() {
        return uffds;
    }

    public int readersPerUffd() {
        return readersPerUffd;
    }

    /** The uffd registered over dense page {@code pageIndex}, or -1 when none is. */
    public int uffdOf(long pageIndex) {
        return uffds.indexOf(pageIndex);
    }

    /**
     * handle_userfault() for waiter {@code waiter}, <em>under the lock of uffd u</em>: queue on
     * the pending queue unless the page got mapped meanwhile. Returns whether it queued; a queued
     * waiter must then wake the pollers ({@link #pollWakeups}) and sleep until a wake names it.
     */
    public boolean fault(int u, int waiter, long pageIndex, boolean write) {
        boolean queued = uffds.get(u).handleUserfault(waiter, pageIndex, write, host);
        if (queued) sleeps.incrementAndGet();
        return queued;
    }

    /**
     * A reader found nothing pending on uffd {@code u} and sleeps in poll() until a fault is
     * queued. The runner must check for pending faults after this call and before it sleeps (poll
     * registers on the wait queue, then checks), so no wake-up is lost.
     */
    public void beginPoll(int u) {
        polling.incrementAndGet(u);
    }

    /** A reader that began a poll on uffd {@code u} returns without being woken (a fault was pending already). */
    public void endPoll(int u) {
        polling.decrementAndGet(u);
    }

    /** Readers asleep in poll() on uffd {@code u} right now. */
    public int pollers(int u) {
        return polling.get(u);
    }

    /**
     * A queued fault wakes every reader asleep in poll() on uffd {@code u} (wake_up_poll is not
     * exclusive: the poll herd); they all leave the poll. Returns how many were woken, counted:
     * what the wake costs, and how many readers then race to read.
     */
    public int pollWakeups(int u) {
        int n = polling.getAndSet(u, 0);
        pollerWakeups.addAndGet(n);
        return n;
    }

    /**
     * A reader's read() of uffd {@code u}, <em>under its lock</em>: the id of the waiter whose
     * fault it took (details in {@code msg}), or {@link UffdResult#EAGAIN} when none is pending.
     */
    public int read(int u, UffdMsg msg) {
        return uffds.get(u).read(msg);
    }

    /**
     * The reader resolves the fault it read (not under the lock): it has {@code provider} get
     * the page, which installs it now or later (the install's UFFDIO_COPY maps and wakes).
     * Returns {@link #RESOLVED}, {@link #NEEDS_WAKE} (present already: the reader must
     * {@link #wakePage} it) or {@link #FAILED}.
     */
    public int resolve(UffdMsg msg, PageProvider provider, PageInstaller.Context ctx) {
        long pageIndex = msg.pageIndex();
        long gfn = vm.layout().gfnOfPageIndex(pageIndex);
        Memslot slot = vm.memslotOfGfn(gfn);
        switch (provider.fetch(slot, slot.indexOf(gfn), gfn, pageIndex, ctx)) {
            case PageProvider.PRESENT:
                return NEEDS_WAKE;
            case PageProvider.FAILED:
                return FAILED;
            default:
                return RESOLVED;
        }
    }

    /**
     * UFFDIO_COPY's install of a page whose contents are already in guest memory, <em>under the
     * lock of the page's uffd</em> ({@link #uffdOf}; none needed when it has none): map it, and
     * wake its waiters through {@code sink}. Returns false on EEXIST.
     */
    public boolean copy(long pageIndex, WakeSink sink) {
        Userfaultfd uffd = uffds.forPage(pageIndex);
        if (uffd == null) return host.map(pageIndex);
        return uffd.copy(host, pageIndex, false, sink) == UffdResult.OK;
    }

    /**
     * UFFDIO_COPY in DONTWAKE mode, <em>under the lock of the page's uffd</em> (none needed when it
     * has none): the model's bookkeeping of a copy whose contents are in guest memory, without the
     * model's wake. For a runner whose waiters sleep in a real kernel's wait queue, which the runner
     * wakes itself once the model has the page mapped. Returns false on EEXIST.
     */
    public boolean copyDontWake(long pageIndex) {
        Userfaultfd uffd = uffds.forPage(pageIndex);
        if (uffd == null) return host.map(pageIndex);
        return uffd.copy(host, pageIndex, true, null) == UffdResult.OK;
    }

    /** Whether the host has page {@code pageIndex} (what KVM's get_user_pages finds there without a fault). */
    public boolean hostHasPage(long pageIndex) {
        return host.hasContents(pageIndex);
    }

    /** UFFDIO_WAKE of one page, <em>under the lock of its uffd</em> (a reader found it present). */
    public void wakePage(long pageIndex, WakeSink sink) {
        Userfaultfd uffd = uffds.forPage(pageIndex);
        if (uffd != null) uffd.wake(pageIndex, 1, sink);
    }

    /** Wakes every sleeper of uffd {@code u}, <em>under its lock</em> (closing it, at the end of a run). */
    public void wakeAll(int u, WakeSink sink) {
        uffds.get(u).wakeAll(sink);
    }

    /** Faults that slept on a wait queue. */
    public long sleeps() {
        return sleeps.get();
    }

    /** Reader wake-ups caused by queued faults (the poll herd: readers asleep in poll when a fault was queued). */
    public long pollerWakeups() {
        return pollerWakeups.get();
    }
}
