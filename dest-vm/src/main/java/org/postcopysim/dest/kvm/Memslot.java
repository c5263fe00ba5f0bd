package org.postcopysim.dest.kvm;

import org.postcopysim.memory.GuestLayout;

/**
 * One KVM memslot ({@code struct kvm_memory_slot}): a run of gfns with its flags, its KVM
 * Userfault bitmap (kernel-background.md §5) and its stage-2 table (§6).
 *
 * <p>Flags change only through {@link Vm#setMemslotFlags}, which runs the transition work that
 * the thread "[PATCH v2 05/13] KVM: x86/mmu: Add support for KVM_MEM_USERFAULT" settles
 * (kernel-background.md §5). Each change also bumps {@link #flagsGeneration()}, the model's
 * analogue of KVM's memslot generation / mmu_invalidate_seq: a fault that built a mapping under
 * flags that changed meanwhile drops it and retries.
 */
public final class Memslot {
    private final int id;
    private final long baseGfn;
    private final long pageCount;
    private final long firstPageIndex;
    private final UserfaultBitmap userfaultBitmap;
    private final Stage2Table stage2;
    private volatile int flags;
    /** Written by the single memslot updater only; read by faulting vCPUs. */
    private volatile long flagsGeneration;

    public Memslot(GuestLayout.Slot slot) {
        this.id = slot.id();
        this.baseGfn = slot.baseGfn();
        this.pageCount = slot.pageCount();
        this.firstPageIndex = slot.firstPageIndex();
        this.userfaultBitmap = new UserfaultBitmap(pageCount);
        this.stage2 = new Stage2Table(baseGfn, pageCount);
    }

    /** The memslot id (KVM's slot number). */
    public int id() {
        return id;
    }

    public long baseGfn() {
        return baseGfn;
    }

    public long pageCount() {
        return pageCount;
    }

    /** Dense page index (see {@link GuestLayout}) of {@link #baseGfn()}. */
    public long firstPageIndex() {
        return firstPageIndex;
    }

    /** Current {@link MemslotFlags} (volatile read). */
    public int flags() {
        return flags;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) == flag;
    }

    public UserfaultBitmap userfaultBitmap() {
        return userfaultBitmap;
    }

    public Stage2Table stage2() {
        return stage2;
    }

    public boolean containsGfn(long gfn) {
        return gfn >= baseGfn && gfn - baseGfn < pageCount;
    }

    /** Offset of {@code gfn} from the base: its bit in the userfault bitmap. */
    public long indexOf(long gfn) {
        return gfn - baseGfn;
    }

    /** Dense page index of {@code gfn}. */
    public long pageIndexOf(long gfn) {
        return firstPageIndex + (gfn - baseGfn);
    }

    /** Bumped after every flags change; see the class comment. */
    long flagsGeneration() {
        return flagsGeneration;
    }

    /** Publishes new flags, then a new generation. Single writer: {@link Vm#setMemslotFlags}. */
    void publishFlags(int newFlags) {
        flags = newFlags;
        flagsGeneration = flagsGeneration + 1;
    }

    @Override
    public String toString() {
        return "Memslot{id=" + id + ", baseGfn=" + baseGfn + ", pages=" + pageCount
                + ", flags=" + MemslotFlags.describe(flags) + '}';
    }
}
