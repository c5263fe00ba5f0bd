package org.postcopysim.dest.kvm;

import java.lang.invoke.VarHandle;
import org.postcopysim.memory.GuestLayout;

/**
 * x86's {@code kvm_mmu_recover_huge_pages} as run when KVM_MEM_USERFAULT goes 1 -> 0
 * (kernel-background.md §5; the thread "[PATCH v2 05/13] KVM: x86/mmu: Add support for
 * KVM_MEM_USERFAULT"): collapse the 4 KiB mappings of each fully present 2 MiB region into one
 * huge mapping. A region qualifies when it lies entirely inside the memslot, has at
 * least one 4 KiB mapping (recovery only acts on existing SPTEs), all its userfault bits are
 * clear and every host page behind it is mapped (KVM maps huge only over a huge host mapping).
 * arm64 has no such step.
 */
final class HugePageRecovery {
    private static final long PAGES_PER_HUGE = GuestLayout.PAGES_PER_HUGE_PAGE;

    private HugePageRecovery() {
    }

    /** Rebuilds huge mappings in {@code slot}; returns how many were created. */
    static long recover(Memslot slot, HostPageTable host) {
        Stage2Table stage2 = slot.stage2();
        UserfaultBitmap bitmap = slot.userfaultBitmap();
        long base = slot.baseGfn();
        long end = base + slot.pageCount();
        long rebuilt = 0;
        for (long region = (base + PAGES_PER_HUGE - 1) & ~(PAGES_PER_HUGE - 1);
                region + PAGES_PER_HUGE <= end; region += PAGES_PER_HUGE) {
            if (stage2.isHugeMapped(region) || !stage2.anyMapped4kInRegion(region)) continue;
            long index = slot.indexOf(region);
            if (!bitmap.allClearInRange(index, index + PAGES_PER_HUGE)) continue;
            long firstPage = slot.pageIndexOf(region);
            if (!host.allMapped(firstPage, firstPage + PAGES_PER_HUGE)) continue;
            if (!stage2.mapHuge(region)) continue;
            VarHandle.fullFence();
            if (host.allMapped(firstPage, firstPage + PAGES_PER_HUGE)) {
                rebuilt++;
            } else {
                // A host page was unmapped while we collapsed: its zap may have run before our
                // huge mapping landed. Drop it; the region refaults at 4 KiB.
                stage2.unmap(region);
            }
        }
        return rebuilt;
    }
}
