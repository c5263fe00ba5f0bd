package org.postcopysim.dest.kvm;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.memory.GuestLayout;

/**
 * The simulated KVM VM: its memslots, the flags-only memslot update with the KVM Userfault
 * transitions (kernel-background.md §5), the host page tables behind guest memory
 * ({@link HostPageTable}), the vCPU access path through stage-2 (§2 to §5), KVM's internal
 * accesses that cannot exit, and mmu_notifier invalidation (§6).
 *
 * <p>{@link #access}, {@link #accessInternal}, {@link #invalidateGfn} and {@link #unmapHostPage}
 * may run on any number of threads at once and allocate nothing. Memslot updates must be serialized by the caller (KVM's slots_lock); a
 * concurrent second update is rejected. Unlike KVM, an update does not wait for in-flight faults
 * (no SRCU): a fault that read the old flags may briefly hold a mapping after
 * {@link #setMemslotFlags} returns, until its own generation check removes it before it returns.
 */
public final class Vm {
    private final GuestLayout layout;
    private final boolean hugePageRecovery;
    private final HostPageTable host;
    private final Memslot[] memslots;
    private final AtomicBoolean updating = new AtomicBoolean();
    private final AtomicLong zapEvents = new AtomicLong();
    private final AtomicLong mappingsZapped = new AtomicLong();
    private final AtomicLong hugeMappingsRecovered = new AtomicLong();

    /**
     * A VM whose guest memory is fully host-mapped: the KVM Userfault mode, where only the
     * userfault bitmap guards missing pages.
     *
     * @param hugePageRecovery rebuild 2 MiB mappings when USERFAULT is cleared (x86: true;
     *                         arm64: false)
     */
    public Vm(GuestLayout layout, boolean hugePageRecovery) {
        this(layout, hugePageRecovery, HostPageTable.fullyMapped(layout.totalPages()));
    }

