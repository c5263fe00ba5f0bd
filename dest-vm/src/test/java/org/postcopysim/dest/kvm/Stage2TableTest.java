package org.postcopysim.dest.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Stage2TableTest {

    @Test
    void map4kMapsOnlyThatGfn() {
        Stage2Table table = new Stage2Table(0, 1024);
        table.map4k(5);
        assertTrue(table.isMapped(5));
        assertFalse(table.isMapped(4));
        assertFalse(table.isMapped(6));
        assertEquals(1, table.mapped4kCount());
        assertEquals(0, table.mappedHugeCount());
    }

    @Test
    void mapHugeMapsTheWholeAlignedRegionAndReplacesIts4kMappings() {
        Stage2Table table = new Stage2Table(0, 1024);
        table.map4k(5);
        table.map4k(511);
        table.map4k(600);
        assertTrue(table.mapHuge(10));
        for (long gfn = 0; gfn < 512; gfn++) assertTrue(table.isMapped(gfn));
        assertTrue(table.isHugeMapped(300));
        assertEquals(1, table.mappedHugeCount());
        assertEquals(1, table.mapped4kCount(), "only gfn 600, outside the region, keeps a 4 KiB mapping");
        assertFalse(table.isMapped(512));
    }

    @Test
    void mapHugeRefusesRegionsThatCrossTheSlotEdges() {
        Stage2Table table = new Stage2Table(100, 1000); // gfns 100..1099
        assertFalse(table.hugeCapable(100));
        assertFalse(table.mapHuge(100));
        assertTrue(table.hugeCapable(600));
        assertTrue(table.mapHuge(600));
        assertFalse(table.hugeCapable(1050));
        assertFalse(table.mapHuge(1050));
        assertTrue(table.isMapped(512));
        assertTrue(table.isMapped(1023));
        assertFalse(table.isMapped(1024));
        assertFalse(table.isMapped(511));
        assertEquals(1, table.mappedHugeCount());
    }

    @Test
    void map4kUnderAHugeMappingIsANoop() {
        Stage2Table table = new Stage2Table(0, 512);
        table.mapHuge(0);
        table.map4k(7);
        assertEquals(0, table.mapped4kCount());
        assertEquals(1, table.mappedHugeCount());
    }

    @Test
    void unmapRemovesAHugeMappingWhole() {
        Stage2Table table = new Stage2Table(100, 1000);
        table.mapHuge(600);
        table.map4k(200);
        assertTrue(table.unmap(700));
        assertFalse(table.isMapped(512));
        assertFalse(table.isMapped(700));
        assertTrue(table.isMapped(200));
        assertFalse(table.unmap(700));
        assertTrue(table.unmap(200));
        assertFalse(table.isMapped(200));
    }

    @Test
    void zapAllRemovesEverythingAndCountsAHugeMappingAsOne() {
        Stage2Table table = new Stage2Table(0, 2048);
        table.map4k(1);
        table.map4k(64);
        table.map4k(1500);
        table.mapHuge(600);
        assertEquals(4, table.zapAll());
        assertEquals(0, table.mapped4kCount());
        assertEquals(0, table.mappedHugeCount());
        assertFalse(table.isMapped(1));
        assertFalse(table.isMapped(600));
        assertEquals(0, table.zapAll());
    }

    @Test
    void anyMapped4kInRegionSeesOnlyThatRegion() {
        Stage2Table table = new Stage2Table(100, 1000);
        assertFalse(table.anyMapped4kInRegion(600));
        table.map4k(1023);
        assertTrue(table.anyMapped4kInRegion(512));
        assertFalse(table.anyMapped4kInRegion(1024));
        assertFalse(table.anyMapped4kInRegion(100));
    }

    @Test
    void concurrentMapsInTheSameWordsLoseNoMapping() throws InterruptedException {
        int threads = 4;
        long pages = 64 * 64 + 33;
        for (int round = 0; round < 20; round++) {
            Stage2Table table = new Stage2Table(3, pages); // unaligned base: words span regions
            Concurrently.run("vcpu", threads, t -> {
                for (long i = t; i < pages; i += threads) table.map4k(3 + i);
            });
            assertEquals(pages, table.mapped4kCount());
            for (long i = 0; i < pages; i++) assertTrue(table.isMapped(3 + i));
        }
    }

    @Test
    void racingMap4kAndMapHugeLeaveNo4kMappingUnderTheHugeOne() throws InterruptedException {
        for (int round = 0; round < 50; round++) {
            Stage2Table table = new Stage2Table(0, 512);
            Concurrently.run("vcpu", 3, t -> {
                if (t == 0) {
                    table.mapHuge(0);
                } else {
                    for (long gfn = t; gfn < 512; gfn += 2) table.map4k(gfn);
                }
            });
            assertEquals(1, table.mappedHugeCount());
            assertEquals(0, table.mapped4kCount());
        }
    }
}
