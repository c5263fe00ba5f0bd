package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;

/** CompletionDigest -> CompletionResult and the completion future; links that drop. Real loopback sockets. */
class CompletionTest {
    private static final SourceConfig CONFIG = SourceConfig.builder().guestBytes(4L << 20).memslots(2).seed(99).build();
    /** A recovery deadline of zero: a dropped link fails the migration at once (see SourceRecoveryTest for recovery). */
    private static final SourceConfig NO_RECOVERY =
            CONFIG.toBuilder().reliability(CONFIG.reliability().withRecoveryDeadline(java.time.Duration.ZERO)).build();

    private static SourceResult await(SourceVm vm) throws Exception {
        return vm.completion().get(TestDestination.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void correctChecksumsAfterAFullStreamVerifyTheMigration() throws Exception {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            ExpectedPages expected = new ExpectedPages(CONFIG);
            Handshake h = Sessions.demandHello(demand, 1);
            Sessions.backgroundHello(background, h.getMigrationId());
            expected.receiveAllPages(background, new BitSet());

            CompletionResult r = Sessions.digest(demand, Sessions.expectedCrcs(expected), expected.totalPages(), 3);
            assertEquals(expected.totalPages(), r.getPagesTotal());
            assertEquals(expected.totalPages(), r.getPagesVerified());
            assertEquals(0, r.getPageMismatches());
            assertEquals(0, r.getMismatchedGfnsCount());
            assertEquals(expected.memoryDigest(), r.getMemoryDigest());

            SourceResult result = await(vm);
            assertTrue(result.verified());
            assertNull(result.error());
            assertEquals(expected.totalPages(), result.pagesVerified());
            assertEquals(expected.totalPages(), result.backgroundPagesSent());
            assertEquals(0, result.demandPagesSent());
            assertEquals(expected.memoryDigest(), result.memoryDigest());
            assertTrue(result.bytesSent() > expected.totalPages() * 4096L);
        }
    }

    @Test
    void oneWrongChecksumIsOneMismatchNamingItsGfn() throws Exception {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            ExpectedPages expected = new ExpectedPages(CONFIG);
            streamEveryPage(demand, background, expected);
            int[] crcs = Sessions.expectedCrcs(expected);
            crcs[777] ^= 1;
            CompletionResult r = Sessions.digest(demand, crcs, crcs.length, 2);
            assertEquals(1, r.getPageMismatches());
            assertEquals(crcs.length - 1, r.getPagesVerified());
            assertEquals(List.of(expected.layout().gfnOfPageIndex(777)), r.getMismatchedGfnsList());

            SourceResult result = await(vm);
            assertFalse(result.verified());
            assertEquals(1, result.pageMismatches());
            assertEquals(List.of(777L), result.mismatchedGfns());
            assertTrue(result.error().contains("1 of 1024"), result.error());
        }
    }

