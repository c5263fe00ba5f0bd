package org.postcopysim.source.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * What each background order sends first after a fault. Every check is run once on the real
 * order and once on a deliberately broken one ({@link OrderBug}), which it must catch.
 */
class BackgroundOrderTest {
    private static final int PAGES = 1000;

    private static SourcePolicy policy(BackgroundOrder order, OrderBug... bugs) {
        return new SourcePolicy(PAGES, order, OrderBug.bits(bugs));
    }

    private static int[] claim(SourcePolicy p, int pages) {
        int[] out = new int[pages];
        int n = p.background(pages, 0, 1, 0).claim(out);
        return Arrays.copyOf(out, n);
    }

    private static int[] range(int from, int count) {
        int[] r = new int[count];
        for (int i = 0; i < count; i++) r[i] = from + i;
        return r;
    }

    /** The scan has sent pages 0..7, then page 500 faults: the next batch starts just after it. */
    static void scanFollowsTheFault(SourcePolicy p) {
        assertArrayEquals(range(0, 8), claim(p, 8));
        p.onDemand(new int[] {500}, 1);
        assertArrayEquals(range(501, 8), claim(p, 8), "the scan goes on next to the page requested");
    }

    /** The scan has sent pages 0..7, then page 500 faults: the scan goes on at 8, and skips 500 later. */
    static void scanIgnoresTheFault(SourcePolicy p) {
        assertArrayEquals(range(0, 8), claim(p, 8));
        p.onDemand(new int[] {500}, 1);
        assertArrayEquals(range(8, 8), claim(p, 8), "linear: the scan is where it was");
        int[] rest = claim(p, PAGES);
        assertEquals(PAGES - 17, rest.length);
        assertTrue(Arrays.stream(rest).noneMatch(x -> x == 500), "the page sent on demand is not sent again");
        for (int i = 1; i < rest.length; i++) assertTrue(rest[i] > rest[i - 1], "gfn order: " + rest[i - 1] + ", " + rest[i]);
    }

    @Test
    void followFaultsMovesTheScanNextToTheFault() {
        scanFollowsTheFault(policy(BackgroundOrder.FOLLOW_FAULTS));
        assertEquals(BackgroundOrder.FOLLOW_FAULTS, BackgroundOrder.DEFAULT, "today's behaviour stays the default");
        scanFollowsTheFault(new SourcePolicy(PAGES));
    }

    @Test
    void negativeControlFollowFaultsThatDoesNotFollowIsCaught() {
        assertThrows(AssertionFailedError.class,
                () -> scanFollowsTheFault(policy(BackgroundOrder.FOLLOW_FAULTS, OrderBug.FAULTS_DO_NOT_MOVE_THE_SCAN)));
    }

    @Test
    void linearKeepsGfnOrderWhateverIsRequested() {
        scanIgnoresTheFault(policy(BackgroundOrder.LINEAR));
    }

    @Test
    void negativeControlLinearThatFollowsFaultsIsCaught() {
        assertThrows(AssertionFailedError.class,
                () -> scanIgnoresTheFault(policy(BackgroundOrder.LINEAR, OrderBug.LINEAR_FOLLOWS_FAULTS)));
    }

    /**
     * prepage:8: after a fault at 500 the next 8 pages sent are its 8 nearest neighbours,
     * alternating forward and backward, before any far page; then the linear scan goes on.
     */
    static void prepageSendsTheNeighboursFirst(SourcePolicy p) {
        assertArrayEquals(range(0, 4), claim(p, 4));
        p.onDemand(new int[] {500}, 1);
        assertArrayEquals(new int[] {501, 499, 502, 498, 503, 497, 504, 496}, claim(p, 8),
                "the window around the fault, +1, -1, +2, -2, ...");
        assertArrayEquals(range(4, 4), claim(p, 4), "then the far pages, in gfn order from where the scan was");
    }

    @Test
    void prepageFetchesTheNeighboursOfAFaultBeforeFarPages() {
        prepageSendsTheNeighboursFirst(policy(BackgroundOrder.prepage(8)));
    }

    @Test
    void negativeControlPrepageWithoutWindowsIsCaught() {
        assertThrows(AssertionFailedError.class,
                () -> prepageSendsTheNeighboursFirst(policy(BackgroundOrder.prepage(8), OrderBug.PREPAGE_IGNORES_FAULTS)));
    }

    @Test
    void negativeControlPrepageThatOnlyLooksForwardIsCaught() {
        assertThrows(AssertionFailedError.class,
                () -> prepageSendsTheNeighboursFirst(policy(BackgroundOrder.prepage(8), OrderBug.PREPAGE_FORWARD_ONLY)));
    }

    @Test
    void prepageWalksTheNewestFaultsWindowFirstThenTheOlderOnesAndSkipsSentPages() {
        SourcePolicy p = policy(BackgroundOrder.prepage(4));
        p.onDemand(new int[] {500}, 1);
        p.onDemand(new int[] {100}, 1);
        p.onDemand(new int[] {501}, 1); // inside 500's window: sent on demand, so not sent again
        assertArrayEquals(new int[] {502, 503, 499, 101, 99, 102, 98, 498, 0}, claim(p, 9),
                "501's window (500 was sent on demand: skipped), then 100's, then what is left of 500's, then the "
                        + "linear scan");
        assertArrayEquals(new int[] {1, 2, 3}, claim(p, 3));
        SourcePolicy edge = policy(BackgroundOrder.prepage(4));
        edge.onDemand(new int[] {0}, 1);
        assertArrayEquals(new int[] {1, 2, 3, 4}, claim(edge, 4), "offsets below page 0 are skipped, not wrapped");
    }

