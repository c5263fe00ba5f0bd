package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.PageBatch;
import org.postcopysim.protocol.StreamCount;

/**
 * {@code --streams N} on the source, on a clock the test moves ({@link EmbeddedSource}): the
 * streams start once all have attached, carry disjoint pages that together are every page once,
 * and share one bandwidth cap. {@code StreamsMigrationTest} checks the same over real sockets,
 * where every stream carries its share.
 */
class BackgroundStreamsTest {
    private static final SourceConfig SMALL = SourceConfig.builder().guestBytes(4L << 20).memslots(2).seed(7).build();

    private static String demandHello(EmbeddedSource src, EmbeddedSocketChannel demand, int streams) {
        Hello hello = TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", 1).toBuilder().setStreams(streams).build();
        src.send(demand, FrameType.FRAME_TYPE_HELLO, hello);
        List<EmbeddedSource.Out> out = src.written(demand, FrameType.FRAME_TYPE_HANDSHAKE);
        assertEquals(1, out.size(), "one Handshake");
        return out.get(0).parse(Handshake.parser()).getMigrationId();
    }

    private static EmbeddedSocketChannel stream(EmbeddedSource src, String id, int index) {
        EmbeddedSocketChannel ch = src.connect();
        Hello hello = TestDestination.hello(ChannelRole.CHANNEL_ROLE_BACKGROUND, id, 0).toBuilder().setStreamIndex(index).build();
        src.send(ch, FrameType.FRAME_TYPE_HELLO, hello);
        return ch;
    }

    /** The gfns of the page frames written on {@code ch} since the last call, into {@code seen} (failing on a repeat). */
    private static int collect(EmbeddedSource src, EmbeddedSocketChannel ch, BitSet seen) {
        int pages = 0;
        for (EmbeddedSource.Out o : src.written(ch, FrameType.FRAME_TYPE_PAGE_BATCH)) {
            for (ReceivedPage p : ReceivedPage.of(o.parse(PageBatch.parser()))) {
                int gfn = Math.toIntExact(p.getGfn());
                assertTrue(!seen.get(gfn), "gfn " + gfn + " sent twice");
                seen.set(gfn);
                pages++;
            }
        }
        return pages;
    }

    @Test
    void theStreamsStartTogetherAndTogetherCarryEveryPageOnce() {
        try (EmbeddedSource src = new EmbeddedSource(SMALL)) {
            EmbeddedSocketChannel demand = src.connect();
            String id = demandHello(src, demand, 3);
            List<EmbeddedSocketChannel> streams = new ArrayList<>();
            BitSet seen = new BitSet();
            streams.add(stream(src, id, 0));
            streams.add(stream(src, id, 2));
            assertEquals(0, collect(src, streams.get(0), seen) + collect(src, streams.get(1), seen),
                    "no page before every stream is here");
            streams.add(stream(src, id, 1));
            int[] perStream = new int[3];
            for (int round = 0; round < 1_000 && seen.cardinality() < src.guest.totalPages(); round++) {
                for (int s = 0; s < 3; s++) perStream[s] += collect(src, streams.get(s), seen);
            }
            BitSet all = new BitSet();
            for (int p = 0; p < src.guest.totalPages(); p++) all.set(Math.toIntExact(src.guest.layout().gfnOfPageIndex(p)));
            assertEquals(all, seen, "every page, once, over the three streams");
            // How the pages split depends on how the streams' event loops take turns: an embedded channel runs
            // its queue dry, so here one stream may carry them all; the real-socket tests check the split.
            assertEquals(src.guest.totalPages(), perStream[0] + perStream[1] + perStream[2]);
        }
    }

