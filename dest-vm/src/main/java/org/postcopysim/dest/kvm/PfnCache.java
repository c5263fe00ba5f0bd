package org.postcopysim.dest.kvm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.memory.GuestLayout;

/**
 * KVM's gfn_to_pfn_cache for its own accesses to guest memory ("[RFC PATCH 0/11] Rework
 * gfn_to_pfn_cache", kernel-background.md §6): a translation gfn -> host page that KVM keeps
 * across accesses instead of walking the host page tables each time, as the steal-time page,
 * kvmclock or Xen's shared info and vcpu_info do. Each of this cache's entries stands for one
 * such cache; the model keeps a small direct-mapped set of them per vCPU (entry = gfn mod size),
 * so that KVM-internal accesses to many gfns can be cached.
 *
 * <p>An entry: the gfn, a valid bit, whether it was mapped writable, the host frame it
 * translates to, and the memslot generation it was filled under (kvm_gpc_check compares it
 * with the current one). Invalidation ({@link MmuNotifier}) clears the valid bit of entries over
 * the range in invalidate_range_<em>start</em>, which covers unmaps and protection downgrades
 * alike; invalidating only in ->invalidate_range() misses downgrades, where the page stays and
 * only its protection changes, and leaves a writable translation of a read-only page: the bug
 * the thread discusses ({@link MmuBug#PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE}).
 *
 * <p>Users: {@link #check} (kvm_gpc_check) never sleeps; an atomic user that finds the entry
 * invalid cannot refresh it and falls back to a slow path ({@link #tryAtomic}, counted). A user
 * that may sleep calls {@link #refresh} (kvm_gpc_refresh: hva_to_pfn_retry), which looks the
 * host page up (faulting it in: swap-in, breaking write protection, or ending on the userfaultfd
 * wait queue) and must not complete while an invalidation of the gfn is in progress: it returns
 * {@link AccessResult#RETRY} and the runner retries, as KVM loops on mmu_notifier_retry_cache.
 * {@link #access} does both, for the KVM-internal accesses of the uffd+kvm-userfault mode.
 *
 * <p>One user at a time (the vCPU that owns it) calls check, refresh and access; invalidations
 * run concurrently from the host-event source. No lock: the user publishes an entry, then
 * re-checks the invalidation state, while an invalidation publishes its range, then clears the
 * entries; whichever comes second sees the other. Allocation-free.
 */
public final class PfnCache {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long VALID = 1L;
    private static final long WRITABLE = 2L;
    private static final int FRAME_SHIFT = 16;
    private static final int GENERATION_SHIFT = 32;

    private final Vm vm;
    private final int mask;
    private final long[] gfns;
    private final long[] states;
    private final AtomicLong refreshes = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong fallbacks = new AtomicLong();

    /** @param entries a power of two, at least 1 */
    PfnCache(Vm vm, int entries) {
        if (entries < 1 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("pfn cache entries must be a power of two, got " + entries);
        }
        this.vm = vm;
        this.mask = entries - 1;
        this.gfns = new long[entries];
        this.states = new long[entries];
        for (int i = 0; i < entries; i++) gfns[i] = -1;
    }

    /** Number of entries. */
    public int entries() {
        return mask + 1;
    }

    /**
     * kvm_gpc_check: whether the cached translation of {@code gfn} is usable for the access:
     * valid, for this gfn, writable if it writes, and filled under the memslot's current
     * generation. Never sleeps, allocates nothing.
     */
    public boolean check(long gfn, boolean write) {
        int i = (int) (gfn & mask);
        long st = (long) LONGS.getAcquire(states, i);
        if ((st & VALID) == 0 || (long) LONGS.getAcquire(gfns, i) != gfn) return false;
        if (write && (st & WRITABLE) == 0) return false;
        Memslot slot = vm.memslotOfGfn(gfn);
        return slot != null && (int) (st >>> GENERATION_SHIFT) == (int) slot.flagsGeneration();
    }

    /**
     * An atomic user (one that cannot sleep, like Xen's event channel delivery): uses the cache
     * when {@link #check} passes; otherwise it cannot refresh and falls back to its slow path
     * (counted in {@link #fallbacks()}). Returns whether the cache could be used.
     */
    public boolean tryAtomic(long gfn, boolean write) {
        if (check(gfn, write)) return true;
        fallbacks.incrementAndGet();
        return false;
    }

