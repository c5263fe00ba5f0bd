package org.postcopysim.dest.kvm;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.memory.GuestLayout;

/**
 * The simulated KVM VM: its memslots, the flags-only memslot update with the KVM Userfault
 * transitions of seed 000, the vCPU access path through stage-2 (mechanisms.md sections 3, 5)
 * and mmu_notifier invalidation (section 6).
 *
 * <p>{@link #access} and {@link #invalidateGfn} may run on any number of threads at once and
 * allocate nothing. Memslot updates must be serialized by the caller (KVM's slots_lock); a
 * concurrent second update is rejected. Unlike KVM, an update does not wait for in-flight faults
 * (no SRCU): a fault that read the old flags may briefly hold a mapping after
 * {@link #setMemslotFlags} returns, until its own generation check removes it before it returns.
 */
public final class Vm {
    private final GuestLayout layout;
    private final boolean hugePageRecovery;
    private final Memslot[] memslots;
    private final AtomicBoolean updating = new AtomicBoolean();
    private final AtomicLong zapEvents = new AtomicLong();
    private final AtomicLong mappingsZapped = new AtomicLong();
    private final AtomicLong hugeMappingsRecovered = new AtomicLong();

    /**
     * @param hugePageRecovery rebuild 2 MiB mappings when USERFAULT is cleared (x86: true;
     *                         arm64: false)
     */
    public Vm(GuestLayout layout, boolean hugePageRecovery) {
        this.layout = Objects.requireNonNull(layout, "layout");
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
     * when {@link #hugePageRecovery()} is on. READONLY and GUEST_MEMFD cannot change (EINVAL).
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
            long rebuilt = HugePageRecovery.recover(slot);
            hugeMappingsRecovered.addAndGet(rebuilt);
            return clampToInt(rebuilt);
        } finally {
            updating.set(false);
        }
    }

    /**
     * One vCPU guest access to {@code gfn} through stage-2. Returns an {@link AccessResult};
     * on {@link AccessResult#EXIT_MEMORY_FAULT} {@code exit} holds the kvm_run.memory_fault data.
     * Setting a userfault bit does not unmap a gfn that is already mapped: such an access hits.
     */
    public int access(long gfn, boolean write, MemoryFaultExit exit) {
        int position = layout.slotPositionOfGfn(gfn);
        if (position < 0) return AccessResult.NO_MEMSLOT;
        Memslot slot = memslots[position];
        if (slot.stage2().isMapped(gfn)) return AccessResult.HIT;
        return Stage2FaultHandler.handle(slot, gfn, write, exit);
    }

    /**
     * An mmu_notifier invalidation of {@code gfn}: zaps the stage-2 mapping covering it (a huge
     * mapping whole). The next access refaults; a gfn whose bit is clear is then resolved
     * inside KVM ({@link AccessResult#MAPPED}), never by an exit. No-op outside every memslot.
     */
    public void invalidateGfn(long gfn) {
        Memslot slot = memslotOfGfn(gfn);
        if (slot != null) slot.stage2().unmap(gfn);
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
