package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;

/**
 * Flags-only memslot updates and the KVM Userfault transitions (kernel-background.md §5, as the
 * thread "[PATCH v2 05/13] KVM: x86/mmu: Add support for KVM_MEM_USERFAULT" settles them).
 */
class VmMemslotFlagsTest {
    private static final int USERFAULT = MemslotFlags.USERFAULT;
    private final MemoryFaultExit exit = new MemoryFaultExit();

    /** Slot 0: gfns 0..2147 (4 whole regions + a 100-page tail); slot 1: gfns 4096..5119. */
    private static GuestLayout twoSlotsWithGap() {
        return GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0, 2048 + 100, 0),
                new GuestLayout.Slot(1, 4096, 1024, 0)));
    }

    @Test
    void enablingUserfaultZapsEveryMappingOfTheSlotAndSparesOtherSlots() {
        Vm vm = new Vm(twoSlotsWithGap(), true);
        assertEquals(AccessResult.MAPPED, vm.access(0, false, exit));
        assertEquals(AccessResult.MAPPED, vm.access(2100, true, exit));
        assertEquals(AccessResult.MAPPED, vm.access(4096 + 3, false, exit));
        Stage2Table slot0 = vm.memslot(0).stage2();
        assertEquals(1, slot0.mappedHugeCount());
        assertEquals(1, slot0.mapped4kCount(), "the tail region is not inside the slot: 4 KiB");

        assertEquals(2, vm.setMemslotFlags(0, USERFAULT));

        assertEquals(0, slot0.mappedHugeCount());
        assertEquals(0, slot0.mapped4kCount());
        assertFalse(slot0.isMapped(0));
        assertFalse(slot0.isMapped(2100));
        assertTrue(vm.memslot(1).stage2().isMapped(4096 + 3));
        assertEquals(AccessResult.HIT, vm.access(4096 + 3, false, exit));
        assertEquals(1, vm.zapEvents());
        assertEquals(2, vm.mappingsZapped());
    }

    @Test
    void whileUserfaultIsSetFaultsCreateOnly4kMappings() {
        Vm vm = new Vm(twoSlotsWithGap(), true);
        vm.setMemslotFlags(0, USERFAULT);
        assertEquals(AccessResult.MAPPED, vm.access(0, false, exit));
        assertEquals(AccessResult.MAPPED, vm.access(700, true, exit));
        Stage2Table stage2 = vm.memslot(0).stage2();
        assertEquals(2, stage2.mapped4kCount());
        assertEquals(0, stage2.mappedHugeCount());
        assertFalse(stage2.isMapped(1));
    }

    @Test
    void whileDirtyLoggingIsOnFaultsCreateOnly4kMappings() {
        Vm vm = new Vm(twoSlotsWithGap(), true);
        vm.setMemslotFlags(0, MemslotFlags.LOG_DIRTY_PAGES);
        assertEquals(AccessResult.MAPPED, vm.access(0, false, exit));
        assertEquals(0, vm.memslot(0).stage2().mappedHugeCount());
    }

    /** Region 0 fully present and touched; 1 touched but one page missing; 2 present, never touched. */
    private static Vm vmWithUserfaultRegionsInThreeStates(boolean hugePageRecovery) {
        Vm vm = new Vm(GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, 2048, 0))), hugePageRecovery);
        MemoryFaultExit exit = new MemoryFaultExit();
        UserfaultBitmap bitmap = vm.memslot(0).userfaultBitmap();
        bitmap.setAll();
        vm.setMemslotFlags(0, USERFAULT);
        for (long i = 0; i < 1536; i++) {
            if (i != 700) bitmap.clear(i);
        }
        for (long gfn : new long[] {0, 1, 511, 512, 600}) {
            assertEquals(AccessResult.MAPPED, vm.access(gfn, false, exit));
        }
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(700, false, exit));
        assertEquals(5, vm.memslot(0).stage2().mapped4kCount());
        return vm;
    }

    @Test
    void disablingUserfaultWithRecoveryRebuildsHugeMappingsOnlyOverFullyPresentMappedRegions() {
        Vm vm = vmWithUserfaultRegionsInThreeStates(true);
        Stage2Table stage2 = vm.memslot(0).stage2();

        assertEquals(1, vm.setMemslotFlags(0, 0));

        assertTrue(stage2.isHugeMapped(0), "fully present region collapsed to 2 MiB");
        for (long gfn = 0; gfn < 512; gfn++) assertTrue(stage2.isMapped(gfn));
        assertFalse(stage2.isHugeMapped(512), "region with a missing page stays at 4 KiB");
        assertTrue(stage2.isMapped(512));
        assertTrue(stage2.isMapped(600));
        assertFalse(stage2.isMapped(601));
        assertFalse(stage2.isMapped(1024), "recovery acts only on existing mappings");
        assertEquals(1, stage2.mappedHugeCount());
        assertEquals(2, stage2.mapped4kCount());
        assertEquals(1, vm.hugeMappingsRecovered());
    }

    @Test
    void disablingUserfaultWithoutRecoveryRebuildsNothingAsOnArm64() {
        Vm vm = vmWithUserfaultRegionsInThreeStates(false);
        Stage2Table stage2 = vm.memslot(0).stage2();

        assertEquals(0, vm.setMemslotFlags(0, 0));

        assertEquals(0, stage2.mappedHugeCount());
        assertEquals(5, stage2.mapped4kCount());
        assertEquals(0, vm.hugeMappingsRecovered());
    }

    @Test
    void flagChangesThatDoNotToggleUserfaultZapAndRebuildNothing() {
        Vm vm = new Vm(twoSlotsWithGap(), true);
        vm.access(0, false, exit);
        assertEquals(0, vm.setMemslotFlags(0, MemslotFlags.LOG_DIRTY_PAGES));
        assertEquals(0, vm.setMemslotFlags(0, 0));
        assertTrue(vm.memslot(0).stage2().isMapped(0));
        assertEquals(0, vm.zapEvents());
        assertEquals(0, vm.memslot(0).flags());
    }

    @Test
    void readonlyAndGuestMemfdCannotChangeInAFlagsOnlyUpdate() {
        Vm vm = new Vm(twoSlotsWithGap(), true);
        assertThrows(IllegalArgumentException.class, () -> vm.setMemslotFlags(0, MemslotFlags.READONLY));
        assertThrows(IllegalArgumentException.class, () -> vm.setMemslotFlags(0, MemslotFlags.GUEST_MEMFD));
        assertThrows(IllegalArgumentException.class, () -> vm.setMemslotFlags(0, 1 << 20));
        assertEquals(0, vm.memslot(0).flags());
        assertEquals(0, vm.setMemslotFlags(0, USERFAULT), "a rejected update leaves the slot updatable");
    }

    @Test
    void describeNamesEveryFlag() {
        assertEquals("0", MemslotFlags.describe(0));
        assertEquals("LOG_DIRTY_PAGES|USERFAULT", MemslotFlags.describe(MemslotFlags.LOG_DIRTY_PAGES | USERFAULT));
        assertEquals("READONLY|GUEST_MEMFD|0x100", MemslotFlags.describe(
                MemslotFlags.READONLY | MemslotFlags.GUEST_MEMFD | 0x100));
    }
}
