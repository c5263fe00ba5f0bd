package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fault.FaultModeRig;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.TestPages;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.uffd.WakeSink;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * Private (guest_memfd) memory (kernel-background.md §5 and §6, "[RFC PATCH v12 10/33] KVM: Set
 * the stage for handling only shared mappings in mmu_notifier events"): private gfns have no host
 * address, so only the KVM Userfault bitmap sees their faults (and they exit with the PRIVATE
 * flag); host-address events never touch private entries; conversions invalidate the old
 * attribute's entries only, and the contents the guest gives up are zeroed and made present;
 * the reclaim flush of a shared-only event, skipped when every private page lives in guest_memfd.
 */
class PrivateMemoryTest {
    private final MemoryFaultExit exit = new MemoryFaultExit();
    private final HostEvent event = new HostEvent();

    /** Memslot ids 3 and 7 (positions 0 and 1), so a message naming the position instead of the id is caught. */
    private static GuestLayout layout() {
        return GuestLayout.of(List.of(
                new GuestLayout.Slot(3, 0, 1024, 0),
                new GuestLayout.Slot(7, 10_000, 1000, 0)));
    }

    private static final MmuOptions GUEST_MEMFD = new MmuOptions(VmType.DEFAULT, false, true, 0, 0);

    private static Vm vm(MmuOptions options) {
        GuestLayout layout = layout();
        return new Vm(layout, true, HostPageTable.fullyMapped(layout.totalPages()), options);
    }

    private static FaultModeRig rig(FaultMode mode, MmuOptions mmu) {
        FaultOptions options = FaultOptions.DEFAULT.withMode(mode);
        return FaultModeRig.build(layout(), true, options, 1, p -> (UffdCopier) pageIndex -> p.copy(pageIndex, WakeSink.NONE), mmu);
    }

    // ---- faults on private memory --------------------------------------------------------------

    @Test
    void aMissingPrivatePageExitsThroughTheBitmapWithThePrivateFlag() {
        FaultModeRig rig = rig(FaultMode.KVM_USERFAULT, GUEST_MEMFD.withPrivateMemory(0.5, 42));
        Vm vm = rig.vm;
        assertTrue(vm.privatePages() > 0);
        long privateGfn = vm.memslot(1).nextPrivate(10_000);
        long sharedGfn = 10_000;
        while (vm.isPrivate(sharedGfn)) sharedGfn++;

        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(privateGfn, true, exit));
        assertTrue(exit.has(MemoryFaultExit.FLAG_USERFAULT | MemoryFaultExit.FLAG_PRIVATE | MemoryFaultExit.FLAG_WRITE), exit.toString());
        assertEquals(privateGfn, exit.gfn());
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(sharedGfn, false, exit));
        assertTrue(exit.has(MemoryFaultExit.FLAG_USERFAULT));
        assertFalse(exit.has(MemoryFaultExit.FLAG_PRIVATE), "a shared gfn: " + exit);

        // Once present, the private gfn maps through guest_memfd as a private entry.
        Memslot slot = vm.memslot(1);
        slot.userfaultBitmap().clear(slot.indexOf(privateGfn));
        assertEquals(AccessResult.MAPPED, vm.access(privateGfn, true, exit));
        assertTrue(slot.stage2().isPrivateEntry(privateGfn));
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void aPrivateFaultInUffdKvmUserfaultExitsWithThePrivateFlagToo() {
        FaultModeRig rig = rig(FaultMode.UFFD_KVM_USERFAULT, GUEST_MEMFD.withPrivateMemory(1.0, 1));
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, rig.vm.access(10_001, false, exit));
        assertTrue(exit.has(MemoryFaultExit.FLAG_USERFAULT | MemoryFaultExit.FLAG_PRIVATE), exit.toString());
    }

    @Test
    void modesThatSeeFaultsThroughTheHostRefusePrivateMemoryNamingTheMemslot() {
        // Only memslot 7 (position 1) has private pages with this seed? Make sure by choosing one that does.
        MmuOptions mmu = GUEST_MEMFD.withPrivateMemory(0.01, 9);
        Vm probe = vm(mmu);
        int withPrivate = probe.memslot(0).privateCount() > 0 ? 3 : 7;
        assertTrue(probe.privatePages() > 0);
        for (FaultMode mode : List.of(FaultMode.UFFD, FaultMode.EXIT_ON_MISSING, FaultMode.NONE)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rig(mode, mmu), mode.cliName());
            assertTrue(e.getMessage().startsWith("memslot " + withPrivate + " is backed by guest_memfd"), e.getMessage());
            assertTrue(e.getMessage().contains("fault mode " + mode.cliName()), e.getMessage());
            IllegalArgumentException viaModel = assertThrows(IllegalArgumentException.class,
                    () -> DestModel.build(layout(), FaultOptions.DEFAULT.withMode(mode), 1, true, 0, new NoHooks(), mmu));
            assertEquals(e.getMessage(), viaModel.getMessage());
        }
        // Control: the same modes without guest_memfd build fine, and the bitmap modes accept private memory.
        for (FaultMode mode : List.of(FaultMode.UFFD, FaultMode.EXIT_ON_MISSING, FaultMode.NONE)) {
            rig(mode, MmuOptions.DEFAULT);
        }
        assertEquals(probe.privatePages(), rig(FaultMode.KVM_USERFAULT, mmu).vm.privatePages());
        assertEquals(probe.privatePages(), rig(FaultMode.UFFD_KVM_USERFAULT, mmu).vm.privatePages());
        DestModel.build(layout(), FaultOptions.DEFAULT, 1, true, 0, new NoHooks(), mmu);
    }

    @Test
    void theRefusalNamesTheMemslotWithPrivatePagesNotTheFirst() {
        // Private pages in memslot 7 (position 1) only: the first seed whose draw gives memslot 3 none.
        long seed = 0;
        MmuOptions mmu = null;
        for (; seed < 1000; seed++) {
            MmuOptions m = GUEST_MEMFD.withPrivateMemory(0.002, seed);
            Vm v = vm(m);
            if (v.memslot(0).privateCount() == 0 && v.memslot(1).privateCount() > 0) {
                mmu = m;
                break;
            }
        }
        assertTrue(mmu != null, "a seed with private pages in memslot 7 only");
        MmuOptions chosen = mmu;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rig(FaultMode.UFFD, chosen));
        assertTrue(e.getMessage().startsWith("memslot 7 "), e.getMessage());
    }

    // ---- host-address events and private entries ------------------------------------------------

    /** Every host-address event on a mapped private gfn; returns the private entries it removed. */
    private static long hostAddressEventsOnAPrivateEntry(Vm vm, long gfn) {
        MemoryFaultExit exit = new MemoryFaultExit();
        vm.setPrivate(gfn, true);
        long zapped = 0;
        for (int k = 0; k <= 5; k++) {
            int r = vm.access(gfn, true, exit);
            assertTrue(r == AccessResult.MAPPED || r == AccessResult.HIT, AccessResult.name(r));
            assertTrue(vm.memslotOfGfn(gfn).stage2().isPrivateEntry(gfn));
            switch (k) {
                case 0 -> vm.reclaim(gfn);
                case 1 -> vm.migrate(gfn);
                case 2 -> vm.mprotectReadOnly(gfn);
                case 3 -> vm.mprotectReadWrite(gfn);
                case 4 -> vm.invalidateGfn(gfn);
                default -> vm.unmapHostPage(gfn);
            }
            if (!vm.memslotOfGfn(gfn).stage2().isPrivateEntry(gfn)) zapped++;
        }
        return zapped;
    }

    @Test
    void hostAddressEventsNeverTouchPrivateEntries() {
        Vm vm = vm(GUEST_MEMFD.withNotifyUpgrades(true));
        long invalidations = vm.invalidations();
        assertEquals(0, hostAddressEventsOnAPrivateEntry(vm, 10_005));
        assertTrue(vm.invalidations() > invalidations, "the events did notify");
        assertEquals(0, vm.mmu().sharedEventPrivateZaps());
        assertEquals(0, vm.localRefaults());
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void negativeControlSharedEventsThatZapPrivateEntriesAreSeen() {
        Vm vm = vm(GUEST_MEMFD.withNotifyUpgrades(true));
        vm.injectBug(MmuBug.SHARED_EVENT_ZAPS_PRIVATE);
        assertTrue(hostAddressEventsOnAPrivateEntry(vm, 10_005) > 0);
        assertTrue(vm.mmu().sharedEventPrivateZaps() > 0);
        assertFalse(MmuInvariants.check(vm).isEmpty());
    }

    // ---- conversions ------------------------------------------------------------------------

    @Test
    void privateToSharedIsAPrivateOnlyInvalidation() {
        Vm vm = vm(GUEST_MEMFD);
        PfnCache cache = vm.newPfnCache(8);
        vm.setPrivate(10_010, true);
        vm.access(10_010, true, exit);
        cache.refresh(10_011, true, exit); // a shared neighbour cached
        long flushes = vm.mmu().reclaimFlushes();

        vm.hostEventBegin(event.set(HostEvent.CONVERT, 10_010, 0));
        assertTrue(event.notifies());
        assertFalse(event.toPrivate());
        assertTrue(vm.mmu().inProgressOver(10_010, 10_011, Stage2Table.SCOPE_PRIVATE));
        assertFalse(vm.mmu().inProgressOver(10_010, 10_011, Stage2Table.SCOPE_SHARED), "private-only");
        assertFalse(vm.memslot(1).stage2().isMapped(10_010), "the private entry went");
        assertEquals(List.of(), MmuInvariants.check(vm));
        vm.hostEventChange(event);
        vm.hostEventEnd(event);

        assertFalse(vm.isPrivate(10_010));
        assertEquals(flushes, vm.mmu().reclaimFlushes(), "not a host-address event: no reclaim flush");
        assertEquals(0, vm.pfnCacheInvalidations());
        assertEquals(1, vm.conversions());
        long page = vm.memslot(1).pageIndexOf(10_010);
        assertTrue(vm.isConverted(page));
        assertEquals(HostPageTable.READ_WRITE, vm.host().state(page), "a fresh shared page");
        assertEquals(AccessResult.MAPPED, vm.access(10_010, true, exit));
        assertFalse(vm.memslot(1).stage2().isPrivateEntry(10_010), "now a shared entry");
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void sharedToPrivateIsASharedOnlyInvalidationThatDiscardsTheSharedPage() {
        Vm vm = vm(GUEST_MEMFD);
        PfnCache cache = vm.newPfnCache(8);
        vm.access(10_020, true, exit);
        cache.refresh(10_020, true, exit);
        long flushes = vm.mmu().reclaimFlushes();

        vm.hostEventBegin(event.set(HostEvent.CONVERT, 10_020, 0));
        assertTrue(event.toPrivate());
        assertTrue(vm.mmu().inProgressOver(10_020, 10_021, Stage2Table.SCOPE_SHARED));
        assertFalse(vm.mmu().inProgressOver(10_020, 10_021, Stage2Table.SCOPE_PRIVATE), "shared-only");
        assertFalse(vm.memslot(1).stage2().isMapped(10_020));
        assertFalse(cache.check(10_020, false));
        vm.hostEventChange(event);
        vm.hostEventEnd(event);

        assertTrue(vm.isPrivate(10_020));
        assertEquals(HostPageTable.NONE, vm.host().state(vm.memslot(1).pageIndexOf(10_020)), "the shared page is discarded");
        assertEquals(flushes + 1, vm.mmu().reclaimFlushes(), "a host-address event that found a memslot");
        assertEquals(AccessResult.MAPPED, vm.access(10_020, false, exit));
        assertTrue(vm.memslot(1).stage2().isPrivateEntry(10_020));
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    /** A private fault begun, a private -> shared conversion begun before its commit: the commit's result. */
    private int privateFaultRacingAConversion(Vm vm) {
        Stage2Fault fault = new Stage2Fault();
        vm.setPrivate(10_050, true);
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 10_050, true, exit));
        assertTrue(fault.isPrivate());
        vm.hostEventBegin(event.set(HostEvent.CONVERT, 10_050, 0));
        return vm.faultCommit(fault);
    }

    @Test
    void aPrivateFaultRacingAConversionToSharedRetriesAndThenMapsShared() {
        Vm vm = vm(GUEST_MEMFD);
        assertEquals(AccessResult.RETRY, privateFaultRacingAConversion(vm));
        assertEquals(List.of(), MmuInvariants.check(vm));
        vm.hostEventChange(event);
        vm.hostEventEnd(event);
        assertEquals(AccessResult.MAPPED, vm.access(10_050, true, exit));
        assertFalse(vm.memslot(1).stage2().isPrivateEntry(10_050));
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void negativeControlAPrivateFaultThatIgnoresTheConversionLeavesAPrivateEntryOnASharedGfn() {
        Vm vm = vm(GUEST_MEMFD);
        vm.injectBug(MmuBug.FAULT_IGNORES_INVALIDATION);
        assertEquals(AccessResult.MAPPED, privateFaultRacingAConversion(vm));
        List<String> during = MmuInvariants.check(vm);
        assertTrue(during.stream().anyMatch(v -> v.contains("memslot 7: gfn 0x2742 has a private stage-2 entry inside an "
                + "invalidation in progress")), during.toString());
        vm.hostEventChange(event);
        vm.hostEventEnd(event);
        List<String> after = MmuInvariants.check(vm);
        assertTrue(after.stream().anyMatch(v -> v.contains("memslot 7: gfn 0x2742 has a private stage-2 entry but is shared")),
                after.toString());
    }

    @Test
    void aConversionOutsideGuestMemfdIsANoOp() {
        Vm vm = vm(MmuOptions.DEFAULT);
        vm.access(10_020, true, exit);
        assertFalse(vm.convert(10_020));
        assertEquals(0, vm.invalidations());
        assertTrue(vm.memslot(1).stage2().isMapped(10_020));
        assertEquals(0, vm.conversions());
    }

    @Test
    void theReclaimFlushOfASharedOnlyEventIsSkippedWhenEveryPrivatePageLivesInGuestMemfd() {
        Vm sev = vm(GUEST_MEMFD);
        Vm snp = vm(GUEST_MEMFD.withVmType(VmType.GUEST_MEMFD_PRIVATE));
        for (Vm vm : List.of(sev, snp)) {
            vm.reclaim(10_030);
            vm.migrate(10_031);
            vm.mprotectReadOnly(10_032);
            vm.convert(10_033);     // shared -> private: an hva event
            vm.convert(10_033);     // private -> shared: guest_memfd's own, no flush either way
            vm.reclaim(5_000);      // outside every memslot: nothing to flush
        }
        assertEquals(4, sev.mmu().reclaimFlushes());
        assertEquals(0, sev.mmu().reclaimFlushesSkipped());
        assertEquals(0, snp.mmu().reclaimFlushes());
        assertEquals(4, snp.mmu().reclaimFlushesSkipped());
    }

    // ---- the contents given up, through the installer -------------------------------------------

    @Test
    void aConversionGivesTheContentsUpZeroedButLeavesAMissingPageToArrive() {
        GuestLayout layout = layout();
        List<Long> installed = new ArrayList<>();
        try (GuestMemory memory = GuestMemory.allocate(layout.totalPages())) {
            DestModel model = DestModel.build(layout, FaultOptions.DEFAULT, 1, true, 0, new NoHooks() {
                @Override
                public void onInstalled(long pageIndex, long gfn, boolean last) {
                    installed.add(gfn);
                }
            }, GUEST_MEMFD);
            PageInstaller.Context ctx = new PageInstaller.Context(memory);
            Vm vm = model.vm();
            long missing = 10_040;
            long missingPage = vm.memslot(1).pageIndexOf(missing);
            assertTrue(model.hostEventDriver().convert(missing, ctx));

            // Converted while missing: the attribute flips, but the page stays missing (nothing
            // to zero, nothing present the source never sent); the source's copy is as good as
            // zeros, and it arrives and installs as any other.
            assertTrue(vm.isPrivate(missing));
            assertTrue(vm.isConverted(missingPage));
            assertFalse(model.installer().hasArrived(missingPage));
            assertEquals(0, model.installer().presentPages());
            assertEquals(List.of(), installed);
            assertTrue(vm.memslot(1).userfaultBitmap().isSet(vm.memslot(1).indexOf(missing)), "still missing");
            ByteBuf copy = TestPages.sourcePage(1, missing);
            try {
                assertEquals(PageInstaller.INSTALLED,
                        model.installer().install(ctx, missing, TestPages.crc(copy), TestPages.bytes(copy)));
            } finally {
                copy.release();
            }
            assertEquals(PageContents.expectedWord(1, missing, 5), memory.readWord(missingPage, 5));
            assertEquals(List.of(missing), installed);
            installed.clear();

            // A present page converted: zeroed in place, not counted again.
            long present = 10_041;
            long presentPage = vm.memslot(1).pageIndexOf(present);
            ByteBuf page = TestPages.sourcePage(1, present);
            try {
                assertEquals(PageInstaller.INSTALLED, model.installer().install(ctx, present, TestPages.crc(page), TestPages.bytes(page)));
            } finally {
                page.release();
            }
            assertEquals(PageContents.expectedWord(1, present, 5), memory.readWord(presentPage, 5));
            assertTrue(model.hostEventDriver().convert(present, ctx));
            assertEquals(0, memory.readWord(presentPage, 5));
            assertEquals(2, model.installer().presentPages(), "made present once only");
            assertEquals(2, vm.convertedPages());
            assertEquals(AccessResult.MAPPED, vm.access(present, false, exit));
            assertTrue(vm.memslot(1).stage2().isPrivateEntry(present));
            assertEquals(List.of(), model.mmuViolations());
        }
    }

    /**
     * Two vCPU threads fault over 256 gfns, a third of them private, while the host-event source
     * converts, reclaims, migrates and write-protects them; after each round, with everything
     * quiescent, the invariants are checked. Returns the first round's violations, or empty.
     */
    private static List<String> raceFaultsWithConversions(boolean injectBug, int rounds) throws InterruptedException {
        int[] kinds = {HostEvent.CONVERT, HostEvent.RECLAIM, HostEvent.MIGRATE, HostEvent.MPROTECT_RO, HostEvent.CONVERT};
        for (int round = 0; round < rounds; round++) {
            Vm vm = vm(GUEST_MEMFD.withPrivateMemory(0.3, round));
            if (injectBug) vm.injectBug(MmuBug.FAULT_IGNORES_INVALIDATION);
            int seed = round;
            Concurrently.run("vcpu", 2, t -> {
                MemoryFaultExit own = new MemoryFaultExit();
                for (int pass = 0; pass < 4; pass++) {
                    for (long gfn = 10_000 + t; gfn < 10_256; gfn += 2) {
                        int r = vm.access(gfn, ((gfn + pass) & 1) == 0, own);
                        if (r == AccessResult.EXIT_MEMORY_FAULT || r == AccessResult.NO_MEMSLOT) {
                            throw new AssertionError("gfn " + gfn + ": " + AccessResult.name(r));
                        }
                    }
                }
            }, () -> {
                HostEvent e = new HostEvent();
                for (long i = 0; i < 300; i++) {
                    vm.apply(e.set(kinds[(int) ((i + seed) % kinds.length)], 10_000 + (i * 37 + seed * 11L) % 256, 0));
                }
            });
            List<String> violations = MmuInvariants.check(vm);
            if (!violations.isEmpty()) return violations;
        }
        return List.of();
    }

    @Test
    void noInvariantBreaksWhileFaultsRaceConversionsAndHostEvents() throws InterruptedException {
        assertEquals(List.of(), raceFaultsWithConversions(false, 100));
    }

    @Test
    void negativeControlTheRaceFindsAFaultThatIgnoresInvalidations() throws InterruptedException {
        assertFalse(raceFaultsWithConversions(true, 300).isEmpty(), "a fault without mmu_invalidate_retry must be caught");
    }

    /** Hooks for a model without uffd. */
    /**
     * uffd+kvm-userfault: a page that has not arrived and is converted back to shared gets no
     * fresh host page, so KVM's own accesses through the host address still fault on it (the
     * uffd) until its copy maps it. Found by a soak run (3 of 2048 pages differed: KVM's own
     * writes landed on a fresh page that the arriving copy then overwrote); mapping the fresh page
     * regardless, as before, fails this test.
     */
    @Test
    void aMissingPageConvertedToSharedStaysUnmappedUntilItsCopyMapsIt() {
        GuestLayout layout = layout();
        FaultOptions uffdKvm = new FaultOptions(FaultMode.UFFD_KVM_USERFAULT, 1, org.postcopysim.dest.uffd.UffdSet.Scope.SHARED,
                0.5, false);
        try (GuestMemory memory = GuestMemory.allocate(layout.totalPages())) {
            DestModel model = DestModel.build(layout, uffdKvm, 1, true, 0, new NoHooks(), GUEST_MEMFD);
            PageInstaller.Context ctx = new PageInstaller.Context(memory);
            Vm vm = model.vm();
            long gfn = 10_050;
            long pageIndex = vm.memslot(1).pageIndexOf(gfn);
            assertTrue(model.hostEventDriver().convert(gfn, ctx), "to private");
            assertTrue(vm.isPrivate(gfn));
            assertTrue(model.hostEventDriver().convert(gfn, ctx), "and back to shared, still missing");
            assertFalse(vm.isPrivate(gfn));
            assertFalse(vm.host().hasContents(pageIndex), "no fresh host page under a page still to come");
            assertEquals(AccessResult.HOST_FAULT, vm.accessInternal(gfn, true, exit), "KVM's own write faults (uffd)");
            ByteBuf copy = TestPages.sourcePage(1, gfn);
            try {
                assertEquals(PageInstaller.INSTALLED, model.installer().install(ctx, gfn, TestPages.crc(copy), TestPages.bytes(copy)));
            } finally {
                copy.release();
            }
            assertTrue(vm.host().isMapped(pageIndex), "the copy mapped it");
            assertEquals(List.of(), model.mmuViolations());
        }
    }

    static class NoHooks implements DestModel.Hooks {
        @Override
        public UffdCopier uffdCopier(UffdPaths paths) {
            return pageIndex -> paths.copy(pageIndex, WakeSink.NONE);
        }

        @Override
        public void onInstalled(long pageIndex, long gfn, boolean last) {
        }
    }
}
