package org.postcopysim.dest.kvm;

/**
 * What kvm_arch_guest_memory_reclaimed must do after a host-address (mmu_notifier) event that
 * found a memslot: the discussion of "[RFC PATCH v12 10/33] KVM: Set the stage for handling only
 * shared mappings in mmu_notifier events" (kernel-background.md §6).
 */
public enum VmType {
    /**
     * Private memory need not live in guest_memfd (as for SEV, whose encrypted memory is ordinary
     * host memory): an hva event may have freed private memory, so every such event that found a
     * memslot flushes caches (WBINVD on all CPUs). The model's default.
     */
    DEFAULT,
    /**
     * Every private page lives in guest_memfd (the thread's SNP case): "barring a KVM bug, the
     * mmu_notifier event can't have freed private memory, even if it did zap SPTEs", so the flush
     * is skipped (guest_memfd flushes what it frees itself).
     */
    GUEST_MEMFD_PRIVATE
}
