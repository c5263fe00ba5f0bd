package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.PagesHeld;
import org.postcopysim.protocol.PagesHeldChunks;
import org.postcopysim.protocol.ResumeAck;

/** The source's side of postcopy recovery, driven by a raw test destination over real loopback sockets. */
class SourceRecoveryTest {
    private static final SourceConfig CONFIG = SourceConfig.builder().guestBytes(4L << 20).memslots(2)
            .seed(7).maxBackgroundBytesPerSec(1L << 20).build();

    private static SourceConfig withDeadline(Duration d) {
        return CONFIG.toBuilder().reliability(CONFIG.reliability().withRecoveryDeadline(d)).build();
    }

    private static Hello resumeHello(String migrationId) {
        return TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, migrationId, 1).toBuilder().setResume(true).build();
    }

    /** Starts a migration on two connections, receives one background batch, then drops both; returns the id. */
    private static String startAndDrop(SourceVm vm) {
        try (TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            String id = Sessions.demandHello(demand, 1).getMigrationId();
            Sessions.backgroundHello(background, id);
            background.next(FrameType.FRAME_TYPE_PAGE_BATCH);
            return id;
        }
    }

    @Test
    void aPausedMigrationThatIsNeverResumedFailsAfterItsDeadline() throws Exception {
        try (SourceVm vm = SourceVm.start(withDeadline(Duration.ofSeconds(1)), new SimpleMeterRegistry())) {
            long droppedNs = System.nanoTime();
            String id = startAndDrop(vm);
            SourceResult r = vm.completion().get(TestDestination.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long tookMs = (System.nanoTime() - droppedNs) / 1_000_000;
            assertFalse(r.verified());
            assertTrue(r.error().contains("did not resume migration " + id + " within 1.0 s"), r.error());
            assertTrue(tookMs >= 900 && tookMs < 10_000, "failed after " + tookMs + " ms");
        }
    }

    @Test
    void aDestinationThatFallsSilentWithoutClosingPausesTheMigrationAfterTheLinkTimeout() throws Exception {
        // The destination's host died: its connection stays open and nothing arrives, not even a keepalive.
        SourceConfig config = CONFIG.toBuilder().reliability(CONFIG.reliability().withRecoveryDeadline(Duration.ofSeconds(1))
                .withLinkTimeout(Duration.ofMillis(300))).build();
        try (SourceVm vm = SourceVm.start(config, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            long t0 = System.nanoTime();
            String id = Sessions.demandHello(demand, 1).getMigrationId();
            demand.awaitClosed(); // the source gave up on the silent connection
            SourceResult r = vm.completion().get(TestDestination.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertFalse(r.verified());
            assertTrue(r.error().contains("did not resume migration " + id) && r.error().contains("link timeout 300 ms"),
                    r.error());
            assertTrue(tookMs >= 1_300, "paused after the link timeout, then waited the deadline: " + tookMs + " ms");
        }
    }

    @Test
    void aResumeWithAWrongMigrationIdIsRefusedAndThePausedMigrationStaysResumable() throws Exception {
        try (SourceVm vm = SourceVm.start(withDeadline(Duration.ofSeconds(30)), new SimpleMeterRegistry())) {
            String id = startAndDrop(vm);
            try (TestDestination intruder = TestDestination.connect(vm.boundAddress())) {
                intruder.send(FrameType.FRAME_TYPE_HELLO, resumeHello("m-not-the-one"));
                Error e = intruder.expectError(Error.Code.CODE_UNKNOWN_MIGRATION);
                assertTrue(e.getText().contains("m-not-the-one"), e.getText());
                intruder.awaitClosed();
            }
            try (TestDestination intruder = TestDestination.connect(vm.boundAddress())) {
                intruder.send(FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, id, 1));
                intruder.expectError(Error.Code.CODE_UNKNOWN_MIGRATION); // the id without resume=true takes nothing over
            }
            try (TestDestination background = TestDestination.connect(vm.boundAddress())) {
                Sessions.backgroundHello(background, id);
                background.expectError(Error.Code.CODE_BAD_FRAME); // no BACKGROUND while paused
            }
            assertFalse(vm.completion().isDone(), "the paused migration is still there");

            ExpectedPages expected = new ExpectedPages(CONFIG);
            try (TestDestination demand = TestDestination.connect(vm.boundAddress());
                 TestDestination background = TestDestination.connect(vm.boundAddress())) {
                demand.send(FrameType.FRAME_TYPE_HELLO, resumeHello(id));
                // The destination holds pages 0..99 (say): only the others come again.
                long[] held = new long[PagesHeldChunks.wordsFor(expected.totalPages())];
                BitSet seen = new BitSet();
                for (int p = 0; p < 100; p++) {
                    held[p >>> 6] |= 1L << p;
                    seen.set(p);
                }
                for (PagesHeld chunk : PagesHeldChunks.split(held, 64)) demand.send(FrameType.FRAME_TYPE_PAGES_HELD, chunk);
                ResumeAck ack = demand.next(FrameType.FRAME_TYPE_RESUME_ACK).parse(ResumeAck.parser());
                assertEquals(expected.totalPages() - 100, ack.getPagesToResend());

                Sessions.backgroundHello(background, id);
                expected.receiveAllPages(background, seen); // fails on a page sent twice: none of 0..99 comes again
                CompletionResult r = Sessions.digest(demand, Sessions.expectedCrcs(expected), expected.totalPages(), 1);
                assertEquals(expected.totalPages(), r.getPagesVerified());
            }
            SourceResult result = vm.completion().get(TestDestination.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(result.verified(), result.error());
        }
    }
}
