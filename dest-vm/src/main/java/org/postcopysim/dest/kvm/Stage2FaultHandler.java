package org.postcopysim.dest.kvm;

import java.lang.invoke.VarHandle;
import org.postcopysim.memory.GuestLayout;

/**
 * KVM's stage-2 fault path for one memslot (kernel-background.md §2 to §6), in the two steps a
 * runner can interleave other work between: {@link #begin} (snapshot mmu_invalidate_seq, decide
 * whether the fault exits, ends on the userfaultfd wait queue, or can map, and look the host page
 * up) and {@link #commit} (mmu_invalidate_retry, then install with permissions no greater than
 * the host's). KVM takes mmu_lock between the two; see {@link MmuNotifier} for why the model is
 * correct without it. No allocation, no exceptions for expected outcomes.
 *
 * <p>The checks of {@link #begin} on a stage-2 miss, in this order:
 * <ol>
 *   <li>USERFAULT set and the gfn's userfault bit set: {@link AccessResult#EXIT_MEMORY_FAULT}
 *       with {@link MemoryFaultExit#FLAG_USERFAULT}, plus {@link MemoryFaultExit#FLAG_PRIVATE} on
 *       private memory (§5).</li>
 *   <li>an invalidation of the gfn in progress: {@link AccessResult#RETRY} before touching the
 *       host (mmu_invalidate_retry_gfn_unsafe).</li>
 *   <li>private gfn: guest_memfd provides the page, writable; no host lookup.</li>
 *   <li>host PTE none: {@link AccessResult#EXIT_MEMORY_FAULT} without FLAG_USERFAULT under
 *       EXIT_ON_MISSING (§4), else get_user_pages reaches {@code handle_userfault()}:
 *       {@link AccessResult#HOST_FAULT} (§2).</li>
 *   <li>EXIT_ON_MISSING and the fast lookup fails (swapped out, or a write to a read-only page):
 *       an exit; userspace populates (§4).</li>
 *   <li>otherwise get_user_pages faults the page in: swap-in, breaking write protection for a
 *       write (an upgrade, which notifies nothing unless the notify-on-upgrade variant is on).</li>
 *   <li>then the entry: writable iff the host page is writable (KVM maps writable on a read fault
 *       when it can), 2 MiB when the flags allow, the region lies inside the memslot, has no
 *       private gfn and every host page of it is read-write, else 4 KiB.</li>
 * </ol>
 * In every non-mapping case the caller's {@link MemoryFaultExit} is filled (gpa, 4 KiB, READ or
 * WRITE, plus the flags above).
 *
 * <p>{@link #commit} checks mmu_invalidate_retry over the range the entry covers and the memslot
 * flags generation, installs, then (after a full fence) checks both again, dropping the entry if
 * either changed meanwhile: the re-check is what makes the one-call path safe without mmu_lock.
 * A commit that makes a read-only 4 KiB entry writable is a lazy upgrade.
 */
final class Stage2FaultHandler {
    /** Attempts of the one-call path before it gives up with {@link AccessResult#RETRY}. */
    static final int MAX_FAULT_ATTEMPTS = 8;

    private static final long PAGES_PER_HUGE = GuestLayout.PAGES_PER_HUGE_PAGE;

    private Stage2FaultHandler() {
    }

    /** The one-call fault: {@link #begin} and {@link #commit}, retried on a lost race; returns an {@link AccessResult}. */
    static int handle(Vm vm, Memslot slot, long gfn, boolean write, MemoryFaultExit exit, Stage2Fault f) {
        for (int attempt = 0; attempt < MAX_FAULT_ATTEMPTS; attempt++) {
            int r = begin(vm, slot, gfn, write, exit, f);
            if (r != AccessResult.FAULT_IN) return r;
            if (commit(vm, f) == AccessResult.MAPPED) return AccessResult.MAPPED;
        }
        return AccessResult.RETRY;
    }

