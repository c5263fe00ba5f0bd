package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;

/**
 * The invariants of {@link MmuInvariants}, each with its negative control: for every
 * {@link MmuBug} a scenario that is clean with the model as it is and caught, by the invariant
 * that guards against that bug, with the bug injected; and for the invariants no bug switch
 * covers, the same state broken directly (a host change that bypasses the mmu_notifier, an entry
 * installed behind the fault path's back), caught by the message naming it.
 */
class MmuInvariantsTest {
    private final MemoryFaultExit exit = new MemoryFaultExit();
    private final Stage2Fault fault = new Stage2Fault();
    private final HostEvent event = new HostEvent();

    /** Slot 0: gfns 0..1023 (two 2 MiB regions); slot 1: gfns 10000..10999 (unaligned: 4 KiB only). Fully mapped. */
    private static Vm vm(MmuOptions options) {
        GuestLayout layout = GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0, 1024, 0),
                new GuestLayout.Slot(1, 10_000, 1000, 0)));
        return new Vm(layout, true, HostPageTable.fullyMapped(layout.totalPages()), options);
    }

    private static Vm vm() {
        return vm(MmuOptions.DEFAULT);
    }

    private static Vm guestMemfdVm() {
        return vm(new MmuOptions(VmType.DEFAULT, false, true, 0, 0));
    }

    private static void assertClean(Vm vm) {
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    /** Asserts some violation message contains {@code fragment}; returns the violations. */
    private static List<String> assertCaught(Vm vm, String fragment) {
        List<String> violations = MmuInvariants.check(vm);
        assertTrue(violations.stream().anyMatch(m -> m.contains(fragment)),
                "expected a violation containing \"" + fragment + "\", got " + violations);
        return violations;
    }

    // ---- the bug switches ----------------------------------------------------------------------

    /** Fills a writable pfn-cache entry for {@code gfn}, then write-protects the page (a downgrade, the page stays). */
    private PfnCache cachedThenDowngraded(Vm vm, long gfn) {
        PfnCache cache = vm.newPfnCache(8);
        assertEquals(AccessResult.HIT, cache.refresh(gfn, true, exit));
        assertTrue(cache.check(gfn, true));
        assertTrue(vm.mprotectReadOnly(gfn));
        return cache;
    }

    @Test
    void aDowngradeInvalidatesThePfnCacheInInvalidateRangeStart() {
        Vm vm = vm();
        PfnCache cache = cachedThenDowngraded(vm, 10_001);
        assertFalse(cache.check(10_001, true));
        assertFalse(cache.check(10_001, false), "the entry is invalid, not merely read-only");
        assertEquals(1, vm.pfnCacheInvalidations());
        assertClean(vm);
    }

    @Test
    void negativeControlACacheInvalidatedOnlyInInvalidateRangeKeepsAWritableTranslationOfAReadOnlyPage() {
        Vm vm = vm();
        vm.injectBug(MmuBug.PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE);
        PfnCache cache = cachedThenDowngraded(vm, 10_001);
        assertTrue(cache.check(10_001, true), "the bug: the downgrade never called ->invalidate_range()");
        assertCaught(vm, "a valid, writable pfn-cache entry for gfn 0x2711 over a read-only host page");
    }

    @Test
    void negativeControlTheBuggyCacheIsCaughtWhileTheDowngradeIsInProgressToo() {
        Vm vm = vm();
        vm.injectBug(MmuBug.PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE);
        PfnCache cache = vm.newPfnCache(8);
        assertEquals(AccessResult.HIT, cache.refresh(10_001, true, exit));
        vm.hostEventBegin(event.set(HostEvent.MPROTECT_RO, 10_001, 0));
        assertCaught(vm, "a writable pfn-cache entry for gfn 0x2711 is still valid after an invalidation of its page began");
        vm.hostEventChange(event);
        vm.hostEventEnd(event);
        assertCaught(vm, "over a read-only host page");
    }

    @Test
    void theBuggyCacheIsStillInvalidatedWhenThePageGoesAwaySoOnlyTheDowngradeShowsTheBug() {
        Vm vm = vm();
        vm.injectBug(MmuBug.PFN_CACHE_INVALIDATED_ONLY_IN_INVALIDATE_RANGE);
        PfnCache cache = vm.newPfnCache(8);
        assertEquals(AccessResult.HIT, cache.refresh(10_001, true, exit));
        assertTrue(vm.reclaim(10_001));
        assertFalse(cache.check(10_001, false), "->invalidate_range() ran: the old page went away");
        assertClean(vm);
    }

    /** Maps a huge region (gfn 20) and a 4 KiB gfn (10001), sets every userfault bit with the flag off, then turns it on. */
    private void mappedThenUserfaultOn(Vm vm) {
        assertEquals(AccessResult.MAPPED, vm.access(20, true, exit));
        assertEquals(AccessResult.MAPPED, vm.access(10_001, true, exit));
        assertTrue(vm.memslot(0).stage2().isHugeMapped(20));
        for (int i = 0; i < vm.memslotCount(); i++) {
            vm.memslot(i).userfaultBitmap().setAll();
            vm.setMemslotFlags(i, vm.memslot(i).flags() | MemslotFlags.USERFAULT);
        }
    }

    @Test
    void enablingUserfaultZapsSoNoMappedGfnBypassesTheBitmap() {
        Vm vm = vm();
        mappedThenUserfaultOn(vm);
        assertEquals(2, vm.zapEvents());
        assertClean(vm);
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(20, false, exit));
        assertTrue(exit.has(MemoryFaultExit.FLAG_USERFAULT));
        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(10_001, false, exit));
    }

    @Test
    void negativeControlSkippingTheUserfaultEnableZapLeavesMissingGfnsMapped() {
        Vm vm = vm();
        vm.injectBug(MmuBug.USERFAULT_ENABLE_SKIPS_ZAP);
        mappedThenUserfaultOn(vm);
        assertEquals(AccessResult.HIT, vm.access(10_001, false, exit), "the bug: the access bypasses the bitmap");
        assertCaught(vm, "memslot 1: gfn 0x2711 has a stage-2 entry but its userfault bit is set");
        assertCaught(vm, "memslot 0: the region at gfn 0x0 is mapped 2 MiB while KVM_MEM_USERFAULT is on, over gfns whose "
                + "userfault bits are set");
    }

    /** A private, mapped gfn (10003) and a reclaim of the page behind it (a host-address event). */
    private void privateMappedThenReclaimed(Vm vm) {
        assertTrue(vm.setPrivate(10_003, true));
        assertEquals(AccessResult.MAPPED, vm.access(10_003, true, exit));
        assertTrue(vm.memslot(1).stage2().isPrivateEntry(10_003));
        vm.reclaim(10_003);
    }

    @Test
    void aHostAddressEventLeavesPrivateEntriesAlone() {
        Vm vm = guestMemfdVm();
        privateMappedThenReclaimed(vm);
        assertTrue(vm.memslot(1).stage2().isPrivateEntry(10_003), "only_shared: the private entry stays");
        assertEquals(0, vm.mmu().sharedEventPrivateZaps());
        assertEquals(AccessResult.HIT, vm.access(10_003, true, exit));
        assertClean(vm);
    }

    @Test
    void negativeControlAHostAddressEventThatZapsPrivateEntriesIsCaught() {
        Vm vm = guestMemfdVm();
        vm.injectBug(MmuBug.SHARED_EVENT_ZAPS_PRIVATE);
        privateMappedThenReclaimed(vm);
        assertFalse(vm.memslot(1).stage2().isMapped(10_003));
        assertCaught(vm, "1 private stage-2 entries were zapped by host-address events, which reach shared memory only");
    }

    @Test
    void aSteppedFaultThatRacesADowngradeRetriesAndThenMapsReadOnly() {
        Vm vm = vm();
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 10_001, true, exit));
        vm.hostEventBegin(event.set(HostEvent.MPROTECT_RO, 10_001, 0));
        assertEquals(AccessResult.RETRY, vm.faultCommit(fault));
        assertEquals(1, vm.retriedFaults());
        assertClean(vm);
        vm.hostEventChange(event);
        vm.hostEventEnd(event);
        assertClean(vm);
        // The retry: a read fault now maps read-only.
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 10_001, false, exit));
        assertFalse(fault.isWritable());
        assertEquals(AccessResult.MAPPED, vm.faultCommit(fault));
        assertFalse(vm.memslot(1).stage2().isWritable(10_001));
        assertClean(vm);
    }

    @Test
    void negativeControlAFaultThatIgnoresTheInvalidationInstallsInsideItAndOverAReadOnlyPage() {
        Vm vm = vm();
        vm.injectBug(MmuBug.FAULT_IGNORES_INVALIDATION);
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 10_001, true, exit));
        vm.hostEventBegin(event.set(HostEvent.MPROTECT_RO, 10_001, 0));
        assertEquals(AccessResult.MAPPED, vm.faultCommit(fault), "the bug: no mmu_invalidate_retry");
        assertCaught(vm, "memslot 1: gfn 0x2711 has a stage-2 entry inside an invalidation in progress");
        vm.hostEventChange(event);
        vm.hostEventEnd(event);
        assertCaught(vm, "memslot 1: gfn 0x2711 has a writable stage-2 entry over a read-only host page");
    }

    @Test
    void aSteppedFaultThatLookedUpAFrameAMigrationMovedRetriesOnTheSequence() {
        Vm vm = vm();
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 10_002, false, exit));
        assertTrue(vm.migrate(10_002));
        assertEquals(AccessResult.RETRY, vm.faultCommit(fault));
        assertClean(vm);
    }

    @Test
    void negativeControlAFaultThatIgnoresTheSequenceInstallsTheFrameTheMigrationMoved() {
        Vm vm = vm();
        vm.injectBug(MmuBug.FAULT_IGNORES_INVALIDATION);
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 10_002, false, exit));
        assertTrue(vm.migrate(10_002));
        assertEquals(AccessResult.MAPPED, vm.faultCommit(fault));
        assertCaught(vm, "gfn 0x2712's stage-2 entry maps host frame 0, but the host page is frame 1 (a stale page: it moved)");
    }

    @Test
    void negativeControlAHugeFaultThatIgnoresTheSequenceIsCaughtByTheFrameSignature() {
        Vm vm = vm();
        vm.injectBug(MmuBug.FAULT_IGNORES_INVALIDATION);
        assertEquals(AccessResult.FAULT_IN, vm.faultBegin(fault, 600, true, exit));
        assertTrue(fault.isHuge());
        assertTrue(vm.migrate(700), "another page of the same region moves");
        assertEquals(AccessResult.MAPPED, vm.faultCommit(fault));
        assertCaught(vm, "memslot 0: the 2 MiB entry at gfn 0x200 maps host pages that moved since (stale frame signature)");
    }

    // ---- invariants without a bug switch: state broken directly --------------------------------

    @Test
    void anEntryOverAHostPageUnmappedBehindTheNotifiersBackIsCaught() {
        Vm vm = vm();
        vm.access(10_004, true, exit);
        assertTrue(vm.unmapHostPage(10_004));
        assertClean(vm);
        vm.access(10_005, true, exit);
        vm.host().unmap(vm.memslot(1).pageIndexOf(10_005)); // no invalidate_range_start
        assertCaught(vm, "memslot 1: gfn 0x2715 has a stage-2 entry over a host page that is none");
    }

    @Test
    void anEntryOverAHostPageSwappedOutBehindTheNotifiersBackIsCaught() {
        Vm vm = vm();
        vm.access(10_005, true, exit);
        vm.host().swapOut(vm.memslot(1).pageIndexOf(10_005));
        assertCaught(vm, "gfn 0x2715 has a stage-2 entry over a host page that is swapped");
    }

    @Test
    void aWritableEntryOverAPageWriteProtectedBehindTheNotifiersBackIsCaught() {
        Vm vm = vm();
        vm.access(10_006, true, exit);
        vm.host().writeProtect(vm.memslot(1).pageIndexOf(10_006));
        assertCaught(vm, "gfn 0x2716 has a writable stage-2 entry over a read-only host page");
    }

    @Test
    void anEntryOverAPageMigratedBehindTheNotifiersBackIsCaught() {
        Vm vm = vm();
        vm.access(10_007, true, exit);
        vm.host().replaceFrame(vm.memslot(1).pageIndexOf(10_007));
        assertCaught(vm, "(a stale page: it moved)");
    }

    @Test
    void aHugeEntryOverARegionThatIsNotAllReadWriteIsCaught() {
        Vm vm = vm();
        vm.access(20, true, exit);
        vm.host().writeProtect(30);
        assertCaught(vm, "memslot 0: the 2 MiB entry at gfn 0x0 covers host pages that are not all read-write");
    }

    @Test
    void anEntryInstalledInsideAnInvalidationInProgressIsCaught() {
        Vm vm = vm();
        vm.mmu().invalidateRangeStart(10_008, 10_009, Stage2Table.SCOPE_SHARED, true, Stage2Table.MARK_NONE);
        assertClean(vm);
        vm.memslot(1).stage2().install4k(10_008, true, 0, false); // behind the fault path's back
        assertCaught(vm, "gfn 0x2718 has a stage-2 entry inside an invalidation in progress");
        vm.mmu().invalidateRangeEnd();
        assertClean(vm);
    }

    @Test
    void aHugeEntryInsideAnInvalidationInProgressIsCaught() {
        Vm vm = vm();
        vm.mmu().invalidateRangeStart(5, 6, Stage2Table.SCOPE_SHARED, true, Stage2Table.MARK_NONE);
        vm.memslot(0).stage2().installHuge(5, vm.host().frameSignature(0, 512));
        assertCaught(vm, "the 2 MiB entry at gfn 0x0 lies inside an invalidation in progress");
        vm.mmu().invalidateRangeEnd();
    }

    @Test
    void aHugeEntryWhileUserfaultIsOnIsCaughtEvenWithEveryBitClear() {
        Vm vm = vm();
        vm.setMemslotFlags(0, MemslotFlags.USERFAULT);
        assertClean(vm);
        vm.memslot(0).stage2().installHuge(0, vm.host().frameSignature(0, 512));
        List<String> v = assertCaught(vm, "memslot 0: the region at gfn 0x0 is mapped 2 MiB while KVM_MEM_USERFAULT is on");
        assertFalse(v.get(0).contains("userfault bits are set"), "no bit is set: " + v);
    }

    @Test
    void aPrivateEntryOnASharedGfnIsCaught() {
        Vm vm = guestMemfdVm();
        vm.memslot(1).stage2().install4k(10_010, true, 0, true);
        assertCaught(vm, "memslot 1: gfn 0x271a has a private stage-2 entry but is shared");
    }

    @Test
    void aSharedEntryOnAPrivateGfnIsCaught() {
        Vm vm = guestMemfdVm();
        vm.access(10_011, true, exit);
        assertTrue(vm.setPrivate(10_011, true), "through the VM: zaps the shared entry");
        assertClean(vm);
        vm.setPrivate(10_011, false);
        vm.access(10_011, true, exit);
        vm.memslot(1).setPrivate(10_011, true); // the attribute flips without the zap
        assertCaught(vm, "memslot 1: gfn 0x271b is private but has a shared stage-2 entry");
    }

    @Test
    void aPrivateEntryInsideAPrivateInvalidationInProgressIsCaught() {
        Vm vm = guestMemfdVm();
        vm.setPrivate(10_012, true);
        vm.mmu().invalidateRangeStart(10_012, 10_013, Stage2Table.SCOPE_PRIVATE, false, Stage2Table.MARK_NONE);
        assertClean(vm);
        vm.memslot(1).stage2().install4k(10_012, true, 0, true);
        assertCaught(vm, "memslot 1: gfn 0x271c has a private stage-2 entry inside an invalidation in progress");
        vm.mmu().invalidateRangeEnd();
        assertClean(vm);
    }

    @Test
    void aHugeEntryOverAGfnMadePrivateBehindTheNotifiersBackIsCaught() {
        Vm vm = guestMemfdVm();
        vm.access(20, true, exit);
        assertTrue(vm.memslot(0).stage2().isHugeMapped(20));
        vm.memslot(0).setPrivate(40, true);
        assertCaught(vm, "memslot 0: the 2 MiB entry at gfn 0x0 covers private gfns");
    }

    @Test
    void aValidCacheEntryOverAnUnmappedOrMovedPageIsCaught() {
        Vm vm = vm();
        PfnCache cache = vm.newPfnCache(8);
        assertEquals(AccessResult.HIT, cache.refresh(10_001, false, exit));
        assertEquals(AccessResult.HIT, cache.refresh(10_002, false, exit));
        assertClean(vm);
        vm.host().unmap(vm.memslot(1).pageIndexOf(10_001));
        vm.host().replaceFrame(vm.memslot(1).pageIndexOf(10_002));
        assertCaught(vm, "a valid pfn-cache entry for gfn 0x2711 over a host page that is none");
        assertCaught(vm, "a valid pfn-cache entry for gfn 0x2712 names host frame 0, the host page is frame 1 (stale)");
    }

    @Test
    void aValidCacheEntryForAGfnMadePrivateBehindTheNotifiersBackIsCaught() {
        Vm vm = guestMemfdVm();
        PfnCache cache = vm.newPfnCache(8);
        assertEquals(AccessResult.HIT, cache.refresh(10_001, false, exit));
        vm.memslot(1).setPrivate(10_001, true);
        assertCaught(vm, "a valid pfn-cache entry for private gfn 0x2711");
    }

    @Test
    void aValidCacheEntryInsideAnInvalidationInProgressIsCaught() {
        Vm vm = vm();
        PfnCache cache = vm.newPfnCache(8);
        assertEquals(AccessResult.HIT, cache.refresh(10_001, false, exit));
        // A host-address invalidation invalidates the entry, and a refresh cannot complete before its end.
        vm.mmu().invalidateRangeStart(10_001, 10_002, Stage2Table.SCOPE_SHARED, true, Stage2Table.MARK_NONE);
        assertClean(vm);
        assertEquals(AccessResult.RETRY, cache.refresh(10_001, false, exit), "a refresh waits for the end");
        vm.mmu().invalidateRangeEnd();
        assertEquals(AccessResult.HIT, cache.refresh(10_001, false, exit));
        // A notifier that publishes its range but forgets the caches (not a hostAddressEvent: caches untouched).
        vm.mmu().invalidateRangeStart(10_001, 10_002, Stage2Table.SCOPE_SHARED, false, Stage2Table.MARK_NONE);
        assertCaught(vm, "pfn-cache entry for gfn 0x2711 is still valid after an invalidation of its page began");
        vm.mmu().invalidateRangeEnd();
    }

    @Test
    void refetchedArrivedPagesAreReported() {
        Vm vm = vm();
        assertEquals(List.of(), MmuInvariants.check(vm, 0, MmuInvariants.DEFAULT_LIMIT));
        List<String> v = MmuInvariants.check(vm, 2, MmuInvariants.DEFAULT_LIMIT);
        assertEquals(1, v.size(), v.toString());
        assertTrue(v.get(0).startsWith("2 network requests were sent for pages that had arrived"), v.toString());
    }

    @Test
    void messagesStopAtTheLimitAndTheRestAreCounted() {
        Vm vm = vm();
        for (long gfn = 10_100; gfn < 10_110; gfn++) {
            vm.access(gfn, true, exit);
            vm.host().writeProtect(vm.memslot(1).pageIndexOf(gfn));
        }
        List<String> v = MmuInvariants.check(vm, 0, 3);
        assertEquals(4, v.size(), v.toString());
        assertEquals("... and 7 more", v.get(3));
        assertThrows(IllegalArgumentException.class, () -> MmuInvariants.check(vm, 0, 0));
    }
}