    /**
     * Bytes every stream sent in the first 1.5 s under a cap of {@code rate}, checked against it
     * every 10 ms, and each stream's share at the end.
     */
    private static void assertTheStreamsShareTheCap(EmbeddedSource src, long rate) {
        long burst = BackgroundStreamer.maxFrameBytes(src.config.pagesPerBatch());
        EmbeddedSocketChannel demand = src.connect();
        String id = demandHello(src, demand, 4);
        List<EmbeddedSocketChannel> streams = new ArrayList<>();
        for (int s = 0; s < 4; s++) streams.add(stream(src, id, s));
        long sent = 0;
        long[] perStream = new long[4];
        for (int ms = 0; ms <= 1_500; ms += 10) {
            if (ms > 0) src.advanceMs(10);
            for (int s = 0; s < 4; s++) {
                for (EmbeddedSource.Out o : src.written(streams.get(s), FrameType.FRAME_TYPE_PAGE_BATCH)) {
                    sent += o.wireBytes();
                    perStream[s] += o.wireBytes();
                }
            }
            long allowed = rate * ms / 1000;
            // Each stream's bucket: its burst and a frame of debt ahead, a frame behind at most.
            assertTrue(sent <= allowed + 8 * burst, ms + " ms: " + sent + " bytes over 4 streams, cap " + allowed);
            assertTrue(sent >= allowed - 4 * burst, ms + " ms: only " + sent + " bytes of the cap's " + allowed);
        }
        for (int s = 0; s < 4; s++) {
            long share = rate * 1_500 / 1000 / 4;
            assertTrue(Math.abs(perStream[s] - share) <= 2 * burst, "stream " + s + " sent " + perStream[s] + ", its share " + share);
        }
    }

    @Test
    void fourStreamsShareOneCapEachItsQuarter() {
        long rate = 2L << 20;
        SourceConfig capped = SMALL.toBuilder().guestBytes(16L << 20).maxBackgroundBytesPerSec(rate).build();
        try (EmbeddedSource src = new EmbeddedSource(capped)) {
            assertTheStreamsShareTheCap(src, rate);
        }
    }

    @Test
    void negativeControlACapPerStreamSendsFourTimesTheCap() {
        long rate = 2L << 20;
        SourceConfig capped = SMALL.toBuilder().guestBytes(16L << 20).maxBackgroundBytesPerSec(rate).build();
        try (EmbeddedSource src = new EmbeddedSource(capped).withCapPerStreamBug()) {
            assertThrows(AssertionError.class, () -> assertTheStreamsShareTheCap(src, rate));
        }
    }

    @Test
    void aStreamOutOfRangeOrTakenTwiceAndTooManyStreamsAreRefused() {
        try (EmbeddedSource src = new EmbeddedSource(SMALL)) {
            EmbeddedSocketChannel demand = src.connect();
            String id = demandHello(src, demand, 2);
            EmbeddedSocketChannel outOfRange = stream(src, id, 2);
            assertRefused(src, outOfRange, "BACKGROUND stream 2 of a migration with 2 streams");
            stream(src, id, 0);
            EmbeddedSocketChannel twice = stream(src, id, 0);
            assertRefused(src, twice, "already has BACKGROUND stream 0");
        }
        try (EmbeddedSource src = new EmbeddedSource(SMALL)) {
            EmbeddedSocketChannel demand = src.connect();
            Hello hello = TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", 1).toBuilder()
                    .setStreams(StreamCount.MAX + 1).build();
            src.send(demand, FrameType.FRAME_TYPE_HELLO, hello);
            assertRefused(src, demand, "BACKGROUND streams, 1.." + StreamCount.MAX + " supported");
        }
    }

    private static void assertRefused(EmbeddedSource src, EmbeddedSocketChannel ch, String why) {
        List<EmbeddedSource.Out> errors = src.written(ch, FrameType.FRAME_TYPE_ERROR);
        assertEquals(1, errors.size(), "one Error");
        Error e = errors.get(0).parse(Error.parser());
        assertEquals(Error.Code.CODE_BAD_FRAME, e.getCode());
        assertTrue(e.getText().contains(why), e.getText());
    }
}
