package org.postcopysim.dest.kvm;

import org.postcopysim.memory.GuestLayout;

/**
 * KVM's stage-2 fault path for one memslot (mechanisms.md sections 3 and 5): decide from the
 * memslot flags whether the fault exits to userspace, otherwise create a mapping of the largest
 * size the flags allow. No allocation, no exceptions for expected outcomes.
 *
 * <p>Each flag that can make a fault exit is one case of {@link #exitFlags}; exit-on-missing and
 * the userfaultfd modes add their cases there.
 */
final class Stage2FaultHandler {
    /** Attempts before giving up with {@link AccessResult#RETRY}; each retry needs a flags update. */
    static final int MAX_FAULT_ATTEMPTS = 8;

    private Stage2FaultHandler() {
    }

    /** Handles a stage-2 fault on {@code gfn} (inside {@code slot}); returns an {@link AccessResult}. */
    static int handle(Memslot slot, long gfn, boolean write, MemoryFaultExit exit) {
        Stage2Table stage2 = slot.stage2();
        for (int attempt = 0; attempt < MAX_FAULT_ATTEMPTS; attempt++) {
            long generation = slot.flagsGeneration();
            int flags = slot.flags();
            long exitFlags = exitFlags(slot, flags, gfn);
            if (exitFlags != 0) {
                long access = write ? MemoryFaultExit.FLAG_WRITE : MemoryFaultExit.FLAG_READ;
                exit.set(gfn << GuestLayout.PAGE_SHIFT, GuestLayout.PAGE_SIZE_BYTES, access | exitFlags);
                return AccessResult.EXIT_MEMORY_FAULT;
            }
            if (allowsHuge(flags) && stage2.hugeCapable(gfn)) {
                stage2.mapHuge(gfn);
            } else {
                stage2.map4k(gfn);
            }
            if (slot.flagsGeneration() == generation) return AccessResult.MAPPED;
            // The flags changed while we mapped (e.g. USERFAULT 0 -> 1 and its zap ran before our
            // mapping landed): drop what we built under stale flags and fault again.
            stage2.unmap(gfn);
        }
        return AccessResult.RETRY;
    }

    /** Exit flags of {@link MemoryFaultExit} when a memslot flag makes this fault exit, else 0. */
    private static long exitFlags(Memslot slot, int flags, long gfn) {
        for (int rest = flags; rest != 0; rest &= rest - 1) {
            switch (Integer.lowestOneBit(rest)) {
                case MemslotFlags.USERFAULT:
                    if (slot.userfaultBitmap().isSet(slot.indexOf(gfn))) return MemoryFaultExit.FLAG_USERFAULT;
                    break;
                default:
                    // LOG_DIRTY_PAGES, READONLY, GUEST_MEMFD: no exit from this path.
                    break;
            }
        }
        return 0;
    }

    /**
     * Whether the flags allow a 2 MiB mapping: not with USERFAULT (a huge mapping could cover
     * gfns whose bits are still set, seed 000) nor with dirty logging (KVM tracks 4 KiB pages).
     * The host backing is modelled as always huge-page capable.
     */
    static boolean allowsHuge(int flags) {
        return (flags & (MemslotFlags.USERFAULT | MemslotFlags.LOG_DIRTY_PAGES)) == 0;
    }
}
