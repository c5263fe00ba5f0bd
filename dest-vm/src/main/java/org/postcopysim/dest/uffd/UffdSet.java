package org.postcopysim.dest.uffd;

import java.util.Objects;
import org.postcopysim.memory.GuestLayout;

/**
 * The userfaultfds of one destination and the routing of a page to its uffd, for the two scopes
 * of the kernel's {@code demand_paging_test} (kernel-background.md §2 and §8):
 * {@link Scope#SHARED}, one uffd over all guest memory, and {@link Scope#PER_VCPU}, one uffd per
 * vCPU over that vCPU's contiguous range of dense page indexes.
 *
 * <p>Immutable routing; {@link #indexOf} and {@link #forPage} allocate nothing (arithmetic for
 * equal ranges, else a binary search over the boundaries). Each {@link Userfaultfd} has its own
 * state and is locked by the runner on its own. Every uffd accepts all {@code maxWaiters} ids,
 * since a thread doing KVM-internal accesses (or an overlapping vCPU) may fault in any range.
 */
public final class UffdSet {
    /** How guest memory is split among uffds. */
    public enum Scope {
        /** One uffd over all memory: every fault and every wake meet on its queues. */
        SHARED,
        /** One uffd per vCPU range. */
        PER_VCPU
    }

    private final Scope scope;
    private final Userfaultfd[] uffds;
    /** Range i is {@code [boundaries[i], boundaries[i + 1])}. */
    private final long[] boundaries;
    /** Pages per range when all ranges are equal, else 0. */
    private final long equalRangePages;

    private UffdSet(Scope scope, long[] boundaries, int maxWaiters, GuestLayout layout) {
        this.scope = scope;
        this.boundaries = boundaries;
        int count = boundaries.length - 1;
        this.uffds = new Userfaultfd[count];
        long first = boundaries[1] - boundaries[0];
        boolean equal = true;
        for (int i = 0; i < count; i++) {
            long pages = boundaries[i + 1] - boundaries[i];
            uffds[i] = new Userfaultfd(boundaries[i], pages, maxWaiters, layout);
            equal &= pages == first;
        }
        this.equalRangePages = equal ? first : 0;
    }

    /** One uffd over every page of {@code layout}. */
    public static UffdSet shared(GuestLayout layout, int maxWaiters) {
        return shared(0, layout.totalPages(), maxWaiters, layout);
    }

    /**
     * One uffd over {@code [firstPage, firstPage + pages)}.
     *
     * @param layout may be null: messages then carry no gfn
     */
    public static UffdSet shared(long firstPage, long pages, int maxWaiters, GuestLayout layout) {
        if (firstPage < 0 || pages <= 0) {
            throw new IllegalArgumentException("bad uffd range: first page " + firstPage + ", pages " + pages);
        }
        return new UffdSet(Scope.SHARED, new long[] {firstPage, firstPage + pages}, maxWaiters, layout);
    }

    /**
     * One uffd per vCPU: uffd {@code i} covers {@code [boundaries[i], boundaries[i + 1])}.
     * Pages below {@code boundaries[0]} or at or above the last boundary belong to none.
     *
     * @param boundaries strictly increasing, at least two, the first >= 0 (copied)
     * @param layout     may be null: messages then carry no gfn
     */
    public static UffdSet perVcpu(long[] boundaries, int maxWaiters, GuestLayout layout) {
        Objects.requireNonNull(boundaries, "boundaries");
        if (boundaries.length < 2) throw new IllegalArgumentException("per-vCPU uffds need at least two boundaries");
        if (boundaries[0] < 0) throw new IllegalArgumentException("negative first boundary " + boundaries[0]);
        for (int i = 1; i < boundaries.length; i++) {
            if (boundaries[i] <= boundaries[i - 1]) {
                throw new IllegalArgumentException("boundaries must increase strictly: " + boundaries[i - 1]
                        + " then " + boundaries[i]);
            }
        }
        return new UffdSet(Scope.PER_VCPU, boundaries.clone(), maxWaiters, layout);
    }

    /** {@code vcpus} uffds of {@code pagesPerVcpu} pages each, the first at {@code firstPage}. */
    public static UffdSet perVcpu(long firstPage, long pagesPerVcpu, int vcpus, int maxWaiters, GuestLayout layout) {
        if (vcpus <= 0 || pagesPerVcpu <= 0 || firstPage < 0) {
            throw new IllegalArgumentException("bad per-vCPU split: " + vcpus + " vCPUs of " + pagesPerVcpu
                    + " pages from " + firstPage);
        }
        long[] boundaries = new long[vcpus + 1];
        for (int i = 0; i <= vcpus; i++) boundaries[i] = firstPage + i * pagesPerVcpu;
        return perVcpu(boundaries, maxWaiters, layout);
    }

    public Scope scope() {
        return scope;
    }

    /** Number of uffds. */
    public int count() {
        return uffds.length;
    }

    /** Uffd {@code i} (for per-vCPU: vCPU {@code i}'s). */
    public Userfaultfd get(int i) {
        return uffds[i];
    }

    /** Index of the uffd covering {@code pageIndex}, or -1 when none does. */
    public int indexOf(long pageIndex) {
        long first = boundaries[0];
        if (pageIndex < first || pageIndex >= boundaries[boundaries.length - 1]) return -1;
        if (equalRangePages != 0) return (int) ((pageIndex - first) / equalRangePages);
        int lo = 0;
        int hi = uffds.length - 1;
        while (lo < hi) { // last i with boundaries[i] <= pageIndex
            int mid = (lo + hi + 1) >>> 1;
            if (boundaries[mid] <= pageIndex) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /** The uffd covering {@code pageIndex}, or null when none does. */
    public Userfaultfd forPage(long pageIndex) {
        int i = indexOf(pageIndex);
        return i < 0 ? null : uffds[i];
    }

    /** Waiters on all pending queues (a snapshot; see {@link Userfaultfd} on locking). */
    public long pendingCount() {
        return sum(Userfaultfd::pendingCount);
    }

    /** Waiters on all fault queues. */
    public long waitingCount() {
        return sum(Userfaultfd::waitingCount);
    }

    /** Successful reads on all uffds. */
    public long reads() {
        return sum(Userfaultfd::reads);
    }

    /** Wake walks on all uffds. */
    public long wakes() {
        return sum(Userfaultfd::wakes);
    }

    /** Waiters visited by all wake walks on all uffds. */
    public long waitersVisited() {
        return sum(Userfaultfd::waitersVisited);
    }

    /** Most waiters one wake walk visited, over all uffds. */
    public int maxWaitersVisitedPerWake() {
        int max = 0;
        for (Userfaultfd u : uffds) max = Math.max(max, u.maxWaitersVisitedPerWake());
        return max;
    }

    /** Mean waiters visited per wake walk over all uffds; 0 before the first. */
    public double meanWaitersVisitedPerWake() {
        long w = wakes();
        return w == 0 ? 0 : (double) waitersVisited() / w;
    }

    /** UFFDIO_COPYs that failed with EEXIST, on all uffds. */
    public long eexistCount() {
        return sum(Userfaultfd::eexistCount);
    }

    /** The sum of {@code counter} over every uffd (statistics, not a hot path). */
    private long sum(java.util.function.ToLongFunction<Userfaultfd> counter) {
        long n = 0;
        for (Userfaultfd u : uffds) n += counter.applyAsLong(u);
        return n;
    }

    @Override
    public String toString() {
        return "UffdSet{" + scope + ", uffds=" + uffds.length + ", pages=[" + boundaries[0] + ", "
                + boundaries[boundaries.length - 1] + ")}";
    }
}
