package org.postcopysim.dest.kvm;

import java.lang.invoke.VarHandle;
import org.postcopysim.memory.GuestLayout;

/**
 * KVM's stage-2 fault path for one memslot (kernel-background.md §2 to §5): decide from the
 * memslot flags, the userfault bitmap and the host page tables whether the fault exits to
 * userspace or ends on the userfaultfd wait queue, otherwise create a mapping of the largest size
 * the flags and the host mapping allow. No allocation, no exceptions for expected outcomes.
 *
 * <p>The checks on a stage-2 miss, in this order (each is one case of {@link #handle}):
 * <ol>
 *   <li>USERFAULT set and the gfn's userfault bit set: {@link AccessResult#EXIT_MEMORY_FAULT}
 *       with {@link MemoryFaultExit#FLAG_USERFAULT} (§5).</li>
 *   <li>host page not mapped and EXIT_ON_MISSING set: the fast host lookup failed and KVM exits,
 *       {@link AccessResult#EXIT_MEMORY_FAULT} without FLAG_USERFAULT (§4).</li>
 *   <li>host page not mapped otherwise: get_user_pages faults it in and reaches
 *       {@code handle_userfault()}: {@link AccessResult#HOST_FAULT} (§2).</li>
 *   <li>else map: 4 KiB while USERFAULT or dirty logging is on, else 2 MiB when the region lies
 *       inside the memslot and every host page of it is mapped, else 4 KiB.</li>
 * </ol>
 * In every non-mapping case the caller's {@link MemoryFaultExit} is filled (gpa, 4 KiB, READ or
 * WRITE, plus USERFAULT in case 1).
 *
 * <p>A fault that built a mapping re-checks, after a full fence, that neither the memslot flags
 * nor the host mapping changed meanwhile (the model's mmu_invalidate_seq); if either did it drops
 * the mapping and starts over, at most {@link #MAX_FAULT_ATTEMPTS} times.
 */
final class Stage2FaultHandler {
    /** Attempts before giving up with {@link AccessResult#RETRY}; each retry needs a concurrent update. */
    static final int MAX_FAULT_ATTEMPTS = 8;

    private static final long PAGES_PER_HUGE = GuestLayout.PAGES_PER_HUGE_PAGE;

    private Stage2FaultHandler() {
    }

    /** Handles a stage-2 fault on {@code gfn} (inside {@code slot}); returns an {@link AccessResult}. */
    static int handle(Memslot slot, HostPageTable host, long gfn, boolean write, MemoryFaultExit exit) {
        Stage2Table stage2 = slot.stage2();
        long pageIndex = slot.pageIndexOf(gfn);
        for (int attempt = 0; attempt < MAX_FAULT_ATTEMPTS; attempt++) {
            long generation = slot.flagsGeneration();
            int flags = slot.flags();
            if ((flags & MemslotFlags.USERFAULT) != 0 && slot.userfaultBitmap().isSet(slot.indexOf(gfn))) {
                return fillExit(exit, gfn, write, MemoryFaultExit.FLAG_USERFAULT, AccessResult.EXIT_MEMORY_FAULT);
            }
            if (!host.isMapped(pageIndex)) {
                int result = (flags & MemslotFlags.EXIT_ON_MISSING) != 0
                        ? AccessResult.EXIT_MEMORY_FAULT
                        : AccessResult.HOST_FAULT;
                return fillExit(exit, gfn, write, 0, result);
            }
            long regionFirstPage = -1;
            if (allowsHuge(flags) && stage2.hugeCapable(gfn)) {
                long firstPage = slot.pageIndexOf(gfn & ~(PAGES_PER_HUGE - 1));
                if (host.allMapped(firstPage, firstPage + PAGES_PER_HUGE)) regionFirstPage = firstPage;
            }
            if (regionFirstPage >= 0) {
                stage2.mapHuge(gfn);
            } else {
                stage2.map4k(gfn);
            }
            // Our mapping store, then the re-checks: pairs with the updater's store, then zap.
            VarHandle.fullFence();
            boolean hostStillMapped = regionFirstPage >= 0
                    ? host.allMapped(regionFirstPage, regionFirstPage + PAGES_PER_HUGE)
                    : host.isMapped(pageIndex);
            if (slot.flagsGeneration() == generation && hostStillMapped) return AccessResult.MAPPED;
            // The flags changed while we mapped (e.g. USERFAULT 0 -> 1 and its zap ran before our
            // mapping landed), or a host page was unmapped under us: drop what we built under
            // stale state and fault again.
            stage2.unmap(gfn);
        }
        return AccessResult.RETRY;
    }

    /**
     * A KVM-internal access that cannot exit (nested state, pfn caches: kernel-background.md
     * §4 and §5): ignores the userfault bitmap and EXIT_ON_MISSING and goes through the host
     * address, so it creates no stage-2 mapping. {@link AccessResult#HIT} when the host page is
     * mapped, else {@link AccessResult#HOST_FAULT} with {@code exit} filled.
     */
    static int accessInternal(Memslot slot, HostPageTable host, long gfn, boolean write, MemoryFaultExit exit) {
        if (host.isMapped(slot.pageIndexOf(gfn))) return AccessResult.HIT;
        return fillExit(exit, gfn, write, 0, AccessResult.HOST_FAULT);
    }

    private static int fillExit(MemoryFaultExit exit, long gfn, boolean write, long extraFlags, int result) {
        long access = write ? MemoryFaultExit.FLAG_WRITE : MemoryFaultExit.FLAG_READ;
        exit.set(gfn << GuestLayout.PAGE_SHIFT, GuestLayout.PAGE_SIZE_BYTES, access | extraFlags);
        return result;
    }

    /**
     * Whether the flags allow a 2 MiB mapping: not with USERFAULT (a huge mapping could cover
     * gfns whose bits are still set, kernel-background.md §5) nor with dirty logging (KVM tracks
     * 4 KiB pages). The host backing must also be mapped over the whole region; callers check
     * that separately (see {@link #handle} and {@link HugePageRecovery}).
     */
    static boolean allowsHuge(int flags) {
        return (flags & (MemslotFlags.USERFAULT | MemslotFlags.LOG_DIRTY_PAGES)) == 0;
    }
}
