package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The host page tables behind guest memory: map (EEXIST on the second), unmap, range checks. */
class HostPageTableTest {
    @Test
    void aNewTableHasNothingMappedAndFullyMappedHasEverything() {
        HostPageTable empty = new HostPageTable(1000);
        assertEquals(0, empty.mappedCount());
        assertFalse(empty.isMapped(0));
        assertFalse(empty.isMapped(999));
        HostPageTable full = HostPageTable.fullyMapped(1000);
        assertEquals(1000, full.mappedCount());
        assertTrue(full.allMapped(0, 1000));
    }

    @Test
    void mapReturnsFalseWhenThePageIsAlreadyMappedTheEexistCase() {
        HostPageTable host = new HostPageTable(100);
        assertTrue(host.map(42));
        assertTrue(host.isMapped(42));
        assertFalse(host.map(42), "second map: EEXIST");
        assertEquals(1, host.mappedCount());
    }

    @Test
    void unmapReturnsWhetherThePageWasMappedAndMakesItMissingAgain() {
        HostPageTable host = HostPageTable.fullyMapped(100);
        assertTrue(host.unmap(7));
        assertFalse(host.isMapped(7));
        assertFalse(host.unmap(7));
        assertEquals(99, host.mappedCount());
        assertTrue(host.map(7));
    }

    @Test
    void allMappedChecksExactlyTheGivenRange() {
        HostPageTable host = HostPageTable.fullyMapped(2048);
        host.unmap(600);
        assertTrue(host.allMapped(0, 512));
        assertFalse(host.allMapped(512, 1024));
        assertTrue(host.allMapped(601, 1024));
        assertTrue(host.allMapped(512, 600));
        assertTrue(host.allMapped(5, 5), "an empty range");
    }

    @Test
    void indexesOutsideTheTableAreRejected() {
        HostPageTable host = new HostPageTable(64);
        assertThrows(IndexOutOfBoundsException.class, () -> host.isMapped(64));
        assertThrows(IndexOutOfBoundsException.class, () -> host.map(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> host.allMapped(0, 65));
        assertThrows(IllegalArgumentException.class, () -> new HostPageTable(0));
    }
}
