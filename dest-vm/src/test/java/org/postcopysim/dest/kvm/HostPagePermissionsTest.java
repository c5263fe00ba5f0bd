package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The primary MMU's PTE states (kernel-background.md §6): none, read-only, swapped out,
 * read-write, the transitions between them, and the frame a page maps.
 */
class HostPagePermissionsTest {
    @Test
    void mapMeansReadWriteAndWriteProtectAndUnprotectMoveBetweenTheTwoMappedStates() {
        HostPageTable host = new HostPageTable(100);
        assertEquals(HostPageTable.NONE, host.state(3));
        assertEquals(0, host.permissions(3));
        assertTrue(host.map(3));
        assertEquals(HostPageTable.READ_WRITE, host.state(3));
        assertEquals(HostPageTable.PERM_READ | HostPageTable.PERM_WRITE, host.permissions(3));

        assertTrue(host.writeProtect(3));
        assertTrue(host.isMapped(3));
        assertFalse(host.isWritable(3));
        assertEquals(HostPageTable.PERM_READ, host.permissions(3));
        assertFalse(host.writeProtect(3), "already read-only");
        assertFalse(host.map(3), "a read-only PTE is not none: EEXIST");

        assertTrue(host.makeWritable(3));
        assertTrue(host.isWritable(3));
        assertFalse(host.makeWritable(3));
        assertFalse(host.makeWritable(4), "an unmapped page has nothing to upgrade");
        assertFalse(host.writeProtect(4));
        assertEquals(HostPageTable.NONE, host.state(4));
    }

    @Test
    void aSwappedOutPageIsAbsentButNotMissingAndUffdioCopyOnItIsEexist() {
        HostPageTable host = HostPageTable.fullyMapped(64);
        assertTrue(host.swapOut(10));
        assertEquals(HostPageTable.SWAPPED, host.state(10));
        assertFalse(host.isMapped(10));
        assertTrue(host.hasContents(10), "its contents are in swap");
        assertEquals(0, host.permissions(10));
        assertFalse(host.map(10), "the PTE is a swap entry, not none");
        assertFalse(host.swapOut(10));
        assertFalse(host.makeWritable(10));

        assertTrue(host.swapIn(10, false));
        assertEquals(HostPageTable.READ_ONLY, host.state(10), "a read fault maps the swapped-in page read-only");
        assertFalse(host.swapIn(10, true), "not swapped out any more");
        assertTrue(host.swapOut(10));
        assertTrue(host.swapIn(10, true));
        assertEquals(HostPageTable.READ_WRITE, host.state(10), "a write fault maps it writable");
    }

    @Test
    void unmapMakesAnyPteNoneAndReportsOnlyMappedPagesAsUnmapped() {
        HostPageTable host = HostPageTable.fullyMapped(64);
        host.swapOut(1);
        host.writeProtect(2);
        assertFalse(host.unmap(1), "a swapped-out page was not mapped");
        assertFalse(host.hasContents(1), "its swap is discarded too");
        assertTrue(host.unmap(2));
        assertTrue(host.unmap(3));
        assertFalse(host.unmap(3));
        assertEquals(3, host.countState(HostPageTable.NONE));
        assertTrue(host.map(1));
    }

    @Test
    void migrationMovesAMappedPageToANewFrameAndAFreshMappingGetsOneToo() {
        HostPageTable host = new HostPageTable(64);
        assertFalse(host.replaceFrame(5), "nothing to migrate");
        assertEquals(0, host.frame(5));
        host.map(5);
        assertTrue(host.replaceFrame(5));
        assertEquals(1, host.frame(5));
        assertEquals(HostPageTable.READ_WRITE, host.state(5), "permissions unchanged");
        host.writeProtect(5);
        assertTrue(host.replaceFrame(5));
        assertEquals(HostPageTable.READ_ONLY, host.state(5));

        host.swapOut(6);
        host.mapFresh(6);
        assertEquals(HostPageTable.READ_WRITE, host.state(6));
        assertEquals(1, host.frame(6));
        int before = host.frameSignature(0, 64);
        int tailBefore = host.frameSignature(6, 64);
        host.replaceFrame(5);
        assertNotEquals(before, host.frameSignature(0, 64), "any migration in the range changes the signature");
        assertEquals(tailBefore, host.frameSignature(6, 64), "outside the migrated page it does not");
    }

    @Test
    void frameNumbersWrapAt16Bits() {
        HostPageTable host = HostPageTable.fullyMapped(1);
        for (int i = 0; i < 65535; i++) host.replaceFrame(0);
        assertEquals(65535, host.frame(0));
        host.replaceFrame(0);
        assertEquals(0, host.frame(0));
    }

    @Test
    void allWritableAndAllMappedCheckExactlyTheirRangeAcrossWordBoundaries() {
        HostPageTable host = HostPageTable.fullyMapped(200); // 32 pages per word
        host.writeProtect(64);
        host.swapOut(100);
        assertTrue(host.allWritable(0, 64));
        assertFalse(host.allWritable(60, 70));
        assertTrue(host.allMapped(60, 70), "read-only is mapped");
        assertTrue(host.allWritable(65, 100));
        assertFalse(host.allMapped(95, 101));
        assertTrue(host.allMapped(101, 200));
        assertTrue(host.allWritable(101, 200));
        assertTrue(host.allWritable(7, 7), "an empty range");
        assertEquals(199, host.mappedCount());
        assertEquals(1, host.countState(HostPageTable.SWAPPED));
        assertEquals(1, host.countState(HostPageTable.READ_ONLY));
        assertEquals(198, host.countState(HostPageTable.READ_WRITE));
    }

    @Test
    void fullyMappedLeavesNoStateBeyondTheLastPage() {
        HostPageTable host = HostPageTable.fullyMapped(33);
        assertEquals(33, host.mappedCount());
        assertEquals(0, host.countState(HostPageTable.NONE));
        assertTrue(host.allWritable(0, 33));
    }
}
