package org.postcopysim.dest.uffd;

import java.util.Arrays;
import java.util.Objects;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.memory.GuestLayout;

/**
 * One userfaultfd registered in MISSING mode over the dense page indexes
 * {@code [firstPage, firstPage + pages)} (kernel-background.md §2): its two wait queues and the
 * read / UFFDIO_COPY / UFFDIO_WAKE operations on them, with everything a virtual-time simulator
 * charges for counted (queue lengths, waiters visited per wake).
 *
 * <p>Waiters are small ints {@code 0 .. maxWaiters - 1}; the runner maps vCPUs and threads doing
 * KVM-internal accesses to ids. Per waiter the model keeps its page, access kind and state
 * ({@link #WAITER_NONE}, {@link #WAITER_PENDING}, {@link #WAITER_WAITING}) in primitive arrays.
 * The kernel's {@code fault_pending_wqh} is a FIFO ring of waiter ids; {@code fault_wqh} (read
 * but unresolved faults) is an unordered array. Every operation is allocation-free and throws
 * only on a caller bug (bad id, page outside the range, a waiter queued twice, re-entry).
 *
 * <p>Not thread-safe: the runner holds a lock of its choice around every call (the model of the
 * pending queue's spinlock, which the kernel takes for fault, read and wake alike) and does its
 * own parking and poller wake-ups. Counter getters read plain fields: call them under that lock
 * or once the runner is quiescent.
 *
 * <p>Lost wake-ups: the faulting side re-checks the host mapping and queues itself under the
 * lock ({@link #handleUserfault(int, long, boolean, HostPageTable)}); the resolving side maps
 * and wakes under the same lock ({@link #copy}). So a waiter either sees the page mapped and does
 * not queue, or is queued before the map and woken by it.
 */
public final class Userfaultfd {
    /** The waiter is on neither queue. */
    public static final int WAITER_NONE = 0;
    /** The waiter is on {@code fault_pending_wqh}: faulted, not yet read. */
    public static final int WAITER_PENDING = 1;
    /** The waiter is on {@code fault_wqh}: read by a reader, not yet woken. */
    public static final int WAITER_WAITING = 2;

    private final long firstPage;
    private final long pages;
    private final int maxWaiters;
    private final GuestLayout layout;

    private final long[] waiterPage;
    private final boolean[] waiterWrite;
    private final byte[] waiterState;

    /** fault_pending_wqh: FIFO ring of waiter ids, {@code pendingCount} of them from {@code pendingHead}. */
    private final int[] pendingRing;
    private int pendingHead;
    private int pendingCount;

    /** fault_wqh: unordered, the first {@code waitingCount} entries. */
    private final int[] waitingIds;
    private int waitingCount;

    private boolean walking;

    private long faults;
    private long faultsNotQueued;
    private long reads;
    private long emptyReads;
    private long wakes;
    private long waitersVisited;
    private int maxWaitersVisitedPerWake;
    private long woken;
    private long copies;
    private long eexist;
    private int maxPending;
    private int maxWaiting;

    /** A uffd over {@code [firstPage, firstPage + pages)} without a layout: messages carry no gfn. */
    public Userfaultfd(long firstPage, long pages, int maxWaiters) {
        this(firstPage, pages, maxWaiters, null);
    }

    /**
     * A uffd over {@code [firstPage, firstPage + pages)} for up to {@code maxWaiters} waiters.
     *
     * @param layout when not null, {@link UffdMsg#gfn()} is filled from it
     */
    public Userfaultfd(long firstPage, long pages, int maxWaiters, GuestLayout layout) {
        if (firstPage < 0 || pages <= 0) {
            throw new IllegalArgumentException("bad uffd range: first page " + firstPage + ", pages " + pages);
        }
        if (maxWaiters <= 0) throw new IllegalArgumentException("a uffd needs maxWaiters > 0, got " + maxWaiters);
        if (layout != null && firstPage + pages > layout.totalPages()) {
            throw new IllegalArgumentException("uffd range ends at page " + (firstPage + pages)
                    + ", past the guest's " + layout.totalPages());
        }
        this.firstPage = firstPage;
        this.pages = pages;
        this.maxWaiters = maxWaiters;
        this.layout = layout;
        this.waiterPage = new long[maxWaiters];
        Arrays.fill(waiterPage, -1);
        this.waiterWrite = new boolean[maxWaiters];
        this.waiterState = new byte[maxWaiters];
        this.pendingRing = new int[maxWaiters];
        this.waitingIds = new int[maxWaiters];
    }

    /** First dense page index of the registered range. */
    public long firstPage() {
        return firstPage;
    }

    /** Pages in the registered range. */
    public long pages() {
        return pages;
    }

    public int maxWaiters() {
        return maxWaiters;
    }

    /** Whether {@code pageIndex} lies in the registered range. */
    public boolean covers(long pageIndex) {
        return pageIndex >= firstPage && pageIndex - firstPage < pages;
    }

