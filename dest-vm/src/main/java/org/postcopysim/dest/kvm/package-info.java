/**
 * The simulated KVM of the destination: memslots with their flags, the KVM Userfault bitmap,
 * the host page tables behind guest memory, the stage-2 (secondary MMU) table and the vCPU
 * access / stage-2 fault path (kernel-background.md §2 to §6).
 *
 * <p>Everything here is plain data and methods: no clock, no sleeping, no threads, no blocking
 * locks. Per-page state is kept in {@code long[]} bitmaps updated through VarHandles, so vCPU
 * threads (or a virtual-time simulator) can drive the model concurrently. The caller decides
 * how a vCPU waits after {@link org.postcopysim.dest.kvm.AccessResult#EXIT_MEMORY_FAULT} or
 * {@link org.postcopysim.dest.kvm.AccessResult#HOST_FAULT} (the userfaultfd wait queue,
 * modelled in {@code org.postcopysim.dest.uffd}).
 *
 * <p>Data path: {@link org.postcopysim.dest.kvm.Vm#access} looks up the
 * {@link org.postcopysim.dest.kvm.Memslot}; a hit in its
 * {@link org.postcopysim.dest.kvm.Stage2Table} touches memory; a miss is a stage-2 fault that
 * exits (userfault bit set under KVM_MEM_USERFAULT; host page missing under
 * KVM_MEM_EXIT_ON_MISSING), ends in handle_userfault (host page missing otherwise:
 * {@code HOST_FAULT}), or creates a 4 KiB or 2 MiB mapping. The three fault modes differ only
 * in the memslot flags and in which pages {@link org.postcopysim.dest.kvm.HostPageTable} maps:
 * all of them for KVM Userfault, only the arrived ones for userfaultfd and exit-on-missing.
 */
package org.postcopysim.dest.kvm;
