package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.LinkLiveness;
import org.postcopysim.protocol.PageBatch;

/**
 * The source's timing logic on a clock the test moves ({@link EmbeddedSource}): the Hello
 * timeout, the link timeout that pauses a migration, the background cap, and demand answers that
 * never wait for the cap. Exact to the millisecond, whatever the machine's load; the
 * real-socket tests check the same behaviour end to end.
 */
class SourceTimersTest {
    private static final SourceConfig SMALL = SourceConfig.builder().guestBytes(4L << 20).memslots(2).seed(7).build();

    private static SourceConfig withTimes(SourceConfig c, Duration linkTimeout, Duration recoveryDeadline) {
        return c.toBuilder().reliability(c.reliability().withLinkTimeout(linkTimeout).withRecoveryDeadline(recoveryDeadline)).build();
    }

    /** Hello(DEMAND) on a new connection; returns the connection and the migration's handshake. */
    private static Handshake demandHello(EmbeddedSource src, EmbeddedSocketChannel demand, int vcpus) {
        src.send(demand, FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", vcpus));
        List<EmbeddedSource.Out> out = src.written(demand);
        out.removeIf(o -> o.type() == FrameType.FRAME_TYPE_KEEPALIVE);
        assertEquals(FrameType.FRAME_TYPE_HANDSHAKE, out.get(0).type(), "answered " + out);
        assertEquals(FrameType.FRAME_TYPE_SWITCHOVER, out.get(1).type());
        return out.get(0).parse(Handshake.parser());
    }

    private static void backgroundHello(EmbeddedSource src, EmbeddedSocketChannel background, String id) {
        src.send(background, FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_BACKGROUND, id, 0));
    }

    private static long bytes(List<EmbeddedSource.Out> frames) {
        long n = 0;
        for (EmbeddedSource.Out o : frames) n += o.wireBytes();
        return n;
    }

    @Test
    void aPeerThatSendsOnlyKeepalivesIsRefusedAtTheHelloTimeoutToTheMillisecond() {
        try (EmbeddedSource src = new EmbeddedSource(withTimes(SMALL, Duration.ofMillis(500), Duration.ofSeconds(60)))) {
            EmbeddedSocketChannel peer = src.connect();
            for (int i = 0; i < 4; i++) {
                src.advanceMs(100);
                src.sendRaw(peer, LinkLiveness.keepaliveFrame()); // the link is alive, the peer is not admitted
            }
            src.advanceMs(99);
            assertTrue(peer.isActive(), "open 499 ms after connecting");
            assertTrue(src.written(peer, FrameType.FRAME_TYPE_ERROR).isEmpty());
            src.advanceMs(1);
            List<EmbeddedSource.Out> errors = src.written(peer, FrameType.FRAME_TYPE_ERROR);
            assertEquals(1, errors.size());
            Error e = errors.get(0).parse(Error.parser());
            assertEquals(Error.Code.CODE_BAD_FRAME, e.getCode());
            assertTrue(e.getText().contains("no Hello within 500 ms"), e.getText());
            assertFalse(peer.isActive(), "closed at 500 ms");
            assertFalse(src.completion.isDone(), "no migration started");
            // The source still admits a destination that says Hello.
            assertEquals(2, demandHello(src, src.connect(), 1).getMemslotsCount());
        }
    }

    @Test
    void aSilentDestinationPausesTheMigrationAtTheLinkTimeoutToTheMillisecond() {
        // The recovery deadline that follows is a timer on the dropped connection's event loop, which an
        // EmbeddedChannel cancels once closed: SourceRecoveryTest checks it over real sockets.
        try (EmbeddedSource src = new EmbeddedSource(withTimes(SMALL, Duration.ofMillis(300), Duration.ofSeconds(60)))) {
            EmbeddedSocketChannel demand = src.connect();
            String id = demandHello(src, demand, 1).getMigrationId();
            src.advanceMs(299);
            assertTrue(demand.isActive(), "nothing arrived for 299 ms of a 300 ms link timeout");
            assertEquals(0, src.registry.get(SourceMetrics.PAUSES).counter().count());
            src.advanceMs(1);
            assertFalse(demand.isActive(), "timed out at 300 ms");
            assertEquals(1, src.registry.get(SourceMetrics.PAUSES).counter().count(), "and the migration paused");
            assertFalse(src.completion.isDone(), "paused, not failed: migration " + id + " waits for its deadline");
        }
    }

