package org.postcopysim.dest.kvm;

/**
 * Deliberate bugs, each one a kernel mistake one of the threads of kernel-background.md §5 and §6
 * discusses, for the negative controls of {@link MmuInvariants}: a test injects one with
 * {@link Vm#injectBug} (package-private, so only tests of this package can) and shows the
 * invariant that guards against it catches it. Not an option anyone can set on a run.
 */
enum MmuBug {
    /**
     * KVM's pfn caches are invalidated only from ->invalidate_range(), which the mm calls when
     * the old page goes away but not on a protection downgrade: a cache keeps a writable
     * translation of a page that is now read-only ("[RFC PATCH 0/11] Rework gfn_to_pfn_cache").
     */
    PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE,
    /**
     * The KVM_MEM_USERFAULT 0 -> 1 flush is skipped: gfns mapped before it bypass the bitmap
     * ("[PATCH v2 05/13] KVM: x86/mmu: Add support for KVM_MEM_USERFAULT").
     */
    USERFAULT_ENABLE_SKIPS_ZAP,
    /**
     * Host-address (mmu_notifier) events are not marked only_shared and zap private entries too
     * ("[RFC PATCH v12 10/33] KVM: Set the stage for handling only shared mappings in
     * mmu_notifier events").
     */
    SHARED_EVENT_ZAPS_PRIVATE,
    /**
     * A stage-2 fault skips mmu_invalidate_retry: it installs what it looked up even when an
     * invalidation began or ended since its snapshot of mmu_invalidate_seq.
     */
    FAULT_IGNORES_INVALIDATION;

    int bit() {
        return 1 << ordinal();
    }
}
