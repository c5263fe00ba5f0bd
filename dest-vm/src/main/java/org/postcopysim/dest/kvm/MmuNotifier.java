package org.postcopysim.dest.kvm;

import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * KVM's side of the mmu_notifier (kernel-background.md §6): what keeps the secondary MMU (the
 * stage-2 tables, {@link Stage2Table}) and KVM's gfn-to-pfn caches ({@link PfnCache}) coherent
 * with the host page tables ({@link HostPageTable}), the primary MMU.
 *
 * <p>An invalidation is two calls around the host's change:
 * <ol>
 *   <li>{@link #invalidateRangeStart}: {@code mmu_invalidate_in_progress} goes up and the range
 *       in progress widens to cover the event (kvm_mmu_invalidate_begin / _range_add); then the
 *       stage-2 entries of the range are zapped (a huge entry covering any gfn of it goes whole),
 *       and the pfn caches over the range are invalidated. Host-address events reach shared
 *       entries only ({@code only_shared}, "[RFC PATCH v12 10/33] KVM: Set the stage for handling
 *       only shared mappings in mmu_notifier events"); guest_memfd's own invalidations (hole
 *       punch, conversion) reach private entries only. An hva event that found a memslot ends
 *       with kvm_arch_guest_memory_reclaimed: a cache flush (WBINVD for SEV), skipped for a VM
 *       type whose private memory all lives in guest_memfd, as the same thread settles for SNP.</li>
 *   <li>the host changes its PTE; when the old page goes away the mm also calls
 *       {@link #invalidateRange} (->invalidate_range()), which a protection downgrade does not.</li>
 *   <li>{@link #invalidateRangeEnd}: {@code mmu_invalidate_seq} goes up, then
 *       {@code mmu_invalidate_in_progress} down (kvm_mmu_invalidate_end).</li>
 * </ol>
 * A stage-2 fault or a pfn-cache refresh snapshots {@link #seq()} before it looks the host page
 * up and must not install what it found when {@link #retry} says an invalidation began since
 * (mmu_invalidate_retry_gfn): the page it saw may be gone or write-protected.
 *
 * <p>Concurrency. KVM runs start and end under mmu_lock held for write and a fault's check and
 * install under mmu_lock (held for read by the TDP MMU); the runner does the same with its MMU
 * lock if it wants the kernel's serialization and its cost. The model does not need it to be
 * correct: every state here is atomic, an invalidation publishes its range before it zaps, and a
 * fault re-checks after it installs (a Dekker pair), so a fault that installs while an
 * invalidation begins either sees it and drops its entry or has its entry zapped. Invalidations
 * themselves must come from one host-event source at a time (the runner serializes them, as the
 * kernel's mmap and page-table locks do); they may nest. Counters are atomic.
 */
public final class MmuNotifier {
    private final Vm vm;
    private final AtomicLong seq = new AtomicLong();
    private final AtomicInteger inProgress = new AtomicInteger();
    /** The union of the ranges in progress, [start, end), and the scopes they zap; valid while inProgress > 0. */
    private volatile long rangeStart;
    private volatile long rangeEnd;
    private volatile int rangeScope;
    private volatile PfnCache[] caches = new PfnCache[0];

    private final AtomicLong invalidations = new AtomicLong();
    private final AtomicLong stage2Zapped = new AtomicLong();
    private final AtomicLong sharedEventPrivateZaps = new AtomicLong();
    private final AtomicLong pfnCacheInvalidations = new AtomicLong();
    private final AtomicLong reclaimFlushes = new AtomicLong();
    private final AtomicLong reclaimFlushesSkipped = new AtomicLong();
    private final AtomicLong upgradeNotifications = new AtomicLong();
    private final AtomicLong upgradeZaps = new AtomicLong();

    MmuNotifier(Vm vm) {
        this.vm = vm;
    }

    /** mmu_invalidate_seq: bumped at the end of every invalidation. Read it before looking a host page up. */
    public long seq() {
        return seq.get();
    }

    /** mmu_invalidate_in_progress: invalidations begun and not ended. */
    public int inProgress() {
        return inProgress.get();
    }

    /**
     * mmu_invalidate_retry_gfn over {@code [gfnStart, gfnEnd)}: whether a translation looked up
     * after {@code seqSnapshot} was read may be stale, because an invalidation overlapping the
     * range is in progress, or one (of any range) ended since.
     */
    public boolean retry(long seqSnapshot, long gfnStart, long gfnEnd) {
        if (inProgressOver(gfnStart, gfnEnd)) return true;
        return seq.get() != seqSnapshot;
    }

    /** Whether an invalidation in progress overlaps {@code [gfnStart, gfnEnd)} (mmu_invalidate_retry_gfn_unsafe's range test). */
    public boolean inProgressOver(long gfnStart, long gfnEnd) {
        if (inProgress.get() == 0) return false;
        return rangeStart < gfnEnd && gfnStart < rangeEnd;
    }

    /**
     * Whether an invalidation in progress overlaps {@code [gfnStart, gfnEnd)} and zaps entries of
     * {@code scope} ({@link Stage2Table#SCOPE_SHARED} or {@link Stage2Table#SCOPE_PRIVATE}).
     */
    public boolean inProgressOver(long gfnStart, long gfnEnd, int scope) {
        return inProgressOver(gfnStart, gfnEnd) && (rangeScope & scope) != 0;
    }

    /**
     * invalidate_range_start for {@code [gfnStart, gfnEnd)}, <em>under mmu_lock (write)</em> if
     * the runner keeps one: marks the range in progress, then zaps the stage-2 entries
     * {@code scope} reaches in every memslot it overlaps and, for a host-address event, the pfn
     * caches over it, and counts the reclaim flush. Returns the entries zapped.
     *
     * @param hostAddressEvent the event comes through the host page tables (shared memory only);
     *                         false for guest_memfd's own invalidations
     * @param mark             {@link Stage2Table#MARK_REFAULT} or {@link Stage2Table#MARK_UPGRADE}
     */
    long invalidateRangeStart(long gfnStart, long gfnEnd, int scope, boolean hostAddressEvent, int mark) {
        if (gfnStart >= gfnEnd) throw new IllegalArgumentException("empty invalidation range [" + gfnStart + ", " + gfnEnd + ")");
        if (inProgress.get() == 0) {
            rangeStart = gfnStart;
            rangeEnd = gfnEnd;
            rangeScope = scope;
        } else {
            rangeStart = Math.min(rangeStart, gfnStart);
            rangeEnd = Math.max(rangeEnd, gfnEnd);
            rangeScope |= scope;
        }
        inProgress.incrementAndGet();
        invalidations.incrementAndGet();
        // The range is published before any entry is read for zapping: pairs with a fault's install-then-recheck.
        VarHandle.fullFence();
        int zapScope = hostAddressEvent && vm.hasBug(MmuBug.SHARED_EVENT_ZAPS_PRIVATE) ? Stage2Table.SCOPE_ALL : scope;
        boolean foundMemslot = false;
        long zapped = 0;
        long privateZapped = 0;
        for (int i = 0; i < vm.memslotCount(); i++) {
            Memslot slot = vm.memslot(i);
            long from = Math.max(gfnStart, slot.baseGfn());
            long to = Math.min(gfnEnd, slot.baseGfn() + slot.pageCount());
            if (from >= to) continue;
            foundMemslot = true;
            Stage2Table stage2 = slot.stage2();
            for (long gfn = from; gfn < to; gfn++) {
                int removed = stage2.zap(gfn, zapScope, mark);
                zapped += Integer.bitCount(removed);
                if ((removed & Stage2Table.ZAPPED_PRIVATE) != 0) privateZapped++;
            }
        }
        stage2Zapped.addAndGet(zapped);
        if (mark == Stage2Table.MARK_UPGRADE) upgradeZaps.addAndGet(zapped);
        if (hostAddressEvent) {
            // What the event meant to reach is shared memory only: a private entry it removed is a bug.
            if (privateZapped > 0) sharedEventPrivateZaps.addAndGet(privateZapped);
            if (!vm.hasBug(MmuBug.PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE)) invalidateCaches(gfnStart, gfnEnd);
            if (foundMemslot) {
                // kvm_arch_guest_memory_reclaimed, after the zap (and, in KVM, after dropping mmu_lock).
                if (vm.vmType() == VmType.GUEST_MEMFD_PRIVATE) {
                    reclaimFlushesSkipped.incrementAndGet();
                } else {
                    reclaimFlushes.incrementAndGet();
                }
            }
        }
        return zapped;
    }

    /**
     * ->invalidate_range(): the host page of {@code [gfnStart, gfnEnd)} went away (unmapped or
     * replaced), called by the mm right after the PTE change. A protection downgrade keeps the
     * page and does not call it ("[RFC PATCH 0/11] Rework gfn_to_pfn_cache"): KVM invalidates its
     * caches in {@link #invalidateRangeStart}, so this does nothing unless the model carries the
     * bug that thread describes.
     */
    void invalidateRange(long gfnStart, long gfnEnd) {
        if (vm.hasBug(MmuBug.PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE)) invalidateCaches(gfnStart, gfnEnd);
    }

    /** invalidate_range_end, <em>under mmu_lock (write)</em>: mmu_invalidate_seq up, then in_progress down. */
    void invalidateRangeEnd() {
        if (inProgress.get() <= 0) throw new IllegalStateException("invalidate_range_end without a start");
        seq.incrementAndGet();
        inProgress.decrementAndGet();
    }

    /**
     * The notify-on-upgrade variant of "[PATCH] mmu_notifiers: Notify on pte permission
     * upgrades", for the upgrade a write fault's own get_user_pages makes (the host's
     * ptep_set_access_flags): the notification zaps the page's shared entries and bumps the
     * sequence, so faults that looked the page up before it retry (the faulting one included).
     * Callable from any fault, concurrently: it does not touch the range in progress.
     */
    void notifyUpgradeInline(Memslot slot, long gfn) {
        upgradeNotifications.incrementAndGet();
        long zapped = Integer.bitCount(slot.stage2().zap(gfn, Stage2Table.SCOPE_SHARED, Stage2Table.MARK_UPGRADE));
        stage2Zapped.addAndGet(zapped);
        upgradeZaps.addAndGet(zapped);
        invalidateCaches(gfn, gfn + 1);
        seq.incrementAndGet();
    }

    /** Counts an upgrade notification the event path sends (the variant only). */
    void countUpgradeNotification() {
        upgradeNotifications.incrementAndGet();
    }

    /** Invalidates the pfn caches over {@code [gfnStart, gfnEnd)} (a gfn leaving shared memory). */
    void invalidatePfnCaches(long gfnStart, long gfnEnd) {
        invalidateCaches(gfnStart, gfnEnd);
    }

    private void invalidateCaches(long gfnStart, long gfnEnd) {
        PfnCache[] all = caches;
        long n = 0;
        for (PfnCache c : all) n += c.invalidate(gfnStart, gfnEnd);
        if (n > 0) pfnCacheInvalidations.addAndGet(n);
    }

    /** Adds a pfn cache to the ones invalidations reach (kvm->gpc_list). At setup, before the vCPUs run. */
    void register(PfnCache cache) {
        PfnCache[] old = caches;
        PfnCache[] grown = Arrays.copyOf(old, old.length + 1);
        grown[old.length] = cache;
        caches = grown;
    }

    /** The registered pfn caches (a snapshot array; do not modify). */
    PfnCache[] caches() {
        return caches;
    }

    /** invalidate_range_start calls (every event that notified, whatever it zapped). */
    public long invalidations() {
        return invalidations.get();
    }

    /** Stage-2 entries zapped by invalidations (a huge entry counts as one). */
    public long stage2Zapped() {
        return stage2Zapped.get();
    }

    /** Private entries removed by host-address (shared-only) events: must stay 0. */
    public long sharedEventPrivateZaps() {
        return sharedEventPrivateZaps.get();
    }

    /** Valid pfn-cache entries invalidated. */
    public long pfnCacheInvalidations() {
        return pfnCacheInvalidations.get();
    }

    /** kvm_arch_guest_memory_reclaimed flushes done (a host-address event that found a memslot). */
    public long reclaimFlushes() {
        return reclaimFlushes.get();
    }

    /** Those flushes skipped because every private page lives in guest_memfd ({@link VmType#GUEST_MEMFD_PRIVATE}). */
    public long reclaimFlushesSkipped() {
        return reclaimFlushesSkipped.get();
    }

    /** Permission upgrades that notified (the notify-on-upgrade variant only). */
    public long upgradeNotifications() {
        return upgradeNotifications.get();
    }

    /** Stage-2 entries those upgrade notifications zapped: KVM would have upgraded them lazily instead. */
    public long upgradeZaps() {
        return upgradeZaps.get();
    }
}