    @Test
    void pagesMissingFromTheDigestCountAsMismatches() throws Exception {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            ExpectedPages expected = new ExpectedPages(CONFIG);
            streamEveryPage(demand, background, expected);
            int[] crcs = Sessions.expectedCrcs(expected);
            CompletionResult r = Sessions.digest(demand, crcs, crcs.length - 40, 1);
            assertEquals(40, r.getPageMismatches());
            assertEquals(32, r.getMismatchedGfnsCount(), "at most 32 gfns named");
            assertEquals(crcs.length - 40, r.getMismatchedGfns(0));
            assertFalse(await(vm).verified());
        }
    }

    /** Starts the migration and receives every page on BACKGROUND, so that a digest may follow. */
    private static void streamEveryPage(TestDestination demand, TestDestination background, ExpectedPages expected) {
        Handshake h = Sessions.demandHello(demand, 1);
        Sessions.backgroundHello(background, h.getMigrationId());
        expected.receiveAllPages(background, new BitSet());
    }

    @Test
    void aDigestBeforeEveryPageWasSentIsRefusedNotVerified() throws Exception {
        // Anyone holding the token can compute every page's CRC32C from the handshake's content
        // seed; a digest of those proves nothing about what the destination holds.
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            ExpectedPages expected = new ExpectedPages(CONFIG);
            Sessions.demandHello(demand, 1);
            int[] crcs = Sessions.expectedCrcs(expected);
            demand.send(FrameType.FRAME_TYPE_COMPLETION_DIGEST, org.postcopysim.protocol.CompletionDigest.newBuilder()
                    .setFirstPageIndex(0).addAllPageCrc32C(java.util.Arrays.stream(crcs).boxed().toList()).setLast(true)
                    .setPagesPresent(crcs.length).build());
            Error e = demand.expectError(Error.Code.CODE_BAD_FRAME);
            assertTrue(e.getText().contains("1024 of 1024 pages were never sent"), e.getText());
            SourceResult result = await(vm);
            assertFalse(result.verified());
            assertEquals(0, result.pagesVerified());
        }
    }

    @Test
    void digestChunkBeyondTheGuestIsABadFrame() {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            Sessions.demandHello(demand, 1);
            demand.send(FrameType.FRAME_TYPE_COMPLETION_DIGEST, org.postcopysim.protocol.CompletionDigest.newBuilder()
                    .setFirstPageIndex(1020).addPageCrc32C(1).addPageCrc32C(2).addPageCrc32C(3).addPageCrc32C(4)
                    .addPageCrc32C(5).build());
            demand.expectError(Error.Code.CODE_BAD_FRAME);
            demand.awaitClosed();
        }
    }

    @Test
    void droppedDemandLinkEndsTheMigrationWithAnErrorWithoutRecovery() throws Exception {
        try (SourceVm vm = SourceVm.start(NO_RECOVERY.toBuilder().maxBackgroundBytesPerSec(64L << 10).build(), new SimpleMeterRegistry());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            String id;
            try (TestDestination demand = TestDestination.connect(vm.boundAddress())) {
                id = Sessions.demandHello(demand, 1).getMigrationId();
                Sessions.backgroundHello(background, id);
                background.next(FrameType.FRAME_TYPE_PAGE_BATCH);
            }
            SourceResult result = await(vm);
            assertFalse(result.verified());
            assertTrue(result.error().contains("link dropped"), result.error());
            assertTrue(result.error().contains("DEMAND"), result.error());
            background.awaitClosed(); // the source gives up the rest of the migration
        }
    }

    @Test
    void droppedBackgroundLinkWithPagesUnsentEndsTheMigrationWithAnErrorWithoutRecovery() throws Exception {
        try (SourceVm vm = SourceVm.start(NO_RECOVERY.toBuilder().maxBackgroundBytesPerSec(64L << 10).build(), new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            String id = Sessions.demandHello(demand, 1).getMigrationId();
            try (TestDestination background = TestDestination.connect(vm.boundAddress())) {
                Sessions.backgroundHello(background, id);
                background.next(FrameType.FRAME_TYPE_PAGE_BATCH);
            }
            SourceResult result = await(vm);
            assertFalse(result.verified());
            assertTrue(result.error().contains("BACKGROUND"), result.error());
            assertEquals(Error.Code.CODE_INTERNAL, demand.next(FrameType.FRAME_TYPE_ERROR).parse(Error.parser()).getCode());
            demand.awaitClosed();
        }
    }

    @Test
    void peerErrorClosesTheConnectionAndFailsTheMigrationNamingIt() throws Exception {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            Sessions.demandHello(demand, 1);
            demand.send(FrameType.FRAME_TYPE_ERROR, Error.newBuilder().setCode(Error.Code.CODE_PAGE_CORRUPT)
                    .setText("gfn 12 failed its checksum 3 times").build());
            demand.awaitClosed();
            SourceResult result = await(vm);
            assertFalse(result.verified());
            assertTrue(result.error().contains("gfn 12 failed its checksum"), result.error());
        }
    }

    @Test
    void closingTheSourceCompletesAPendingMigrationWithAnError() throws Exception {
        SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
        try (TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            Sessions.demandHello(demand, 1);
            vm.close();
            SourceResult result = await(vm);
            assertFalse(result.verified());
            assertTrue(result.error().contains("source closed"), result.error());
            demand.awaitClosed();
        } finally {
            vm.close();
        }
    }
}
