package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;

/**
 * The host mapping behind guest memory in the stage-2 fault path: KVM_MEM_EXIT_ON_MISSING
 * (kernel-background.md §4), the userfaultfd HOST_FAULT (§2), KVM-internal accesses that
 * cannot exit, and huge mappings only over fully host-mapped regions.
 */
class VmHostMappingTest {
    private static final int USERFAULT = MemslotFlags.USERFAULT;
    private static final int EXIT_ON_MISSING = MemslotFlags.EXIT_ON_MISSING;
    private static final long SLOT1_BASE = 10_000;
    private final MemoryFaultExit exit = new MemoryFaultExit();

    /** Slot 0: gfns 0..1023 (pages 0..1023); slot 1: gfns 10000..10999 (pages 1024..2023). Nothing host-mapped. */
    private static Vm vmWithEmptyHost() {
        GuestLayout layout = GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0, 1024, 0),
                new GuestLayout.Slot(1, SLOT1_BASE, 1000, 0)));
        return new Vm(layout, true, new HostPageTable(layout.totalPages()));
    }

    @Test
    void exitOnMissingAccessToAHostUnmappedPageExitsWithoutTheUserfaultFlag() {
        Vm vm = vmWithEmptyHost();
        assertEquals(0, vm.setMemslotFlags(0, EXIT_ON_MISSING));

        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(5, true, exit));

        assertEquals(5L << 12, exit.gpa());
        assertEquals(4096, exit.size());
        assertEquals(MemoryFaultExit.FLAG_WRITE, exit.flags());
        assertFalse(exit.has(MemoryFaultExit.FLAG_USERFAULT));
        assertFalse(vm.memslot(0).stage2().isMapped(5), "an exit maps nothing");
    }

    @Test
    void exitOnMissingAfterTheHostPageIsMappedTheAccessMapsThenHits() {
        Vm vm = vmWithEmptyHost();
        vm.setMemslotFlags(0, EXIT_ON_MISSING);
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(5, false, exit));

        assertTrue(vm.host().map(5));

        assertEquals(AccessResult.MAPPED, vm.access(5, false, exit));
        assertEquals(AccessResult.HIT, vm.access(5, false, exit));
        assertEquals(1, vm.memslot(0).stage2().mapped4kCount());
        assertEquals(0, vm.memslot(0).stage2().mappedHugeCount(), "the rest of the region is not host-mapped");
    }

    @Test
    void exitOnMissingUsesTheDensePageIndexOfTheSecondMemslot() {
        Vm vm = vmWithEmptyHost();
        vm.setMemslotFlags(1, EXIT_ON_MISSING);
        vm.host().map(1024 + 5);
        assertEquals(AccessResult.MAPPED, vm.access(SLOT1_BASE + 5, false, exit));
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(SLOT1_BASE + 6, false, exit));
        assertEquals(SLOT1_BASE + 6, exit.gfn());
    }

    @Test
    void withNeitherFlagAHostUnmappedPageIsAHostFaultWithTheAddressFilled() {
        Vm vm = vmWithEmptyHost();
        exit.clear();

        assertEquals(AccessResult.HOST_FAULT, vm.access(7, false, exit));

        assertEquals(7L << 12, exit.gpa());
        assertEquals(4096, exit.size());
        assertEquals(MemoryFaultExit.FLAG_READ, exit.flags());
        assertFalse(vm.memslot(0).stage2().isMapped(7));
        vm.host().map(7);
        assertEquals(AccessResult.MAPPED, vm.access(7, false, exit));
    }

    @Test
    void aSetUserfaultBitTakesPrecedenceOverTheMissingHostPageAndSetsTheUserfaultFlag() {
        Vm vm = vmWithEmptyHost();
        vm.memslot(0).userfaultBitmap().setAll();
        vm.setMemslotFlags(0, USERFAULT | EXIT_ON_MISSING);

        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(9, true, exit));
        assertEquals(MemoryFaultExit.FLAG_WRITE | MemoryFaultExit.FLAG_USERFAULT, exit.flags());

        vm.setMemslotFlags(0, USERFAULT);
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(9, false, exit), "not a HOST_FAULT");
        assertEquals(MemoryFaultExit.FLAG_READ | MemoryFaultExit.FLAG_USERFAULT, exit.flags());
    }

    @Test
    void withTheUserfaultBitClearAMissingHostPageFallsThroughToExitOnMissingOrTheHostFault() {
        Vm vm = vmWithEmptyHost();
        vm.setMemslotFlags(0, USERFAULT | EXIT_ON_MISSING); // bitmap all clear
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(9, false, exit));
        assertEquals(MemoryFaultExit.FLAG_READ, exit.flags());

        vm.setMemslotFlags(0, USERFAULT); // uffd + KVM Userfault
        assertEquals(AccessResult.HOST_FAULT, vm.access(9, false, exit));
        assertEquals(MemoryFaultExit.FLAG_READ, exit.flags());
    }

    @Test
    void togglingExitOnMissingZapsNothing() {
        Vm vm = vmWithEmptyHost();
        vm.host().map(3);
        assertEquals(AccessResult.MAPPED, vm.access(3, false, exit));

        assertEquals(0, vm.setMemslotFlags(0, EXIT_ON_MISSING));
        assertEquals(AccessResult.HIT, vm.access(3, false, exit));
        assertEquals(0, vm.setMemslotFlags(0, 0));
        assertEquals(AccessResult.HIT, vm.access(3, false, exit));
        assertEquals(0, vm.zapEvents());
    }

    @Test
    void accessInternalIgnoresTheBitmapAndExitOnMissingAndCreatesNoStage2Mapping() {
        Vm vm = vmWithEmptyHost();
        vm.memslot(0).userfaultBitmap().setAll();
        vm.setMemslotFlags(0, USERFAULT | EXIT_ON_MISSING);

        assertEquals(AccessResult.HOST_FAULT, vm.accessInternal(11, true, exit));
        assertEquals(11L << 12, exit.gpa());
        assertEquals(MemoryFaultExit.FLAG_WRITE, exit.flags(), "no USERFAULT flag: the bitmap is not consulted");

        vm.host().map(11);
        assertEquals(AccessResult.HIT, vm.accessInternal(11, true, exit), "the set userfault bit is ignored");
        assertFalse(vm.memslot(0).stage2().isMapped(11));
        assertEquals(0, vm.memslot(0).stage2().mapped4kCount());
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(11, false, exit), "a vCPU access still exits");
    }

    @Test
    void accessInternalOutsideEveryMemslotIsNoMemslotAndLeavesTheExitUntouched() {
        Vm vm = vmWithEmptyHost();
        exit.set(123, 4, MemoryFaultExit.FLAG_EXEC);
        assertEquals(AccessResult.NO_MEMSLOT, vm.accessInternal(5000, false, exit));
        assertEquals(123, exit.gpa());
    }

    @Test
    void hugeMappingsAreNotCreatedOverRegionsWithHostUnmappedPages() {
        Vm vm = vmWithEmptyHost();
        vm.host().mapAll();
        vm.host().unmap(600);

        assertEquals(AccessResult.MAPPED, vm.access(700, false, exit));
        Stage2Table stage2 = vm.memslot(0).stage2();
        assertFalse(stage2.isHugeMapped(512), "page 600 of region 512..1023 is not host-mapped");
        assertEquals(1, stage2.mapped4kCount());
        assertEquals(AccessResult.HOST_FAULT, vm.access(600, false, exit));

        assertEquals(AccessResult.MAPPED, vm.access(10, false, exit));
        assertTrue(stage2.isHugeMapped(0), "region 0..511 is fully host-mapped");

        vm.host().map(600);
        vm.invalidateGfn(700);
        assertEquals(AccessResult.MAPPED, vm.access(700, false, exit));
        assertTrue(stage2.isHugeMapped(512), "once every page is mapped the region maps huge");
    }

    @Test
    void hugePageRecoverySkipsRegionsWithHostUnmappedPages() {
        Vm vm = vmWithEmptyHost();
        vm.host().mapAll();
        vm.setMemslotFlags(0, USERFAULT); // bitmap clear: faults map 4 KiB
        assertEquals(AccessResult.MAPPED, vm.access(0, false, exit));
        assertEquals(AccessResult.MAPPED, vm.access(512, false, exit));
        vm.host().unmap(513);

        assertEquals(1, vm.setMemslotFlags(0, 0));

        Stage2Table stage2 = vm.memslot(0).stage2();
        assertTrue(stage2.isHugeMapped(0));
        assertFalse(stage2.isHugeMapped(512));
        assertTrue(stage2.isMapped(512));
    }

    @Test
    void unmapHostPageZapsStage2SoTheNextAccessIsMissingAgain() {
        Vm vm = vmWithEmptyHost();
        vm.host().mapAll();
        assertEquals(AccessResult.MAPPED, vm.access(20, false, exit));
        assertTrue(vm.memslot(0).stage2().isHugeMapped(0));

        assertTrue(vm.unmapHostPage(20));

        assertFalse(vm.memslot(0).stage2().isMapped(20));
        assertFalse(vm.memslot(0).stage2().isMapped(0), "the huge mapping is zapped whole");
        assertEquals(AccessResult.HOST_FAULT, vm.access(20, false, exit));
        assertEquals(AccessResult.MAPPED, vm.access(0, false, exit));
        assertFalse(vm.memslot(0).stage2().isHugeMapped(0), "page 20 is missing: 4 KiB only");
        assertFalse(vm.unmapHostPage(20));
        assertFalse(vm.unmapHostPage(5000), "outside every memslot");
    }

    @Test
    void theTwoArgumentConstructorMeansAFullyHostMappedGuest() {
        GuestLayout layout = GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, 1024, 0)));
        Vm vm = new Vm(layout, true);
        assertEquals(1024, vm.host().mappedCount());
        assertEquals(AccessResult.MAPPED, vm.access(1000, false, exit));
        assertTrue(vm.memslot(0).stage2().isHugeMapped(512));
    }

    @Test
    void aHostPageTableOfTheWrongSizeIsRejected() {
        GuestLayout layout = GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, 1024, 0)));
        assertThrows(IllegalArgumentException.class, () -> new Vm(layout, true, new HostPageTable(1000)));
    }

    @Test
    void describeNamesExitOnMissingAndAHostFaultHasAName() {
        assertEquals("USERFAULT|EXIT_ON_MISSING", MemslotFlags.describe(USERFAULT | EXIT_ON_MISSING));
        assertEquals("HOST_FAULT", AccessResult.name(AccessResult.HOST_FAULT));
    }

    /**
     * Without the fault's re-check of the host mapping after it maps (drop the
     * {@code hostStillMapped} condition in Stage2FaultHandler), this finds stale huge mappings
     * in most runs: a fault checks the region, the host unmaps a page and zaps, then the fault's
     * mapping lands.
     */
    @Test
    void noStage2MappingSurvivesOverAHostPageUnmappedWhileFaultsRace() throws InterruptedException {
        long pages = 4096;
        GuestLayout layout = GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, pages, 0)));
        HostPageTable host = new HostPageTable(pages);
        Vm vm = new Vm(layout, false, host);
        Stage2Table stage2 = vm.memslot(0).stage2();
        for (int round = 0; round < 1000; round++) {
            host.mapAll();
            stage2.zapAll();
            int seed = round;
            Concurrently.run("vcpu", 1, t -> {
                MemoryFaultExit own = new MemoryFaultExit();
                for (int pass = 0; pass < 4; pass++) {
                    for (long gfn = 0; gfn < pages; gfn++) {
                        int result = vm.access(gfn, false, own);
                        if (result != AccessResult.MAPPED && result != AccessResult.HIT
                                && result != AccessResult.HOST_FAULT && result != AccessResult.RETRY) {
                            throw new AssertionError("gfn " + gfn + ": " + AccessResult.name(result));
                        }
                    }
                }
            }, () -> {
                for (long i = 0; i < pages; i++) vm.unmapHostPage((i * 13 + seed) % pages); // every page, permuted
            });
            assertEquals(0, host.mappedCount());
            assertEquals(0, stage2.mapped4kCount() + stage2.mappedHugeCount(),
                    "round " + round + ": stage-2 mappings over unmapped host pages");
        }
    }
}