    /**
     * {@code handle_userfault()} on {@code pageIndex}: waiter {@code waiter} puts itself on the
     * pending queue (state {@link #WAITER_PENDING}). The runner then wakes pollers and parks it
     * until a {@link WakeSink} names it.
     *
     * <p>Precondition ({@code userfaultfd_must_wait}): under the runner's lock, the runner has
     * re-checked that the page is still not host-mapped. The overload taking a
     * {@link HostPageTable} does that check itself.
     *
     * @throws IllegalStateException when the waiter is already queued, or during a wake walk
     */
    public void handleUserfault(int waiter, long pageIndex, boolean write) {
        checkNotWalking();
        Objects.checkIndex(waiter, maxWaiters);
        checkCovered(pageIndex);
        if (waiterState[waiter] != WAITER_NONE) {
            throw new IllegalStateException("waiter " + waiter + " is already queued on page " + waiterPage[waiter]);
        }
        waiterPage[waiter] = pageIndex;
        waiterWrite[waiter] = write;
        waiterState[waiter] = WAITER_PENDING;
        pendingRing[ringSlot(pendingCount)] = waiter;
        pendingCount++;
        faults++;
        if (pendingCount > maxPending) maxPending = pendingCount;
    }

    /** {@link #handleUserfault(int, long, boolean)} for a read fault. */
    public void handleUserfault(int waiter, long pageIndex) {
        handleUserfault(waiter, pageIndex, false);
    }

    /**
     * {@code handle_userfault()} with its {@code userfaultfd_must_wait} check: queues the waiter
     * as {@link #handleUserfault(int, long, boolean)} and returns true when the PTE of
     * {@code pageIndex} is still none in {@code host}; returns false (nothing queued, counted)
     * when it is not: mapped meanwhile, or mapped and then reclaimed (a swap entry is not none:
     * the page arrived, and the retried access swaps it in without a userfault). The thread
     * retries its access at once instead of sleeping.
     */
    public boolean handleUserfault(int waiter, long pageIndex, boolean write, HostPageTable host) {
        checkNotWalking();
        checkCovered(pageIndex);
        if (host.hasContents(pageIndex)) {
            faultsNotQueued++;
            return false;
        }
        handleUserfault(waiter, pageIndex, write);
        return true;
    }

    /**
     * A reader's read(): moves the oldest pending waiter to the fault queue (state
     * {@link #WAITER_WAITING}) and fills {@code out}. Returns the waiter id, or
     * {@link UffdResult#EAGAIN} (-1, {@code out} untouched) when nothing is pending.
     */
    public int read(UffdMsg out) {
        checkNotWalking();
        if (pendingCount == 0) {
            emptyReads++;
            return UffdResult.EAGAIN;
        }
        int waiter = pendingRing[pendingHead];
        pendingHead = pendingHead + 1 == maxWaiters ? 0 : pendingHead + 1;
        pendingCount--;
        waiterState[waiter] = WAITER_WAITING;
        waitingIds[waitingCount++] = waiter;
        if (waitingCount > maxWaiting) maxWaiting = waitingCount;
        reads++;
        long page = waiterPage[waiter];
        long gfn = layout == null ? -1 : layout.gfnOfPageIndex(page);
        out.set(waiter, page, gfn, waiterWrite[waiter] ? UffdMsg.FLAG_WRITE : 0);
        return waiter;
    }

    /**
     * UFFDIO_WAKE over {@code [firstPageIndex, firstPageIndex + pages)}, also the wake that ends
     * UFFDIO_COPY. Like the kernel's {@code __wake_userfault} it walks the pending queue, then the
     * fault queue, comparing EVERY waiter's page with the range: each wake visits every sleeper
     * (counted). Waiters in the range leave their queue (state {@link #WAITER_NONE}), including
     * pending ones no reader has read yet, and are passed to {@code sink} in walk order; the
     * pending queue keeps its FIFO order. Returns the number woken.
     *
     * @throws IllegalArgumentException when {@code pages <= 0} (the kernel's EINVAL)
     */
    public int wake(long firstPageIndex, long pages, WakeSink sink) {
        checkNotWalking();
        if (pages <= 0) throw new IllegalArgumentException("wake of " + pages + " pages");
        int visited = pendingCount + waitingCount;
        int wokenNow = 0;
        walking = true;
        try {
            int kept = 0;
            for (int i = 0; i < pendingCount; i++) {
                int waiter = pendingRing[ringSlot(i)];
                if (inRange(waiterPage[waiter], firstPageIndex, pages)) {
                    waiterState[waiter] = WAITER_NONE;
                    wokenNow++;
                    sink.wake(waiter);
                } else {
                    pendingRing[ringSlot(kept++)] = waiter;
                }
            }
            pendingCount = kept;
            kept = 0;
            for (int i = 0; i < waitingCount; i++) {
                int waiter = waitingIds[i];
                if (inRange(waiterPage[waiter], firstPageIndex, pages)) {
                    waiterState[waiter] = WAITER_NONE;
                    wokenNow++;
                    sink.wake(waiter);
                } else {
                    waitingIds[kept++] = waiter;
                }
            }
            waitingCount = kept;
        } finally {
            walking = false;
        }
        wakes++;
        waitersVisited += visited;
        if (visited > maxWaitersVisitedPerWake) maxWaitersVisitedPerWake = visited;
        woken += wokenNow;
        return wokenNow;
    }

