package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionDigest;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Switchover;

/** Conversation steps the tests share. */
final class Sessions {
    private Sessions() {}

    /** Hello(DEMAND) answered by Handshake and Switchover; returns the Handshake. */
    static Handshake demandHello(TestDestination demand, int vcpus) {
        demand.send(FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", vcpus));
        Handshake h = demand.next(FrameType.FRAME_TYPE_HANDSHAKE).parse(Handshake.parser());
        Switchover s = demand.next(FrameType.FRAME_TYPE_SWITCHOVER).parse(Switchover.parser());
        assertEquals(vcpus, s.getVcpusCount());
        return h;
    }

    static void backgroundHello(TestDestination background, String migrationId) {
        background.send(FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_BACKGROUND, migrationId, 0));
    }

    /** Sends {@code crcs} (by dense page index) as a digest in {@code chunks} chunks; returns the verdict. */
    static CompletionResult digest(TestDestination demand, int[] crcs, int pagesCovered, int chunks) {
        int per = (pagesCovered + chunks - 1) / chunks;
        for (int first = 0, c = 0; c < chunks; c++, first += per) {
            int end = Math.min(pagesCovered, first + per);
            CompletionDigest.Builder b = CompletionDigest.newBuilder().setFirstPageIndex(first).setLast(c == chunks - 1);
            for (int i = first; i < end; i++) b.addPageCrc32C(crcs[i]);
            if (c == chunks - 1) b.setPagesPresent(pagesCovered);
            demand.send(FrameType.FRAME_TYPE_COMPLETION_DIGEST, b.build());
        }
        return demand.next(FrameType.FRAME_TYPE_COMPLETION_RESULT).parse(CompletionResult.parser());
    }

    static int[] expectedCrcs(ExpectedPages expected) {
        int[] crcs = new int[expected.totalPages()];
        for (int i = 0; i < crcs.length; i++) crcs[i] = expected.crcOfPageIndex(i);
        return crcs;
    }
}