    /** Step (a): see the class comment. Returns {@link AccessResult#FAULT_IN} when {@link #commit} must follow. */
    static int begin(Vm vm, Memslot slot, long gfn, boolean write, MemoryFaultExit exit, Stage2Fault f) {
        Stage2Table stage2 = slot.stage2();
        if (stage2.permits(gfn, write)) return AccessResult.HIT;
        MmuNotifier mmu = vm.mmu();
        f.slot = slot;
        f.gfn = gfn;
        f.write = write;
        f.seq = mmu.seq(); // before anything is looked up
        f.generation = slot.flagsGeneration();
        int flags = slot.flags();
        boolean isPrivate = slot.isPrivate(gfn);
        f.privateFault = isPrivate;
        long privateFlag = isPrivate ? MemoryFaultExit.FLAG_PRIVATE : 0;
        if ((flags & MemslotFlags.USERFAULT) != 0 && slot.userfaultBitmap().isSet(slot.indexOf(gfn))) {
            return fillExit(exit, gfn, write, MemoryFaultExit.FLAG_USERFAULT | privateFlag, AccessResult.EXIT_MEMORY_FAULT);
        }
        if (!vm.hasBug(MmuBug.FAULT_IGNORES_INVALIDATION) && mmu.inProgressOver(gfn, gfn + 1)) {
            vm.countRetriedFault();
            return AccessResult.RETRY;
        }
        long pageIndex = slot.pageIndexOf(gfn);
        f.pageIndex = pageIndex;
        f.rangeStart = gfn;
        f.rangeEnd = gfn + 1;
        f.huge = false;
        if (isPrivate) {
            f.writable = true;
            f.frame = 0;
            return AccessResult.FAULT_IN;
        }
        HostPageTable host = vm.host();
        int state = host.state(pageIndex);
        boolean exitOnMissing = (flags & MemslotFlags.EXIT_ON_MISSING) != 0;
        if (state == HostPageTable.NONE) {
            return fillExit(exit, gfn, write, 0, exitOnMissing ? AccessResult.EXIT_MEMORY_FAULT : AccessResult.HOST_FAULT);
        }
        if (exitOnMissing) {
            // Only the fast, non-sleeping lookup: anything that would need the host's fault handler exits.
            if (state == HostPageTable.SWAPPED || (write && state != HostPageTable.READ_WRITE)) {
                return fillExit(exit, gfn, write, 0, AccessResult.EXIT_MEMORY_FAULT);
            }
        } else {
            state = vm.hostFaultIn(slot, gfn, pageIndex, write);
            if (state == HostPageTable.NONE) return fillExit(exit, gfn, write, 0, AccessResult.HOST_FAULT);
            if ((state & 1) == 0 || (write && state != HostPageTable.READ_WRITE)) {
                vm.countRetriedFault(); // reclaimed or write-protected again under us: get_user_pages retries
                return AccessResult.RETRY;
            }
        }
        f.writable = state == HostPageTable.READ_WRITE;
        f.frame = host.frame(pageIndex);
        if (f.writable && allowsHuge(flags) && stage2.hugeCapable(gfn)) {
            long region = gfn & ~(PAGES_PER_HUGE - 1);
            long firstPage = slot.pageIndexOf(region);
            if (!slot.anyPrivate(region, region + PAGES_PER_HUGE) && host.allWritable(firstPage, firstPage + PAGES_PER_HUGE)) {
                f.huge = true;
                f.frame = host.frameSignature(firstPage, firstPage + PAGES_PER_HUGE);
                f.rangeStart = region;
                f.rangeEnd = region + PAGES_PER_HUGE;
            }
        }
        return AccessResult.FAULT_IN;
    }