    /** Wakes every waiter (what closing or unregistering the uffd does); returns how many. */
    public int wakeAll(WakeSink sink) {
        return wake(firstPage, pages, sink);
    }

    /**
     * UFFDIO_COPY's bookkeeping for one page. Order: the runner has ALREADY written the page's
     * contents into guest memory; this call then maps the host page with release ordering
     * ({@link HostPageTable#map}), so whoever sees it mapped sees the contents, and, unless
     * {@code dontWake} (UFFDIO_COPY_MODE_DONTWAKE), wakes the waiters of that page.
     *
     * @param sink may be null when {@code dontWake}
     * @return {@link UffdResult#OK}, or {@link UffdResult#EEXIST} when the page was already mapped
     *         (counted; nothing mapped or woken)
     */
    public int copy(HostPageTable host, long pageIndex, boolean dontWake, WakeSink sink) {
        checkNotWalking();
        checkCovered(pageIndex);
        if (!host.map(pageIndex)) {
            eexist++;
            return UffdResult.EEXIST;
        }
        copies++;
        if (!dontWake) wake(pageIndex, 1, sink);
        return UffdResult.OK;
    }

    /** State of {@code waiter}: {@link #WAITER_NONE}, {@link #WAITER_PENDING} or {@link #WAITER_WAITING}. */
    public int waiterState(int waiter) {
        return waiterState[Objects.checkIndex(waiter, maxWaiters)];
    }

    /** Page {@code waiter} last faulted on (meaningful while it is queued), or -1 if it never faulted. */
    public long waiterPage(int waiter) {
        return waiterPage[Objects.checkIndex(waiter, maxWaiters)];
    }

    /** Waiters on the pending queue (faulted, unread): {@code fault_pending_wqh}'s length. */
    public int pendingCount() {
        return pendingCount;
    }

    /** Waiters on the fault queue (read, unresolved): {@code fault_wqh}'s length. */
    public int waitingCount() {
        return waitingCount;
    }

    /** Waiters on either queue: what the next wake will visit. */
    public int sleepingCount() {
        return pendingCount + waitingCount;
    }

    /** Faults queued by {@link #handleUserfault}. */
    public long faults() {
        return faults;
    }

    /** Faults that found the page mapped at the must-wait check and did not queue. */
    public long faultsNotQueued() {
        return faultsNotQueued;
    }

    /** Successful reads (each moved one waiter to the fault queue). */
    public long reads() {
        return reads;
    }

    /** Reads that found nothing pending (EAGAIN). */
    public long emptyReads() {
        return emptyReads;
    }

    /** Wake walks (UFFDIO_WAKE and waking UFFDIO_COPYs). */
    public long wakes() {
        return wakes;
    }

    /** Waiters visited by all wake walks together. */
    public long waitersVisited() {
        return waitersVisited;
    }

    /** Most waiters one wake walk visited. */
    public int maxWaitersVisitedPerWake() {
        return maxWaitersVisitedPerWake;
    }

    /** Mean waiters visited per wake walk; 0 before the first. */
    public double meanWaitersVisitedPerWake() {
        return wakes == 0 ? 0 : (double) waitersVisited / wakes;
    }

    /** Waiters woken by all wakes together. */
    public long woken() {
        return woken;
    }

    /** UFFDIO_COPYs that mapped their page. */
    public long copies() {
        return copies;
    }

    /** UFFDIO_COPYs that failed with EEXIST. */
    public long eexistCount() {
        return eexist;
    }

    /** Longest the pending queue has been. */
    public int maxPendingCount() {
        return maxPending;
    }

    /** Longest the fault queue has been. */
    public int maxWaitingCount() {
        return maxWaiting;
    }

    private int ringSlot(int offsetFromHead) {
        int slot = pendingHead + offsetFromHead;
        return slot >= maxWaiters ? slot - maxWaiters : slot;
    }

    private static boolean inRange(long page, long first, long count) {
        return page >= first && page - first < count;
    }

    private void checkCovered(long pageIndex) {
        if (!covers(pageIndex)) {
            throw new IndexOutOfBoundsException("page " + pageIndex + " outside the uffd range ["
                    + firstPage + ", " + (firstPage + pages) + ")");
        }
    }

    private void checkNotWalking() {
        if (walking) throw new IllegalStateException("re-entered the uffd from a WakeSink: schedule instead");
    }

    @Override
    public String toString() {
        return "Userfaultfd{pages=[" + firstPage + ", " + (firstPage + pages) + "), pending=" + pendingCount
                + ", waiting=" + waitingCount + ", reads=" + reads + ", wakes=" + wakes
                + ", visited=" + waitersVisited + ", eexist=" + eexist + '}';
    }
}
