/**
 * The simulated KVM of the destination: memslots with their flags, the KVM Userfault bitmap,
 * the stage-2 (secondary MMU) table and the vCPU access / stage-2 fault path
 * (mechanisms.md sections 3, 5 and 6; seed 000_2dd5ad37d1e82af3.txt).
 *
 * <p>Everything here is plain data and methods: no clock, no sleeping, no threads, no blocking
 * locks. Per-page state is kept in {@code long[]} bitmaps updated through VarHandles, so vCPU
 * threads (or a virtual-time simulator) can drive the model concurrently. The caller decides
 * how a vCPU waits after {@link org.postcopysim.dest.kvm.AccessResult#EXIT_MEMORY_FAULT}.
 *
 * <p>Data path: {@link org.postcopysim.dest.kvm.Vm#access} looks up the
 * {@link org.postcopysim.dest.kvm.Memslot}; a hit in its
 * {@link org.postcopysim.dest.kvm.Stage2Table} touches memory; a miss is a stage-2 fault that
 * either exits (userfault bit set) or creates a 4 KiB or 2 MiB mapping.
 */
package org.postcopysim.dest.kvm;