    /**
     * kvm_gpc_refresh for {@code gfn}: looks the host page up and caches it. Returns
     * {@link AccessResult#HIT} (cached: the access may proceed), {@link AccessResult#HOST_FAULT}
     * (the host page is missing: {@code exit} holds the address; the thread sleeps on the
     * userfaultfd and refreshes again when woken), {@link AccessResult#RETRY} (an invalidation
     * of the gfn is in progress or ended meanwhile, or the gfn turned private: try again later)
     * or {@link AccessResult#NO_MEMSLOT}.
     */
    public int refresh(long gfn, boolean write, MemoryFaultExit exit) {
        int position = vm.layout().slotPositionOfGfn(gfn);
        if (position < 0) return AccessResult.NO_MEMSLOT;
        Memslot slot = vm.memslot(position);
        MmuNotifier mmu = vm.mmu();
        int i = (int) (gfn & mask);
        LONGS.setVolatile(states, i, 0L); // the entry is refilled: invalid until published
        LONGS.setVolatile(gfns, i, gfn);
        long seq = mmu.seq();
        long generation = slot.flagsGeneration();
        // KVM's own accesses reach shared memory only; and a refresh never completes during an invalidation.
        if (slot.isPrivate(gfn) || mmu.inProgressOver(gfn, gfn + 1)) {
            retries.incrementAndGet();
            return AccessResult.RETRY;
        }
        long pageIndex = slot.pageIndexOf(gfn);
        int state = vm.hostFaultIn(slot, gfn, pageIndex, write);
        if (state == HostPageTable.NONE) {
            exit.set(gfn << GuestLayout.PAGE_SHIFT, GuestLayout.PAGE_SIZE_BYTES,
                    write ? MemoryFaultExit.FLAG_WRITE : MemoryFaultExit.FLAG_READ);
            return AccessResult.HOST_FAULT;
        }
        if ((state & 1) == 0 || (write && state != HostPageTable.READ_WRITE)) {
            retries.incrementAndGet(); // reclaimed or write-protected again under us: hva_to_pfn retries
            return AccessResult.RETRY;
        }
        long packed = VALID | (state == HostPageTable.READ_WRITE ? WRITABLE : 0)
                | ((long) vm.host().frame(pageIndex) << FRAME_SHIFT) | (generation << GENERATION_SHIFT);
        LONGS.setVolatile(states, i, packed);
        // Published, then re-checked: pairs with the invalidation's publish-then-clear.
        VarHandle.fullFence();
        if (mmu.retry(seq, gfn, gfn + 1) || slot.flagsGeneration() != generation) {
            LONGS.setVolatile(states, i, 0L);
            retries.incrementAndGet();
            return AccessResult.RETRY;
        }
        refreshes.incrementAndGet();
        return AccessResult.HIT;
    }

    /** {@link #check}, else {@link #refresh}: a KVM-internal access that may sleep. */
    public int access(long gfn, boolean write, MemoryFaultExit exit) {
        if (check(gfn, write)) return AccessResult.HIT;
        return refresh(gfn, write, exit);
    }

    /** Clears the valid bit of entries over {@code [gfnStart, gfnEnd)}; returns how many were valid. */
    long invalidate(long gfnStart, long gfnEnd) {
        long n = 0;
        if (gfnEnd - gfnStart > mask) {
            for (int i = 0; i <= mask; i++) n += invalidateEntry(i, gfnStart, gfnEnd);
        } else {
            for (long gfn = gfnStart; gfn < gfnEnd; gfn++) n += invalidateEntry((int) (gfn & mask), gfnStart, gfnEnd);
        }
        return n;
    }

    private int invalidateEntry(int i, long gfnStart, long gfnEnd) {
        long g = (long) LONGS.getAcquire(gfns, i);
        if (g < gfnStart || g >= gfnEnd) return 0;
        long old = (long) LONGS.getAndBitwiseAnd(states, i, ~(VALID | WRITABLE));
        return (old & VALID) != 0 ? 1 : 0;
    }

    /** Refreshes that completed (counted once per completed kvm_gpc_refresh). */
    public long refreshes() {
        return refreshes.get();
    }

    /** Refreshes that returned {@link AccessResult#RETRY}. */
    public long retries() {
        return retries.get();
    }

    /** Atomic users that found the entry invalid and fell back ({@link #tryAtomic}). */
    public long fallbacks() {
        return fallbacks.get();
    }

    boolean validAt(int i) {
        return ((long) LONGS.getAcquire(states, i) & VALID) != 0;
    }

    boolean writableAt(int i) {
        return ((long) LONGS.getAcquire(states, i) & WRITABLE) != 0;
    }

    long gfnAt(int i) {
        return (long) LONGS.getAcquire(gfns, i);
    }

    int frameAt(int i) {
        return (int) (((long) LONGS.getAcquire(states, i) >>> FRAME_SHIFT) & 0xFFFF);
    }

    int generationAt(int i) {
        return (int) ((long) LONGS.getAcquire(states, i) >>> GENERATION_SHIFT);
    }
}