    /** The chunk sizes (pages) of the chunks the scan starts, read after each claim of one minimum chunk. */
    private static List<Integer> chunkSizes(SourcePolicy p, int claims, List<int[]> pagesOut) {
        List<Integer> sizes = new ArrayList<>();
        ChunkScan scan = (ChunkScan) p.scan();
        int[] out = new int[ChunkScan.MIN_CHUNK_PAGES];
        BackgroundPolicy bg = p.background(out.length, 0, 1, 0);
        for (int i = 0; i < claims; i++) {
            int n = bg.claim(out);
            pagesOut.add(Arrays.copyOf(out, n));
            sizes.add(scan.chunkPages());
        }
        return sizes;
    }

    /**
     * grow-chunks over 8192 pages in claims of 16 pages: the chunks are 16, 32, ..., 1024 pages,
     * then 1024 again; a fault within a chunk lets it finish, and the next chunk starts just
     * after the faulting page with 16 pages, and grows again.
     */
    static void chunksGrowAndDropBackAfterAFault(SourcePolicy p) {
        List<int[]> pages = new ArrayList<>();
        // 16 + 32 + ... + 1024 = 2032 pages = 127 claims of 16; then 2 claims into the next 1024-page chunk.
        List<Integer> sizes = chunkSizes(p, 129, pages);
        List<Integer> expected = new ArrayList<>();
        for (int size = 16; size <= 1024; size *= 2) for (int i = 0; i < size / 16; i++) expected.add(size);
        expected.add(1024);
        expected.add(1024);
        assertEquals(expected, sizes, "chunks double from 64 KiB to 4 MiB");
        assertArrayEquals(range(2048, 16), pages.get(128), "consecutive pages in gfn order");
        p.onDemand(new int[] {6000}, 1);
        pages.clear();
        sizes = chunkSizes(p, 64 - 2 + 3, pages);
        assertEquals(range(2064, 16)[0], pages.get(0)[0], "the chunk being sent finishes first");
        assertEquals(1024, sizes.get(61));
        assertArrayEquals(range(3040, 16), pages.get(61), "to its end");
        assertEquals(List.of(16, 32, 32), sizes.subList(62, 65), "the chunk after the fault is 64 KiB, then it grows again");
        assertArrayEquals(range(6001, 16), pages.get(62), "next to the fault");
        assertArrayEquals(range(6017, 16), pages.get(63));
    }

    @Test
    void growChunksGrowFrom64KiBTo4MiBAndDropBackAfterEachFault() {
        chunksGrowAndDropBackAfterAFault(new SourcePolicy(8192, BackgroundOrder.GROW_CHUNKS, 0));
    }

    @Test
    void negativeControlChunksThatDoNotShrinkAfterAFaultAreCaught() {
        assertThrows(AssertionFailedError.class, () -> chunksGrowAndDropBackAfterAFault(
                new SourcePolicy(8192, BackgroundOrder.GROW_CHUNKS, OrderBug.CHUNKS_DO_NOT_SHRINK_AFTER_A_FAULT.bit())));
    }

    @Test
    void negativeControlChunksThatDoNotGrowAreCaught() {
        assertThrows(AssertionFailedError.class, () -> chunksGrowAndDropBackAfterAFault(
                new SourcePolicy(8192, BackgroundOrder.GROW_CHUNKS, OrderBug.CHUNKS_DO_NOT_GROW.bit())));
    }

    @Test
    void growChunksWrapToPageZeroAfterTheEndOfMemory() {
        SourcePolicy p = new SourcePolicy(100, BackgroundOrder.GROW_CHUNKS, 0);
        assertArrayEquals(range(0, 16), claim(p, 16));
        p.onDemand(new int[] {95}, 1);
        int[] rest = claim(p, 100);
        assertEquals(100 - 16 - 1, rest.length);
        assertArrayEquals(new int[] {96, 97, 98, 99, 16, 17}, Arrays.copyOf(rest, 6),
                "the next chunk starts after the fault, ends at the end of memory, and the scan wraps to page 0");
        assertEquals(0, p.sent().unsent());
    }

    @Test
    void ordersParseFromTheirSpellingsAndPrintThemBack() {
        for (String s : List.of("linear", "follow-faults", "prepage:64", "grow-chunks", "prepage:1")) {
            assertEquals(s, BackgroundOrder.parse(s).toString());
        }
        assertEquals(BackgroundOrder.prepage(16), BackgroundOrder.parse(" PrePage:16 "));
        assertEquals(BackgroundOrder.Kind.GROW_CHUNKS, BackgroundOrder.parse("grow-chunks").kind());
    }

    @Test
    void aBadOrderIsRefusedWithWhatIsExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackgroundOrder.parse("random"));
        assertTrue(e.getMessage().contains("unknown background order 'random'") && e.getMessage().contains("prepage:W"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackgroundOrder.parse("prepage"));
        assertTrue(e.getMessage().contains("prepage needs its window"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackgroundOrder.parse("prepage:0"));
        assertTrue(e.getMessage().contains("within 1.." + BackgroundOrder.MAX_WINDOW_PAGES), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackgroundOrder.parse("prepage:lots"));
        assertTrue(e.getMessage().contains("'lots' is not a whole number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackgroundOrder.parse("prepage:" + (BackgroundOrder.MAX_WINDOW_PAGES + 1)));
        assertTrue(e.getMessage().contains("within 1.."), e.getMessage());
    }
}