    /**
     * A VM over the given host page tables (indexed by dense page index; one bit per page of
     * {@code layout}). Pages the host has not mapped are missing for userfaultfd (MISSING mode)
     * and for {@link MemslotFlags#EXIT_ON_MISSING}.
     *
     * @param hugePageRecovery rebuild 2 MiB mappings when USERFAULT is cleared (x86: true;
     *                         arm64: false)
     * @param host             the host page tables; {@code host.pages()} must equal
     *                         {@code layout.totalPages()}
     */
    public Vm(GuestLayout layout, boolean hugePageRecovery, HostPageTable host) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.host = Objects.requireNonNull(host, "host");
        if (host.pages() != layout.totalPages()) {
            throw new IllegalArgumentException("host page table has " + host.pages()
                    + " pages, the layout " + layout.totalPages());
        }
        this.hugePageRecovery = hugePageRecovery;
        this.memslots = new Memslot[layout.slotCount()];
        for (int i = 0; i < memslots.length; i++) {
            memslots[i] = new Memslot(layout.slot(i));
        }
    }

    public GuestLayout layout() {
        return layout;
    }

    public boolean hugePageRecovery() {
        return hugePageRecovery;
    }

    /** The host page tables behind guest memory (dense page index). */
    public HostPageTable host() {
        return host;
    }

    public int memslotCount() {
        return memslots.length;
    }

    /** Memslot at {@code position} (base-gfn order, as in {@link GuestLayout#slot(int)}). */
    public Memslot memslot(int position) {
        return memslots[position];
    }

    /** The memslot holding {@code gfn}, or null. */
    public Memslot memslotOfGfn(long gfn) {
        int position = layout.slotPositionOfGfn(gfn);
        return position < 0 ? null : memslots[position];
    }

    /**
     * A KVM_MR_FLAGS_ONLY update of the memslot at {@code slotPosition}. USERFAULT 0 -> 1 zaps
     * every stage-2 mapping of the slot (mandatory); USERFAULT 1 -> 0 rebuilds huge mappings
     * when {@link #hugePageRecovery()} is on (over regions whose host pages are all mapped).
     * Toggling EXIT_ON_MISSING needs no zap (see {@link MemslotFlags#EXIT_ON_MISSING}).
     * READONLY and GUEST_MEMFD cannot change (EINVAL).
     *
     * @return mappings zapped (0 -> 1) or huge mappings rebuilt (1 -> 0); 0 otherwise
     */
    public int setMemslotFlags(int slotPosition, int newFlags) {
        if ((newFlags & ~MemslotFlags.ALL) != 0) {
            throw new IllegalArgumentException("unknown memslot flags " + MemslotFlags.describe(newFlags));
        }
        Memslot slot = memslots[Objects.checkIndex(slotPosition, memslots.length)];
        if (!updating.compareAndSet(false, true)) {
            throw new IllegalStateException("concurrent memslot updates: serialize them (KVM's slots_lock)");
        }
        try {
            int oldFlags = slot.flags();
            if (((oldFlags ^ newFlags) & MemslotFlags.IMMUTABLE) != 0) {
                throw new IllegalArgumentException("memslot " + slot.id() + ": cannot change "
                        + MemslotFlags.describe((oldFlags ^ newFlags) & MemslotFlags.IMMUTABLE));
            }
            slot.publishFlags(newFlags);
            if (((oldFlags ^ newFlags) & MemslotFlags.USERFAULT) == 0) return 0;
            if ((newFlags & MemslotFlags.USERFAULT) != 0) {
                // kvm_arch_flush_shadow_memslot, in common code: mapped gfns must not bypass the bitmap.
                long zapped = slot.stage2().zapAll();
                zapEvents.incrementAndGet();
                mappingsZapped.addAndGet(zapped);
                return clampToInt(zapped);
            }
            if (!hugePageRecovery || !Stage2FaultHandler.allowsHuge(newFlags)) return 0;
            long rebuilt = HugePageRecovery.recover(slot, host);
            hugeMappingsRecovered.addAndGet(rebuilt);
            return clampToInt(rebuilt);
        } finally {
            updating.set(false);
        }
    }

    /**
     * One vCPU guest access to {@code gfn} through stage-2. Returns an {@link AccessResult}:
     * {@link AccessResult#HIT}, {@link AccessResult#MAPPED}, {@link AccessResult#EXIT_MEMORY_FAULT}
     * (userfault bit set, or host page missing under EXIT_ON_MISSING),
     * {@link AccessResult#HOST_FAULT} (host page missing, no exit: the userfaultfd wait queue),
     * {@link AccessResult#NO_MEMSLOT} or {@link AccessResult#RETRY}; on the two fault results
     * {@code exit} holds the kvm_run.memory_fault data. Setting a userfault bit does not unmap a
     * gfn that is already mapped: such an access hits.
     */
    public int access(long gfn, boolean write, MemoryFaultExit exit) {
        int position = layout.slotPositionOfGfn(gfn);
        if (position < 0) return AccessResult.NO_MEMSLOT;
        Memslot slot = memslots[position];
        if (slot.stage2().isMapped(gfn)) return AccessResult.HIT;
        return Stage2FaultHandler.handle(slot, host, gfn, write, exit);
    }

    /**
     * An access by KVM itself that cannot exit to userspace (nested virtualization state, pfn
     * caches: kernel-background.md §4 and §5). It goes through the host address: the userfault
     * bitmap and EXIT_ON_MISSING are ignored and no stage-2 mapping is created. Returns
     * {@link AccessResult#HIT} when the host page is mapped, {@link AccessResult#HOST_FAULT}
     * (with {@code exit} filled: the thread sleeps on the userfaultfd wait queue) when it is not,
     * or {@link AccessResult#NO_MEMSLOT} (exit untouched).
     */
    public int accessInternal(long gfn, boolean write, MemoryFaultExit exit) {
        int position = layout.slotPositionOfGfn(gfn);
        if (position < 0) return AccessResult.NO_MEMSLOT;
        return Stage2FaultHandler.accessInternal(memslots[position], host, gfn, write, exit);
    }

    /**
     * An mmu_notifier invalidation of {@code gfn} that leaves the host page in place (page
     * migration, NUMA balancing, a protection change): zaps the stage-2 mapping covering it (a
     * huge mapping whole). The next access refaults and, the page being present (bit clear, host
     * page mapped), is resolved inside KVM ({@link AccessResult#MAPPED}), never by an exit or
     * the network. No-op outside every memslot.
     */
    public void invalidateGfn(long gfn) {
        Memslot slot = memslotOfGfn(gfn);
        if (slot != null) slot.stage2().unmap(gfn);
    }

    /**
     * The host unmaps the page behind {@code gfn} (reclaim, MADV_DONTNEED, QEMU's postcopy
     * discard): clears the host mapping, then the mmu_notifier zaps the stage-2 mapping covering
     * it. The next access is missing again: {@link AccessResult#HOST_FAULT} or, under
     * EXIT_ON_MISSING, an exit. A fault racing this call either sees the host page unmapped or
     * has its mapping zapped or dropped by its own re-check. Returns whether the host page was
     * mapped; false (and nothing done) outside every memslot.
     */
    public boolean unmapHostPage(long gfn) {
        Memslot slot = memslotOfGfn(gfn);
        if (slot == null) return false;
        boolean wasMapped = host.unmap(slot.pageIndexOf(gfn));
        slot.stage2().unmap(gfn);
        return wasMapped;
    }

    /** USERFAULT 0 -> 1 transitions, each a whole-memslot stage-2 flush. */
    public long zapEvents() {
        return zapEvents.get();
    }

    /** Mappings removed by those flushes (a huge mapping counts as one). */
    public long mappingsZapped() {
        return mappingsZapped.get();
    }

    /** Huge mappings rebuilt by USERFAULT 1 -> 0 transitions. */
    public long hugeMappingsRecovered() {
        return hugeMappingsRecovered.get();
    }

    private static int clampToInt(long value) {
        return (int) Math.min(value, Integer.MAX_VALUE);
    }
}
