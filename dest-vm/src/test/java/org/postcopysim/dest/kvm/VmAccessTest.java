package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;

/** The vCPU access path: stage-2 hit, fault handled in KVM, KVM_EXIT_MEMORY_FAULT. */
class VmAccessTest {
    private static final long SLOT1_BASE = 10_000;
    private final MemoryFaultExit exit = new MemoryFaultExit();

    /** Slot 0: gfns 0..1023; a gap; slot 1: gfns 10000..10999 (unaligned base). */
    private static Vm postcopyVm() {
        Vm vm = new Vm(GuestLayout.of(List.of(
                new GuestLayout.Slot(7, SLOT1_BASE, 1000, 0),
                new GuestLayout.Slot(3, 0, 1024, 0))), true);
        for (int i = 0; i < vm.memslotCount(); i++) {
            vm.memslot(i).userfaultBitmap().setAll();
            vm.setMemslotFlags(i, MemslotFlags.USERFAULT);
        }
        return vm;
    }

    @Test
    void accessToAGfnWhoseBitIsSetExitsWithMemoryFaultData() {
        Vm vm = postcopyVm();
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(5, false, exit));
        assertEquals(5L << 12, exit.gpa());
        assertEquals(5, exit.gfn());
        assertEquals(4096, exit.size());
        assertEquals(MemoryFaultExit.FLAG_READ | MemoryFaultExit.FLAG_USERFAULT, exit.flags());

        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(6, true, exit));
        assertEquals(6L << 12, exit.gpa());
        assertEquals(MemoryFaultExit.FLAG_WRITE | MemoryFaultExit.FLAG_USERFAULT, exit.flags());
        assertFalse(vm.memslot(0).stage2().isMapped(6), "an exit maps nothing");
    }

    @Test
    void afterTheBitIsClearedTheSameAccessMaps4kThenHits() {
        Vm vm = postcopyVm();
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(5, true, exit));
        assertTrue(vm.memslot(0).userfaultBitmap().clear(5));
        assertEquals(AccessResult.MAPPED, vm.access(5, true, exit));
        assertEquals(AccessResult.HIT, vm.access(5, true, exit));
        assertEquals(1, vm.memslot(0).stage2().mapped4kCount());
        assertEquals(0, vm.memslot(0).stage2().mappedHugeCount());
    }

    @Test
    void settingTheBitOfAnAlreadyMappedGfnDoesNotUnmapIt() {
        Vm vm = postcopyVm();
        vm.memslot(0).userfaultBitmap().clear(9);
        assertEquals(AccessResult.MAPPED, vm.access(9, false, exit));
        vm.memslot(0).userfaultBitmap().set(9);
        assertEquals(AccessResult.HIT, vm.access(9, false, exit));
    }

    @Test
    void aGfnOutsideEveryMemslotReturnsNoMemslotAndLeavesTheExitUntouched() {
        Vm vm = postcopyVm();
        exit.set(123, 4, MemoryFaultExit.FLAG_EXEC);
        for (long gfn : new long[] {1024, 5000, SLOT1_BASE - 1, SLOT1_BASE + 1000, -1}) {
            assertEquals(AccessResult.NO_MEMSLOT, vm.access(gfn, true, exit));
            assertNull(vm.memslotOfGfn(gfn));
        }
        assertEquals(123, exit.gpa());
        assertEquals(MemoryFaultExit.FLAG_EXEC, exit.flags());
        vm.invalidateGfn(5000); // no-op
    }

    @Test
    void aSecondMemslotAfterAGapUsesItsOwnBaseForTheBitmapAndTheExit() {
        Vm vm = postcopyVm();
        Memslot slot1 = vm.memslot(1);
        assertSame(slot1, vm.memslotOfGfn(SLOT1_BASE + 5));
        assertEquals(7, slot1.id());
        assertEquals(1024, slot1.firstPageIndex());
        assertEquals(1024 + 5, slot1.pageIndexOf(SLOT1_BASE + 5));
        slot1.userfaultBitmap().clear(4);

        assertEquals(AccessResult.MAPPED, vm.access(SLOT1_BASE + 4, false, exit));
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(SLOT1_BASE + 5, false, exit));
        assertEquals((SLOT1_BASE + 5) << 12, exit.gpa());
        assertEquals(SLOT1_BASE + 5, exit.gfn());
        assertFalse(vm.memslot(0).stage2().isMapped(4), "slot 0 is independent");
    }

    @Test
    void withUserfaultOffFaultsMapHugeWhenTheRegionIsInsideTheSlotElse4k() {
        Vm vm = new Vm(GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0, 1024, 0),
                new GuestLayout.Slot(1, SLOT1_BASE, 1000, 0))), true);
        vm.memslot(0).userfaultBitmap().setAll(); // ignored while the flag is off
        assertEquals(AccessResult.MAPPED, vm.access(700, false, exit));
        assertTrue(vm.memslot(0).stage2().isHugeMapped(512));
        assertEquals(AccessResult.HIT, vm.access(1023, false, exit));
        assertEquals(AccessResult.MAPPED, vm.access(SLOT1_BASE, false, exit)); // region 9728.. crosses the base
        assertEquals(1, vm.memslot(1).stage2().mapped4kCount());
        assertEquals(AccessResult.MAPPED, vm.access(10_300, false, exit)); // region 10240..10751 inside
        assertEquals(1, vm.memslot(1).stage2().mappedHugeCount());
    }

    @Test
    void invalidateGfnOfAPresentPageRefaultsAsMappedNeverAsAnExit() {
        Vm vm = postcopyVm();
        vm.memslot(0).userfaultBitmap().clear(42);
        assertEquals(AccessResult.MAPPED, vm.access(42, false, exit));
        exit.clear();

        vm.invalidateGfn(42);

        assertFalse(vm.memslot(0).stage2().isMapped(42));
        assertEquals(AccessResult.MAPPED, vm.access(42, true, exit));
        assertEquals(0, exit.flags(), "no exit was prepared");
        assertEquals(AccessResult.HIT, vm.access(42, true, exit));
    }

    @Test
    void invalidateGfnUnderAHugeMappingZapsTheWholeRegionWhichRefaultsLocally() {
        Vm vm = new Vm(GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, 1024, 0))), true);
        vm.access(0, false, exit);
        vm.invalidateGfn(100);
        assertFalse(vm.memslot(0).stage2().isMapped(0));
        assertEquals(AccessResult.MAPPED, vm.access(300, false, exit));
        assertEquals(AccessResult.HIT, vm.access(0, false, exit));
    }

    @Test
    void noMappingSurvivesAUserfaultEnableThatRacesWithFaults() throws InterruptedException {
        long pages = 2048;
        Vm vm = new Vm(GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, pages, 0))), false);
        Memslot slot = vm.memslot(0);
        slot.userfaultBitmap().setAll();
        for (int round = 0; round < 100; round++) {
            vm.setMemslotFlags(0, 0);
            slot.stage2().zapAll();
            Concurrently.run("vcpu", 2, t -> {
                MemoryFaultExit own = new MemoryFaultExit();
                for (long gfn = t; gfn < pages; gfn += 2) {
                    int result = vm.access(gfn, (gfn & 2) != 0, own);
                    if (result != AccessResult.MAPPED && result != AccessResult.HIT
                            && result != AccessResult.EXIT_MEMORY_FAULT) {
                        throw new AssertionError("gfn " + gfn + ": " + AccessResult.name(result));
                    }
                }
            }, () -> vm.setMemslotFlags(0, MemslotFlags.USERFAULT));
            assertEquals(0, slot.stage2().mapped4kCount(), "round " + round);
            assertEquals(0, slot.stage2().mappedHugeCount(), "round " + round);
        }
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(1, false, exit));
    }

    @Test
    void memoryFaultExitToStringNamesTheFlags() {
        exit.set(0x5000, 4096, MemoryFaultExit.FLAG_WRITE | MemoryFaultExit.FLAG_USERFAULT);
        assertEquals("KVM_EXIT_MEMORY_FAULT{gpa=0x5000, gfn=5, size=4096, flags=WRITE|USERFAULT}", exit.toString());
        assertTrue(exit.has(MemoryFaultExit.FLAG_USERFAULT));
        assertEquals(39, MemoryFaultExit.KVM_EXIT_MEMORY_FAULT);
    }
}