    /** Steps (c) and (d): {@link AccessResult#MAPPED}, or {@link AccessResult#RETRY} with nothing kept. */
    static int commit(Vm vm, Stage2Fault f) {
        Memslot slot = f.slot;
        Stage2Table stage2 = slot.stage2();
        if (stale(vm, f)) {
            vm.countRetriedFault();
            return AccessResult.RETRY;
        }
        // A write fault on a read-only 4 KiB entry: KVM makes it writable in place (or maps the region huge).
        boolean upgrade = f.writable && stage2.isMapped4k(f.gfn) && !stage2.isWritable(f.gfn);
        if (f.huge) {
            stage2.installHuge(f.gfn, f.frame);
        } else {
            stage2.install4k(f.gfn, f.writable, f.frame, f.privateFault);
        }
        // Our install, then the re-checks: pairs with an invalidation's publish, then zap.
        VarHandle.fullFence();
        if (stale(vm, f)) {
            // An invalidation began or ended since we looked the page up (its zap may have run
            // before our entry landed), or the flags changed (e.g. USERFAULT 0 -> 1): drop it.
            stage2.unmap(f.gfn);
            vm.countRetriedFault();
            return AccessResult.RETRY;
        }
        if (upgrade) vm.countLazyUpgrade();
        if (stage2.takeRefault(f.gfn, f.huge)) vm.countLocalRefault();
        if (stage2.takeUpgradeRefault(f.gfn, f.huge)) vm.countUpgradeRefault();
        return AccessResult.MAPPED;
    }

    private static boolean stale(Vm vm, Stage2Fault f) {
        if (f.slot.flagsGeneration() != f.generation) return true;
        return !vm.hasBug(MmuBug.FAULT_IGNORES_INVALIDATION) && vm.mmu().retry(f.seq, f.rangeStart, f.rangeEnd);
    }

    /**
     * A KVM-internal access that cannot exit and uses no cache (kernel-background.md §4 and §5):
     * ignores the userfault bitmap and EXIT_ON_MISSING and goes through the host address, so it
     * creates no stage-2 mapping. {@link AccessResult#HIT} when the host page is (or is faulted
     * in) mapped with the access's permission, {@link AccessResult#HOST_FAULT} with {@code exit}
     * filled when its PTE is none, {@link AccessResult#RETRY} when it changed under the fault-in.
     */
    static int accessInternal(Vm vm, Memslot slot, long gfn, boolean write, MemoryFaultExit exit) {
        long pageIndex = slot.pageIndexOf(gfn);
        int state = vm.host().state(pageIndex);
        if (state == HostPageTable.READ_WRITE || (state == HostPageTable.READ_ONLY && !write)) return AccessResult.HIT;
        if (state == HostPageTable.NONE) return fillExit(exit, gfn, write, 0, AccessResult.HOST_FAULT);
        state = vm.hostFaultIn(slot, gfn, pageIndex, write);
        if (state == HostPageTable.READ_WRITE || (state == HostPageTable.READ_ONLY && !write)) return AccessResult.HIT;
        if (state == HostPageTable.NONE) return fillExit(exit, gfn, write, 0, AccessResult.HOST_FAULT);
        return AccessResult.RETRY;
    }

    private static int fillExit(MemoryFaultExit exit, long gfn, boolean write, long extraFlags, int result) {
        long access = write ? MemoryFaultExit.FLAG_WRITE : MemoryFaultExit.FLAG_READ;
        exit.set(gfn << GuestLayout.PAGE_SHIFT, GuestLayout.PAGE_SIZE_BYTES, access | extraFlags);
        return result;
    }

    /**
     * Whether the flags allow a 2 MiB mapping: not with USERFAULT (a huge mapping could cover
     * gfns whose bits are still set, kernel-background.md §5) nor with dirty logging (KVM tracks
     * 4 KiB pages). The host backing must also be read-write over the whole region and no gfn of
     * it private; callers check that separately (see {@link #begin} and {@link HugePageRecovery}).
     */
    static boolean allowsHuge(int flags) {
        return (flags & (MemslotFlags.USERFAULT | MemslotFlags.LOG_DIRTY_PAGES)) == 0;
    }
}
