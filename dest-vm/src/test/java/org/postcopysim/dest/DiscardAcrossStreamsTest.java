package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.TestPages;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.protocol.DiscardChunks;
import org.postcopysim.time.NanoClock;

/**
 * The switchover's discard set over several BACKGROUND streams, deterministically: each stream
 * delivers the whole set behind its last precopy page; nothing is dropped until every stream has
 * (a precopy page still on its way on a slower stream would otherwise land after the drop and
 * stay, stale); meanwhile a stream that is past its set holds its postcopy pages
 * ({@link Migration#holdPagesUntil}), and streams that disagree on the set fail the migration.
 */
class DiscardAcrossStreamsTest {
    private static final GuestLayout LAYOUT = GuestLayout.contiguous(64L * GuestLayout.PAGE_SIZE_BYTES, 1);

    /** A destination with every page present, its discard applied over {@code streams} streams. */
    private static final class Dest implements AutoCloseable {
        final Vm vm = TestPages.vmWithAllPagesMissing(LAYOUT);
        final GuestMemory memory = GuestMemory.allocate(LAYOUT.totalPages());
        final PageInstaller installer = new PageInstaller(vm, (p, g, last) -> { });
        final Migration migration = new Migration(NanoClock.SYSTEM);

        Dest(int streams, PrecopyBug bug) {
            PageInstaller.Context ctx = new PageInstaller.Context(memory);
            for (long gfn = 0; gfn < LAYOUT.totalPages(); gfn++) {
                ByteBuf page = TestPages.sourcePage(1, gfn);
                try {
                    assertEquals(PageInstaller.INSTALLED, installer.install(ctx, gfn, TestPages.crc(page), TestPages.bytes(page)));
                } finally {
                    page.release();
                }
            }
            migration.precopyStarts();
            migration.discardApplier = new DiscardApplier(installer, ctx, LAYOUT, streams, bug);
        }

        boolean present(long gfn) {
            return !vm.memslotOfGfn(gfn).userfaultBitmap().isSet(gfn);
        }

        @Override
        public void close() {
            memory.close();
        }
    }

    /** The set {2, 5, 40} as one stream's chunks. */
    private static long[] set(long... pages) {
        long[] words = new long[1];
        for (long p : pages) words[0] |= 1L << p;
        return words;
    }

    private static String deliver(Migration m, int stream, long[] words) {
        for (var chunk : DiscardChunks.split(words, 8)) {
            String error = m.onDiscard(chunk, stream);
            if (error != null) return error;
        }
        return null;
    }

    /** Stream 0 delivers, then stream 1: nothing dropped and stream 0 held in between, then all dropped. */
    private static void assertAppliedOnceEveryStreamDelivered(Dest d) {
        long[] words = set(2, 5, 40);
        assertNull(deliver(d.migration, 0, words));
        assertTrue(d.present(2) && d.present(5) && d.present(40), "nothing dropped while stream 1 may still bring precopy pages");
        CompletableFuture<?> held = d.migration.holdPagesUntil(0);
        assertNotNull(held, "stream 0 is past the set: its postcopy pages wait");
        assertFalse(held.isDone());
        assertNull(d.migration.holdPagesUntil(1), "stream 1 is still in precopy: its pages go in");
        assertTrue(d.migration.precopyRunning());
        assertNull(deliver(d.migration, 1, words));
        assertFalse(d.present(2) || d.present(5) || d.present(40), "dropped once both streams delivered the set");
        assertTrue(d.present(3));
        assertTrue(held.isDone(), "stream 0's pages go in now");
        assertEquals(3L, d.migration.discarded.join());
        assertNull(d.migration.holdPagesUntil(0));
        assertFalse(d.migration.precopyRunning());
    }

    @Test
    void theSetIsAppliedOnlyOnceEveryStreamHasDeliveredIt() {
        try (Dest d = new Dest(2, PrecopyBug.NONE)) {
            assertAppliedOnceEveryStreamDelivered(d);
        }
    }

    @Test
    void negativeControlADestinationThatAppliesItAtTheFirstStreamIsCaught() {
        try (Dest d = new Dest(2, PrecopyBug.DISCARD_ON_FIRST_STREAM)) {
            assertThrows(AssertionError.class, () -> assertAppliedOnceEveryStreamDelivered(d));
        }
    }

    @Test
    void oneStreamAppliesItAtItsLastChunk() {
        try (Dest d = new Dest(1, PrecopyBug.NONE)) {
            assertNull(deliver(d.migration, 0, set(7)));
            assertFalse(d.present(7));
            assertNull(d.migration.holdPagesUntil(0));
        }
    }

    @Test
    void streamsThatDisagreeOnTheSetAreRefused() {
        try (Dest d = new Dest(2, PrecopyBug.NONE)) {
            assertNull(deliver(d.migration, 0, set(2, 5)));
            String error = deliver(d.migration, 1, set(2, 6));
            assertNotNull(error);
            assertTrue(error.contains("different discard sets"), error);
            assertTrue(d.present(2) && d.present(5) && d.present(6), "nothing dropped");
            assertEquals("a Discard on stream 2 of 2", d.migration.onDiscard(DiscardChunks.split(set(1), 8).get(0), 2));
        }
    }
}
