package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Stage-2 entries with permissions, the private attribute, frames, scoped zaps and refault marks. */
class Stage2PermissionsTest {
    @Test
    void aReadOnlyEntryPermitsReadsNotWritesAndAnInstallUpgradesIt() {
        Stage2Table table = new Stage2Table(0, 1024);
        table.install4k(5, false, 7, false);
        assertTrue(table.permits(5, false));
        assertFalse(table.permits(5, true));
        assertFalse(table.isWritable(5));
        assertEquals(7, table.frame(5));

        table.install4k(5, true, 7, false);
        assertTrue(table.permits(5, true));
        table.install4k(5, false, 8, false);
        assertFalse(table.isWritable(5), "an install sets exactly the permission it is given");
        assertEquals(8, table.frame(5));
    }

    @Test
    void aZapClearsTheWritableBitSoAWriteCheckAloneNeverHitsAZappedEntry() {
        Stage2Table table = new Stage2Table(0, 1024);
        table.install4k(9, true, 0, false);
        assertEquals(Stage2Table.ZAPPED_4K, table.zap(9, Stage2Table.SCOPE_SHARED));
        assertFalse(table.isWritable(9));
        assertFalse(table.permits(9, true));
        assertFalse(table.isMapped(9));
    }

    @Test
    void sharedOnlyZapsSparePrivateEntriesAndPrivateOnlyZapsSpareSharedOnes() {
        Stage2Table table = new Stage2Table(0, 1024);
        table.install4k(600, true, 0, true);
        table.install4k(601, true, 0, false);
        assertTrue(table.isPrivateEntry(600));
        assertFalse(table.isPrivateEntry(601));

        assertEquals(0, table.zap(600, Stage2Table.SCOPE_SHARED));
        assertTrue(table.isMapped(600));
        assertEquals(0, table.zap(601, Stage2Table.SCOPE_PRIVATE));
        assertTrue(table.isMapped(601));

        assertEquals(Stage2Table.ZAPPED_PRIVATE, table.zap(600, Stage2Table.SCOPE_PRIVATE));
        assertEquals(Stage2Table.ZAPPED_4K, table.zap(601, Stage2Table.SCOPE_ALL));
        assertEquals(0, table.mapped4kCount());
    }

    @Test
    void aHugeEntryIsWritableSharedAndGoesWholeOnASharedZapOfAnyOfItsGfns() {
        Stage2Table table = new Stage2Table(0, 1024);
        assertTrue(table.installHuge(700, 1234));
        assertTrue(table.permits(512, true));
        assertEquals(1234, table.hugeSignature(1023));
        assertEquals(0, table.zap(900, Stage2Table.SCOPE_PRIVATE), "huge entries are shared");
        assertEquals(Stage2Table.ZAPPED_HUGE, table.zap(900, Stage2Table.SCOPE_SHARED));
        assertFalse(table.isMapped(512));
    }

    @Test
    void aNotifierZapMarksTheGfnsItUnmappedAndTheRefaultTakesTheMarkOnce() {
        Stage2Table table = new Stage2Table(0, 1024, true);
        table.install4k(3, true, 0, false);
        table.installHuge(512, 0);
        table.zap(3, Stage2Table.SCOPE_SHARED, Stage2Table.MARK_REFAULT);
        table.zap(600, Stage2Table.SCOPE_SHARED, Stage2Table.MARK_UPGRADE);
        table.zap(4, Stage2Table.SCOPE_SHARED, Stage2Table.MARK_REFAULT); // nothing mapped: no mark

        assertTrue(table.takeRefault(3, false));
        assertFalse(table.takeRefault(3, false), "taken once");
        assertFalse(table.takeRefault(4, false));
        assertFalse(table.takeRefault(700, false), "an upgrade zap leaves an upgrade mark only");
        assertTrue(table.takeUpgradeRefault(700, false), "every gfn of the zapped huge entry is marked");
        assertTrue(table.takeUpgradeRefault(512, true), "a huge refault takes the region's marks");
        assertFalse(table.takeUpgradeRefault(1000, false));
    }

    @Test
    void withoutUpgradeMarksNoUpgradeRefaultIsEverTaken() {
        Stage2Table table = new Stage2Table(0, 512);
        table.install4k(1, true, 0, false);
        table.zap(1, Stage2Table.SCOPE_SHARED, Stage2Table.MARK_UPGRADE);
        assertFalse(table.takeUpgradeRefault(1, false));
    }

    @Test
    void iterationVisitsEvery4kEntryAndHugeRegionOfAnUnalignedSlot() {
        Stage2Table table = new Stage2Table(100, 1500); // gfns 100..1599
        table.install4k(100, true, 0, false);
        table.install4k(511, true, 0, false);
        table.install4k(1599, true, 0, false);
        table.installHuge(1024, 0);
        StringBuilder seen = new StringBuilder();
        for (long g = table.nextMapped4k(0); g >= 0; g = table.nextMapped4k(g + 1)) seen.append(g).append(' ');
        assertEquals("100 511 1599 ", seen.toString());
        assertEquals(1024, table.nextHuge(0));
        assertEquals(-1, table.nextHuge(1024 + 512));
    }
}
