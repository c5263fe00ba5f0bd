package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.dest.workload.HostEventSpec;
import org.postcopysim.source.SourceConfig;

/**
 * Host events during a real migration (source and destination in this JVM over loopback, the
 * thread runner): in every fault mode the guest is reclaimed, migrated and write-protected under
 * the vCPUs while pages arrive, and still every page verifies, no vCPU reads a page before its
 * contents, no arrived page is requested again, and the MMU invariants hold at the end.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostEventsMigrationTest {
    /** Every kind but conversions (which need guest_memfd), thousands of events a second. */
    static final HostEventSpec SHARED_EVENTS = HostEventSpec.parse("reclaim:3000,migrate:2000,mprotect-ro:2000,mprotect-rw:2000");

    private static LoopbackMigrationTest.Both migrate(FaultOptions faults, MmuSetup mmu) {
        SourceConfig src = SourceConfig.builder().guestBytes(16L << 20).memslots(2)
                .maxBackgroundBytesPerSec(8L << 20).build();
        DestConfig dst = DestConfig.builder("127.0.0.1", 0).vcpus(3).seed(21).faults(faults)
                .accessesPerSecPerVcpu(200_000).mmu(mmu).build();
        return LoopbackMigrationTest.migrateBoth(src, dst);
    }

    private static FaultOptions mode(FaultMode m) {
        double internal = m == FaultMode.UFFD_KVM_USERFAULT ? 0.2 : 0;
        return new FaultOptions(m, 2, UffdSet.Scope.SHARED, internal, false);
    }

    @ParameterizedTest
    @EnumSource(value = FaultMode.class, names = {"KVM_USERFAULT", "EXIT_ON_MISSING", "UFFD", "UFFD_KVM_USERFAULT"})
    void everyPageVerifiesThroughHostEventsInEveryMode(FaultMode m) {
        MigrationSummary s = migrate(mode(m), MmuSetup.NONE.withHostEvents(SHARED_EVENTS)).dest();
        MigrationSummary.Mmu mmu = s.mmu();
        String what = m + ": " + mmu + " / " + s.error();
        assertNull(s.error(), what);
        assertTrue(s.verified(), what);
        assertEquals(0, s.staleReads(), what);
        assertEquals(SHARED_EVENTS.toString(), mmu.hostEventSpec());
        assertTrue(mmu.hostEvents() > 100, "host events ran during postcopy: " + what);
        assertTrue(mmu.invalidations() > 0 && mmu.stage2Zapped() > 0, "they invalidated and zapped: " + what);
        assertTrue(mmu.localRefaults() > 0, "zapped pages that had arrived were mapped again inside KVM: " + what);
        assertEquals(0, mmu.refetchedArrivedPages(), "no arrived page was requested again: " + what);
        assertEquals(List.of(), mmu.violations(), what);
        assertTrue(mmu.reclaimFlushes() > 0 && mmu.reclaimFlushesSkipped() == 0,
                "host-address events flushed (the default VM type keeps no private memory in guest_memfd): " + what);
        assertEquals(0, mmu.upgradeZaps(), "upgrades notify nothing in Linux as it is: " + what);
        if (m == FaultMode.UFFD_KVM_USERFAULT) {
            assertTrue(mmu.pfnCacheRefreshes() > 0, "KVM's own accesses went through the pfn cache: " + what);
        }
        if (m == FaultMode.EXIT_ON_MISSING) {
            assertTrue(mmu.reclaimedPopulates() > 0, "arrived pages the host reclaimed exited and were populated: " + what);
        }
    }

    @Test
    void theNotifyingVariantOfUpgradesZapsAndRefaultsWhereLinuxUpgradesLazily() {
        HostEventSpec protections = HostEventSpec.parse("mprotect-ro:4000,mprotect-rw:4000");
        MigrationSummary.Mmu linux = migrate(mode(FaultMode.KVM_USERFAULT), MmuSetup.NONE.withHostEvents(protections)).dest().mmu();
        MigrationSummary.Mmu notifying = migrate(mode(FaultMode.KVM_USERFAULT),
                new MmuSetup(MmuOptions.DEFAULT.withNotifyUpgrades(true), protections)).dest().mmu();
        String both = "linux " + linux + "\nnotifying " + notifying;
        assertEquals(0, linux.upgradeZaps(), both);
        assertTrue(linux.lazyUpgrades() > 0, "write faults upgraded read-only entries in place: " + both);
        assertTrue(notifying.notifyUpgrades() && notifying.upgradeZaps() > 0, "upgrades zapped: " + both);
        assertTrue(notifying.invalidations() > linux.invalidations() / 2, both);
        assertEquals(List.of(), notifying.violations(), both);
    }

    @Test
    void withoutHostEventsTheCountersStayZero() {
        MigrationSummary s = migrate(mode(FaultMode.KVM_USERFAULT), MmuSetup.NONE).dest();
        assertTrue(s.verified(), s.error());
        MigrationSummary.Mmu mmu = s.mmu();
        assertNull(mmu.hostEventSpec());
        assertEquals(0, mmu.hostEvents() + mmu.invalidations() + mmu.localRefaults() + mmu.pagesGivenUp(), mmu.toString());
    }

    @Test
    void privateMemoryWithConversionsVerifiesAndCountsThePagesGivenUp() {
        MmuSetup mmu = new MmuSetup(MmuOptions.DEFAULT.withPrivateMemory(0.5, 21),
                HostEventSpec.parse("reclaim:2000,mprotect-ro:1000,mprotect-rw:1000,convert:2000"));
        MigrationSummary s = migrate(mode(FaultMode.KVM_USERFAULT), mmu).dest();
        MigrationSummary.Mmu m = s.mmu();
        assertNull(s.error(), m.toString());
        assertTrue(s.verified(), m.toString());
        assertEquals(0, s.staleReads());
        assertTrue(m.privatePages() > 0, "private gfns: " + m);
        assertTrue(m.pagesGivenUp() > 0, "conversions gave contents up, and the verifier accounted for them: " + m);
        assertEquals(List.of(), m.violations());
        assertEquals(0, m.refetchedArrivedPages());
    }

    @ParameterizedTest
    @EnumSource(value = FaultMode.class, names = {"EXIT_ON_MISSING", "UFFD"})
    void aModeThatCannotSeePrivateFaultsRefusesPrivateMemoryNamingTheMemslot(FaultMode m) {
        MmuSetup mmu = new MmuSetup(MmuOptions.DEFAULT.withPrivateMemory(0.25, 3), null);
        MigrationSummary s = migrate(mode(m), mmu).dest();
        assertFalse(s.verified());
        assertTrue(s.error().contains("memslot 0") && s.error().contains("guest_memfd")
                && s.error().contains("kvm-userfault"), s.error());
    }
}
