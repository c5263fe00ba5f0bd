package org.postcopysim.dest.kvm;

import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;

/**
 * One KVM memslot ({@code struct kvm_memory_slot}): a run of gfns with its flags, its KVM
 * Userfault bitmap (kernel-background.md §5), its stage-2 table (§6) and, for a memslot created
 * with {@link MemslotFlags#GUEST_MEMFD}, the per-gfn private attribute (KVM_SET_MEMORY_ATTRIBUTES'
 * KVM_MEMORY_ATTRIBUTE_PRIVATE): a private gfn is backed by guest_memfd and has no host virtual
 * address, so no mmu_notifier event can reach it ("[RFC PATCH v12 10/33] KVM: Set the stage for
 * handling only shared mappings in mmu_notifier events").
 *
 * <p>Flags change only through {@link Vm#setMemslotFlags}, which runs the transition work that
 * the thread "[PATCH v2 05/13] KVM: x86/mmu: Add support for KVM_MEM_USERFAULT" settles
 * (kernel-background.md §5). Each change also bumps {@link #flagsGeneration()}, the model's
 * analogue of KVM's memslot generation: a fault that built a mapping under flags that changed
 * meanwhile drops it and retries, and a pfn cache entry filled under older flags is stale. (Host
 * page table changes are tracked apart, by {@link MmuNotifier}'s mmu_invalidate_seq.)
 */
public final class Memslot {
    private final int id;
    private final long baseGfn;
    private final long pageCount;
    private final long firstPageIndex;
    private final UserfaultBitmap userfaultBitmap;
    private final Stage2Table stage2;
    /** The private attribute per gfn (bit set = private); null unless the memslot is guest_memfd-backed. */
    private final AtomicBitmap privateBits;
    private volatile int flags;
    /** Written by the single memslot updater only; read by faulting vCPUs. */
    private volatile long flagsGeneration;

    /** A memslot without flags (no guest_memfd). */
    public Memslot(GuestLayout.Slot slot) {
        this(slot, 0, false);
    }

    /**
     * @param creationFlags flags fixed at creation ({@link MemslotFlags#IMMUTABLE} ones only)
     * @param upgradeMarks  the stage-2 table keeps the refault marks of the notify-on-upgrade variant
     */
    Memslot(GuestLayout.Slot slot, int creationFlags, boolean upgradeMarks) {
        if ((creationFlags & ~MemslotFlags.IMMUTABLE) != 0) {
            throw new IllegalArgumentException("memslot " + slot.id() + ": only " + MemslotFlags.describe(MemslotFlags.IMMUTABLE)
                    + " are fixed at creation, got " + MemslotFlags.describe(creationFlags));
        }
        this.id = slot.id();
        this.baseGfn = slot.baseGfn();
        this.pageCount = slot.pageCount();
        this.firstPageIndex = slot.firstPageIndex();
        this.userfaultBitmap = new UserfaultBitmap(pageCount);
        this.stage2 = new Stage2Table(baseGfn, pageCount, upgradeMarks);
        this.privateBits = (creationFlags & MemslotFlags.GUEST_MEMFD) != 0 ? new AtomicBitmap(pageCount) : null;
        this.flags = creationFlags;
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

    /** Whether the memslot is backed by guest_memfd, so that its gfns can be private. */
    public boolean hasGuestMemfd() {
        return privateBits != null;
    }

    /** Whether {@code gfn} (inside the memslot) is private: guest_memfd memory, no host address. */
    public boolean isPrivate(long gfn) {
        return privateBits != null && privateBits.get(gfn - baseGfn);
    }

    /** Whether any gfn of {@code [fromGfn, toGfnExclusive)} (clipped to the memslot) is private. */
    public boolean anyPrivate(long fromGfn, long toGfnExclusive) {
        if (privateBits == null) return false;
        return !privateBits.allClear(Math.max(fromGfn, baseGfn) - baseGfn, Math.min(toGfnExclusive, baseGfn + pageCount) - baseGfn);
    }

    /** Number of private gfns (a snapshot). */
    public long privateCount() {
        return privateBits == null ? 0 : privateBits.cardinality();
    }

    /** The lowest private gfn at or above {@code fromGfn}, or -1. */
    public long nextPrivate(long fromGfn) {
        if (privateBits == null) return -1;
        long bit = privateBits.nextSet(Math.max(fromGfn, baseGfn) - baseGfn);
        return bit < 0 ? -1 : baseGfn + bit;
    }

    /** Sets the private attribute of {@code gfn}; callers go through {@link Vm}, which invalidates around it. */
    void setPrivate(long gfn, boolean isPrivate) {
        if (privateBits == null) {
            throw new IllegalArgumentException("memslot " + id + " is not backed by guest_memfd: gfn 0x"
                    + Long.toHexString(gfn) + " cannot be private");
        }
        if (isPrivate) privateBits.set(gfn - baseGfn); else privateBits.clear(gfn - baseGfn);
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
