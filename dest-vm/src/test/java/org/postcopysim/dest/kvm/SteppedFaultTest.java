package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;

/**
 * The stage-2 fault in steps, with invalidations interleaved between them: a fault that looked
 * the host page up before an invalidation began, or while one is in progress, retries instead of
 * installing a stale entry (mmu_invalidate_seq / mmu_invalidate_in_progress,
 * kernel-background.md §6). The negative controls are in {@link MmuInvariantsTest}.
 */
class SteppedFaultTest {
    private final MemoryFaultExit exit = new MemoryFaultExit();
    private final Stage2Fault fault = new Stage2Fault();
    private final HostEvent event = new HostEvent();

    /** gfns 0..2047, fully host-mapped, USERFAULT off. */
    private static Vm vm() {
        return new Vm(GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, 2048, 0))), true);
    }

    @Test
    void aFaultThatLookedThePageUpBeforeAReclaimBeganRetriesInsteadOfInstalling() {
        Vm vm = vm();
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 7, true, exit));
        assertTrue(fault.isHuge(), "the region is all read-write");

        vm.hostEventBegin(event.set(HostEvent.RECLAIM, 7, 0));
        assertEquals(1, vm.mmu().inProgress());
        assertEquals(AccessResult.RETRY, vm.faultCommit(fault));
        assertEquals(1, vm.retriedFaults());
        assertFalse(vm.memslot(0).stage2().isMapped(7));

        assertEquals(AccessResult.RETRY, vm.faultBegin(fault, 7, true, exit), "a new fault during the invalidation retries at once");
        assertEquals(AccessResult.RETRY, vm.access(300, false, exit), "as does the one-call path, over the huge region");
        assertEquals(List.of(), MmuInvariants.check(vm), "nothing stale was installed, in progress or not");
        vm.hostEventChange(event);
        assertEquals(List.of(), MmuInvariants.check(vm));
        vm.hostEventEnd(event);

        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 7, false, exit));
        assertFalse(fault.isWritable(), "a read fault swaps the page in read-only");
        assertFalse(fault.isHuge(), "so the region is not all read-write");
        assertEquals(AccessResult.MAPPED, vm.faultCommit(fault));
        assertEquals(1, vm.swapIns());
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void aFaultThatLookedThePageUpBeforeAWholeMigrationRetriesOnTheSequence() {
        Vm vm = vm();
        vm.mprotectReadOnly(1501); // region 1024..1535 is not all read-write: 4 KiB entries
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 1500, true, exit));
        assertFalse(fault.isHuge());
        long seq = fault.seq();

        assertTrue(vm.migrate(1500)); // start, change, end: nothing in progress any more

        assertEquals(0, vm.mmu().inProgress());
        assertEquals(seq + 1, vm.mmu().seq(), "one sequence bump per invalidation");
        assertEquals(AccessResult.RETRY, vm.faultCommit(fault), "the frame it looked up is gone");
        assertEquals(AccessResult.MAPPED, vm.access(1500, true, exit));
        assertEquals(1, vm.memslot(0).stage2().frame(1500));
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void aDowngradeBetweenTheStepsMakesTheWriteFaultRetryNotInstallAWritableEntry() {
        Vm vm = vm();
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 10, true, exit));
        assertTrue(fault.isWritable());

        vm.hostEventBegin(event.set(HostEvent.MPROTECT_RO, 10, 0)); // e.g. soft-dirty clearing
        assertEquals(AccessResult.RETRY, vm.faultCommit(fault));
        vm.hostEventChange(event);
        vm.hostEventEnd(event);

        assertEquals(HostPageTable.READ_ONLY, vm.host().state(10));
        assertFalse(vm.memslot(0).stage2().isMapped(10));
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void anInvalidationOfAnotherRangeInProgressDoesNotMakeTheFaultRetry() {
        Vm vm = vm();
        vm.mprotectReadOnly(1); // region 0..511 is not all read-write: 4 KiB entries
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 5, false, exit));
        assertFalse(fault.isHuge());

        vm.hostEventBegin(event.set(HostEvent.MIGRATE, 1700, 0));
        assertEquals(AccessResult.MAPPED, vm.faultCommit(fault), "gfn 5 is outside the range in progress");
        assertEquals(AccessResult.MAPPED, vm.access(6, false, exit));
        vm.hostEventChange(event);
        vm.hostEventEnd(event);
        assertEquals(0, vm.retriedFaults());
    }

    @Test
    void aHugeFaultRetriesWhenAnInvalidationCoversAnyGfnOfItsRegion() {
        Vm vm = vm();
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 1100, false, exit));
        assertTrue(fault.isHuge());

        vm.hostEventBegin(event.set(HostEvent.MIGRATE, 1535, 0)); // last gfn of region 1024..1535
        assertEquals(AccessResult.RETRY, vm.faultCommit(fault));
        vm.hostEventChange(event);
        vm.hostEventEnd(event);
        assertEquals(AccessResult.MAPPED, vm.access(1100, false, exit));
        assertTrue(vm.memslot(0).stage2().isHugeMapped(1100));
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void aStepThatFindsAPermittedEntryReportsAHitAndTheExitPathsAreTheSameAsTheOneCallPath() {
        Vm vm = vm();
        vm.access(3, true, exit);
        assertEquals(AccessResult.HIT, vm.faultBegin(fault, 3, true, exit));
        assertEquals(AccessResult.NO_MEMSLOT, vm.faultBegin(fault, 5000, true, exit));
        vm.memslot(0).userfaultBitmap().set(700);
        vm.setMemslotFlags(0, MemslotFlags.USERFAULT);
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.faultBegin(fault, 700, false, exit));
        assertEquals(MemoryFaultExit.FLAG_READ | MemoryFaultExit.FLAG_USERFAULT, exit.flags());
    }

    @Test
    void aFlagsChangeBetweenTheStepsMakesTheCommitRetryAsBefore() {
        Vm vm = vm();
        vm.memslot(0).userfaultBitmap().setAll();
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 9, false, exit));
        vm.setMemslotFlags(0, MemslotFlags.USERFAULT);
        assertEquals(AccessResult.RETRY, vm.faultCommit(fault));
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(9, false, exit));
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    /**
     * vCPU threads fault through the one-call path (no lock) while the main thread runs host
     * events of every kind over the same pages; once quiescent, every invariant holds. Without
     * the re-check after the install (drop the second {@code stale} test in
     * Stage2FaultHandler.commit) this finds stale entries within a few rounds.
     */
    @Test
    void noInvariantBreaksWhileLockFreeFaultsRaceHostEvents() throws InterruptedException {
        long pages = 2048;
        Vm vm = vm();
        int[] kinds = {HostEvent.RECLAIM, HostEvent.MIGRATE, HostEvent.MPROTECT_RO, HostEvent.MPROTECT_RW};
        for (int round = 0; round < 200; round++) {
            int seed = round;
            Concurrently.run("vcpu", 2, t -> {
                MemoryFaultExit own = new MemoryFaultExit();
                for (int pass = 0; pass < 2; pass++) {
                    for (long gfn = t; gfn < pages; gfn += 2) {
                        int r = vm.access(gfn, ((gfn + pass) & 1) == 0, own);
                        if (r != AccessResult.MAPPED && r != AccessResult.HIT && r != AccessResult.RETRY) {
                            throw new AssertionError("gfn " + gfn + ": " + AccessResult.name(r));
                        }
                    }
                }
            }, () -> {
                HostEvent e = new HostEvent();
                for (long i = 0; i < pages / 4; i++) {
                    long gfn = (i * 37 + seed * 11L) % pages;
                    vm.apply(e.set(kinds[(int) ((i + seed) % kinds.length)], gfn, 0));
                }
            });
            List<String> violations = MmuInvariants.check(vm);
            assertEquals(List.of(), violations, "round " + round);
        }
        assertTrue(vm.invalidations() > 0 && vm.localRefaults() > 0);
    }
}
