package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;

/**
 * Host events through the mmu_notifier (kernel-background.md §6): reclaim, migration and
 * downgrades invalidate around the host's change and zap stage-2; upgrades notify nothing and
 * KVM upgrades lazily on the next write ("[PATCH] mmu_notifiers: Notify on pte permission
 * upgrades"), unless the notify-on-upgrade variant is on; the reclaim flush of an hva event.
 */
class HostEventsTest {
    private final MemoryFaultExit exit = new MemoryFaultExit();

    /** Slot 0: gfns 0..1023; slot 1: gfns 10000..10999. Fully host-mapped, no USERFAULT. */
    private static Vm vm(MmuOptions options) {
        GuestLayout layout = GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0, 1024, 0),
                new GuestLayout.Slot(1, 10_000, 1000, 0)));
        return new Vm(layout, true, HostPageTable.fullyMapped(layout.totalPages()), options);
    }

    private static Vm vm() {
        return vm(MmuOptions.DEFAULT);
    }

    @Test
    void reclaimZapsTheHugeEntryWholeAndTheRefaultSwapsThePageInWithoutAnyExit() {
        Vm vm = vm();
        assertEquals(AccessResult.MAPPED, vm.access(20, true, exit));
        Stage2Table stage2 = vm.memslot(0).stage2();
        assertTrue(stage2.isHugeMapped(0));

        assertTrue(vm.reclaim(20));

        assertEquals(HostPageTable.SWAPPED, vm.host().state(20));
        assertFalse(stage2.isMapped(0), "the huge entry over the reclaimed page is zapped whole");
        assertEquals(1, vm.hostEvents());
        assertEquals(1, vm.invalidations());
        assertEquals(1, vm.stage2Zapped());
        assertEquals(0, vm.mmu().inProgress());

        exit.clear();
        assertEquals(AccessResult.MAPPED, vm.access(20, false, exit), "swapped in inside the host fault");
        assertEquals(0, exit.flags(), "no exit was prepared");
        assertEquals(1, vm.swapIns());
        assertEquals(HostPageTable.READ_ONLY, vm.host().state(20), "a read fault swaps in read-only");
        assertFalse(stage2.isWritable(20), "so KVM maps it read-only, 4 KiB");
        assertEquals(1, vm.localRefaults());
        assertEquals(AccessResult.MAPPED, vm.access(300, false, exit), "another gfn of the zapped region refaults too");
        assertEquals(2, vm.localRefaults());
        assertEquals(AccessResult.HIT, vm.access(300, true, exit), "the rest of the region is still read-write");
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void aWriteToTheReadOnlyEntryUpgradesItLazilyWithoutAnyNotification() {
        Vm vm = vm();
        vm.access(20, false, exit);
        vm.reclaim(20);
        assertEquals(AccessResult.MAPPED, vm.access(20, false, exit));
        long invalidations = vm.invalidations();

        assertEquals(AccessResult.MAPPED, vm.access(20, true, exit), "a write-protection fault");

        assertEquals(HostPageTable.READ_WRITE, vm.host().state(20), "the host's write fault reused the page");
        assertTrue(vm.memslot(0).stage2().isWritable(20));
        assertEquals(1, vm.lazyUpgrades());
        assertEquals(1, vm.hostWriteUpgrades());
        assertEquals(invalidations, vm.invalidations(), "the upgrade notified nothing");
        assertEquals(AccessResult.HIT, vm.access(20, true, exit));
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void migrationMovesThePageAndTheRefaultMapsTheNewFrame() {
        Vm vm = vm();
        vm.access(10_005, true, exit); // slot 1 base 10000 is not 512-aligned: 4 KiB
        long page = vm.memslot(1).pageIndexOf(10_005);
        assertEquals(0, vm.memslot(1).stage2().frame(10_005));

        assertTrue(vm.migrate(10_005));

        assertEquals(1, vm.host().frame(page));
        assertFalse(vm.memslot(1).stage2().isMapped(10_005));
        assertEquals(AccessResult.MAPPED, vm.access(10_005, true, exit));
        assertEquals(1, vm.memslot(1).stage2().frame(10_005));
        assertEquals(1, vm.localRefaults());
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void aDowngradeZapsAndTheReadRefaultMapsReadOnlyThenAWriteBreaksTheProtectionAndUpgrades() {
        Vm vm = vm();
        vm.access(10_001, true, exit);

        assertTrue(vm.mprotectReadOnly(10_001));

        Stage2Table stage2 = vm.memslot(1).stage2();
        assertFalse(stage2.isMapped(10_001));
        assertEquals(AccessResult.MAPPED, vm.access(10_001, false, exit));
        assertFalse(stage2.isWritable(10_001), "no writable entry over a read-only host page");
        assertEquals(List.of(), MmuInvariants.check(vm));
        assertEquals(AccessResult.MAPPED, vm.access(10_001, true, exit));
        assertTrue(stage2.isWritable(10_001));
        assertEquals(1, vm.lazyUpgrades());
        assertEquals(1, vm.invalidations(), "only the downgrade notified");
    }

    @Test
    void anUpgradeEventNotifiesNothingAndTheEntryStaysReadOnlyUntilTheNextWrite() {
        Vm vm = vm();
        vm.access(10_002, true, exit);
        vm.mprotectReadOnly(10_002);
        vm.access(10_002, false, exit);
        long zapped = vm.stage2Zapped();

        assertTrue(vm.mprotectReadWrite(10_002));

        assertEquals(1, vm.invalidations());
        assertEquals(zapped, vm.stage2Zapped());
        assertFalse(vm.memslot(1).stage2().isWritable(10_002), "KVM does not know yet");
        assertEquals(AccessResult.HIT, vm.access(10_002, false, exit));
        assertEquals(AccessResult.MAPPED, vm.access(10_002, true, exit));
        assertEquals(1, vm.lazyUpgrades());
        assertEquals(0, vm.hostWriteUpgrades(), "the host page was writable already");
        assertEquals(0, vm.upgradeZaps());
    }

    @Test
    void withNotifyOnUpgradeTheUpgradeZapsInsteadAndTheNextAccessRefaults() {
        Vm vm = vm(MmuOptions.DEFAULT.withNotifyUpgrades(true));
        vm.access(10_002, true, exit);
        vm.mprotectReadOnly(10_002);
        vm.access(10_002, false, exit);

        assertTrue(vm.mprotectReadWrite(10_002));

        assertEquals(2, vm.invalidations(), "the upgrade notified");
        assertEquals(1, vm.mmu().upgradeNotifications());
        assertEquals(1, vm.upgradeZaps(), "the read-only entry was zapped, not upgraded");
        assertFalse(vm.memslot(1).stage2().isMapped(10_002));
        assertEquals(AccessResult.MAPPED, vm.access(10_002, true, exit), "a refault, where Linux would upgrade lazily");
        assertEquals(1, vm.upgradeRefaults());
        assertEquals(0, vm.lazyUpgrades());
    }

    @Test
    void withNotifyOnUpgradeTheHostWriteFaultOfAGuestWriteNotifiesAndTheFaultRetriesOnce() {
        Vm vm = vm(MmuOptions.DEFAULT.withNotifyUpgrades(true));
        vm.access(10_003, true, exit);
        vm.mprotectReadOnly(10_003);
        vm.access(10_003, false, exit);
        long retried = vm.retriedFaults();

        assertEquals(AccessResult.MAPPED, vm.access(10_003, true, exit));

        assertEquals(1, vm.hostWriteUpgrades());
        assertEquals(1, vm.upgradeZaps(), "its own read-only entry went");
        assertEquals(retried + 1, vm.retriedFaults(), "the notification bumped the sequence under the fault");
        assertEquals(1, vm.upgradeRefaults());
        assertEquals(0, vm.lazyUpgrades());
        assertEquals(List.of(), MmuInvariants.check(vm));
    }

    @Test
    void aHostAddressEventThatFoundAMemslotFlushesUnlessEveryPrivatePageLivesInGuestMemfd() {
        Vm sev = vm();
        sev.reclaim(5);
        sev.migrate(6);
        sev.mprotectReadOnly(7);
        assertEquals(3, sev.mmu().reclaimFlushes());
        assertEquals(0, sev.mmu().reclaimFlushesSkipped());

        Vm snp = vm(MmuOptions.DEFAULT.withVmType(VmType.GUEST_MEMFD_PRIVATE));
        snp.reclaim(5);
        snp.migrate(6);
        snp.mprotectReadOnly(7);
        assertEquals(0, snp.mmu().reclaimFlushes());
        assertEquals(3, snp.mmu().reclaimFlushesSkipped());
        assertEquals(3, snp.invalidations(), "the invalidations themselves still happen");

        sev.mprotectReadWrite(7);
        assertEquals(3, sev.mmu().reclaimFlushes(), "an upgrade notifies nothing, so nothing is flushed");
    }

    @Test
    void anEventOutsideEveryMemslotNotifiesNothing() {
        Vm vm = vm();
        HostEvent e = new HostEvent().set(HostEvent.RECLAIM, 5000, 0);
        assertFalse(vm.apply(e));
        assertFalse(e.notifies());
        assertEquals(1, vm.hostEvents());
        assertEquals(0, vm.invalidations());
        assertEquals(0, vm.mmu().reclaimFlushes());
    }

    @Test
    void eventsOnPagesWithoutAMappingChangeNothingButStillNotify() {
        GuestLayout layout = GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, 1024, 0)));
        Vm vm = new Vm(layout, true, new HostPageTable(1024));
        assertFalse(vm.reclaim(3));
        assertFalse(vm.migrate(3));
        assertFalse(vm.mprotectReadOnly(3));
        assertFalse(vm.mprotectReadWrite(3));
        assertEquals(HostPageTable.NONE, vm.host().state(3));
        assertEquals(3, vm.invalidations());
        assertEquals(AccessResult.HOST_FAULT, vm.access(3, false, exit), "still missing: userfaultfd's business");
    }

    @Test
    void theStepsMustComeInOrder() {
        Vm vm = vm();
        HostEvent e = new HostEvent().set(HostEvent.MIGRATE, 1, 0);
        assertThrows(IllegalStateException.class, () -> vm.hostEventChange(e));
        vm.hostEventBegin(e);
        assertThrows(IllegalStateException.class, () -> vm.hostEventBegin(e));
        assertThrows(IllegalStateException.class, () -> vm.hostEventEnd(e));
        assertThrows(IllegalStateException.class, () -> e.set(HostEvent.RECLAIM, 2, 0), "still in progress");
        vm.hostEventChange(e);
        vm.hostEventEnd(e);
        assertEquals(0, vm.mmu().inProgress());
        assertThrows(IllegalArgumentException.class, () -> e.set(HostEvent.KINDS, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> e.set(HostEvent.RECLAIM, 2, -1));
    }
}