    @Test
    void aDestinationThatKeepsSendingKeepalivesIsNeverTimedOut() {
        try (EmbeddedSource src = new EmbeddedSource(withTimes(SMALL, Duration.ofMillis(300), Duration.ofSeconds(60)))) {
            EmbeddedSocketChannel demand = src.connect();
            demandHello(src, demand, 1);
            for (int i = 0; i < 20; i++) {
                src.advanceMs(250);
                src.sendRaw(demand, LinkLiveness.keepaliveFrame());
            }
            assertTrue(demand.isActive(), "5 s of keepalives 250 ms apart under a 300 ms link timeout");
            assertEquals(0, src.registry.get(SourceMetrics.PAUSES).counter().count());
        }
    }

    @Test
    void theBackgroundCapPacesTheStreamByTheClock() {
        long rate = 8L << 20;
        SourceConfig capped = SMALL.toBuilder().guestBytes(16L << 20).maxBackgroundBytesPerSec(rate).build();
        try (EmbeddedSource src = new EmbeddedSource(capped)) {
            long burst = BackgroundStreamer.maxFrameBytes(capped.pagesPerBatch());
            EmbeddedSocketChannel demand = src.connect();
            String id = demandHello(src, demand, 1).getMigrationId();
            EmbeddedSocketChannel background = src.connect();
            backgroundHello(src, background, id);
            long sent = bytes(src.written(background, FrameType.FRAME_TYPE_PAGE_BATCH));
            assertTrue(sent > 0 && sent <= 2 * burst, "at time 0 the burst, at most a frame of debt on top: " + sent);
            for (int i = 0; i < 10; i++) src.runPending();
            assertEquals(0, bytes(src.written(background, FrameType.FRAME_TYPE_PAGE_BATCH)), "nothing more while the clock stands");
            for (int ms = 10; ms <= 1_500; ms += 10) {
                src.advanceMs(10);
                sent += bytes(src.written(background, FrameType.FRAME_TYPE_PAGE_BATCH));
                long allowed = rate * ms / 1000;
                assertTrue(sent <= allowed + 2 * burst, ms + " ms: " + sent + " bytes sent, cap " + allowed + " and a burst");
                assertTrue(sent >= allowed - burst, ms + " ms: only " + sent + " bytes sent of the cap's " + allowed);
            }
        }
    }

    @Test
    void aDemandRequestIsAnsweredWithoutWaitingForTheCap() {
        // 128 KiB/s in 16-page batches: 1000 pages would take the background stream half a minute.
        SourceConfig slow = SMALL.toBuilder().guestBytes(16L << 20).maxBackgroundBytesPerSec(128L << 10).pagesPerBatch(16).build();
        try (EmbeddedSource src = new EmbeddedSource(slow)) {
            EmbeddedSocketChannel demand = src.connect();
            String id = demandHello(src, demand, 1).getMigrationId();
            EmbeddedSocketChannel background = src.connect();
            backgroundHello(src, background, id);
            assertFalse(src.written(background, FrameType.FRAME_TYPE_PAGE_BATCH).isEmpty());
            long[] gfns = new long[1000];
            for (int i = 0; i < gfns.length; i++) gfns[i] = 2000 + i;
            src.sendRequest(demand, 7, gfns); // and the clock does not move
            int answered = 0;
            for (EmbeddedSource.Out o : src.written(demand, FrameType.FRAME_TYPE_PAGE_BATCH)) {
                PageBatch b = o.parse(PageBatch.parser());
                assertEquals(7, b.getRequestId());
                for (ReceivedPage p : ReceivedPage.of(b)) assertEquals(gfns[answered++], p.getGfn(), "in request order");
            }
            assertEquals(gfns.length, answered, "every requested page, at time 0");
            assertTrue(src.written(background, FrameType.FRAME_TYPE_PAGE_BATCH).isEmpty(),
                    "while the capped stream sent nothing more");
        }
    }
}
