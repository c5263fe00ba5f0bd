package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link LinkLiveness} on an {@link EmbeddedChannel} whose clock the test moves: keepalives on a
 * quiet connection, a timeout on a silent one, no timeout while this side has paused reading,
 * keepalives from a loop too busy to run its check, and silence counted only while this side
 * runs on time. The checks run when the test lets them: {@link #advance} runs each one that is
 * due once, so advancing by more than an interval in one step makes the check run late.
 */
@ExtendWith(NettyLeakCheck.class)
class LinkLivenessTest {
    static final long TIMEOUT_MS = 1_000;

    /** Records what reaches the end of the pipeline: frames read and exceptions. */
    static final class Tail extends ChannelInboundHandlerAdapter {
        final List<Object> read = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            read.add(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    private final Tail tail = new Tail();
    private final LinkLiveness liveness = new LinkLiveness(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS));
    private final EmbeddedChannel ch = frozen(new EmbeddedChannel());

    /** Stops the channel's clock before the handler reads it, then adds the handlers. */
    private EmbeddedChannel frozen(EmbeddedChannel channel) {
        channel.freezeTime();
        channel.pipeline().addLast(liveness, tail);
        return channel;
    }

    private void advance(long ms) {
        ch.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    private void receive(int bytes) {
        ch.writeInbound(Unpooled.buffer(bytes).writeZero(bytes));
        for (Object o : tail.read) ((ByteBuf) o).release();
        tail.read.clear();
    }

    /** Removes and checks every outbound message: each must be one keepalive frame. */
    private int keepalivesWritten() {
        int n = 0;
        for (Object o; (o = ch.readOutbound()) != null; n++) {
            ByteBuf frame = (ByteBuf) o;
            try {
                assertEquals(FrameDescriptor.HEADER_BYTES, frame.readableBytes());
                assertEquals(1, frame.getInt(frame.readerIndex()), "length: the type byte alone");
                assertEquals(FrameType.FRAME_TYPE_KEEPALIVE_VALUE, frame.getUnsignedByte(frame.readerIndex() + 4));
            } finally {
                frame.release();
            }
        }
        return n;
    }

    @Test
    void aQuietConnectionGetsAKeepaliveEveryQuarterOfTheTimeout() {
        receive(1);
        advance(TIMEOUT_MS / 4 - 1);
        assertEquals(0, keepalivesWritten(), "nothing before a quarter of the timeout");
        advance(1);
        assertEquals(1, keepalivesWritten());
        receive(1);
        advance(TIMEOUT_MS / 4);
        assertEquals(1, keepalivesWritten());
        assertEquals(2, liveness.keepalivesSent());
        assertTrue(ch.isActive());
    }

    @Test
    void aConnectionThatWritesGetsNoKeepalives() {
        for (int i = 0; i < 10; i++) {
            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 1, (byte) FrameType.FRAME_TYPE_HELLO_VALUE}));
            ((ByteBuf) ch.readOutbound()).release();
            receive(1);
            advance(TIMEOUT_MS / 8);
        }
        assertEquals(0, keepalivesWritten());
        assertEquals(0, liveness.keepalivesSent());
    }

    @Test
    void aConnectionSilentForTheWholeTimeoutFailsAsADroppedLinkAndCloses() {
        receive(10);
        for (int i = 0; i < 3; i++) advance(TIMEOUT_MS / 4); // every check on time
        assertTrue(ch.isActive(), "not before the timeout");
        assertTrue(tail.errors.isEmpty());
        advance(TIMEOUT_MS / 4);
        assertFalse(ch.isActive(), "closed at the timeout");
        assertEquals(1, tail.errors.size());
        Throwable e = assertInstanceOf(LinkLiveness.LinkTimeoutException.class, tail.errors.get(0));
        assertInstanceOf(java.io.IOException.class, e, "handlers take it for a dropped link");
        assertTrue(e.getMessage().contains("link timeout 1000 ms"), e.getMessage());
        keepalivesWritten();
    }

    @Test
    void everyByteThatArrivesKeepsTheLinkAlive() {
        for (int i = 0; i < 20; i++) {
            advance(TIMEOUT_MS / 2);
            receive(1); // one byte of a large frame crawling over a slow link
        }
        assertTrue(ch.isActive());
        assertTrue(tail.errors.isEmpty());
        keepalivesWritten();
    }

    @Test
    void afterThisSideStallsItReadsWhatArrivedBeforeItJudgesTheLink() {
        receive(1);
        advance(TIMEOUT_MS * 5); // this process stopped: the check runs once, five timeouts late
        assertTrue(ch.isActive(), "a late check does not judge a link whose bytes are still unread");
        receive(1); // what the peer sent meanwhile, read now
        advance(TIMEOUT_MS / 4);
        assertTrue(ch.isActive(), "the peer was alive all along");
        for (int i = 0; i < 4; i++) advance(TIMEOUT_MS / 4); // on time again
        assertFalse(ch.isActive(), "a silent peer still times out once this side runs on time");
        keepalivesWritten();
    }

    @Test
    void noTimeoutWhileThisSideHasPausedReading() {
        ch.config().setAutoRead(false);
        advance(TIMEOUT_MS * 5);
        assertTrue(ch.isActive(), "the silence is ours");
        ch.config().setAutoRead(true);
        for (int i = 0; i < 3; i++) advance(TIMEOUT_MS / 4);
        assertTrue(ch.isActive(), "the timeout counts from when reading resumed");
        advance(TIMEOUT_MS / 4);
        assertFalse(ch.isActive());
        keepalivesWritten();
    }

    /** A read as a loop busy with this connection delivers it: no scheduled task runs (writeInbound would run the due ones). */
    private void receiveWithoutRunningTheCheck() {
        ch.pipeline().fireChannelRead(Unpooled.buffer(1).writeZero(1));
        for (Object o : tail.read) ((ByteBuf) o).release();
        tail.read.clear();
    }

    @Test
    void aLoopTooBusyToRunItsCheckStillSendsKeepalivesWhileItReads() {
        // The event loop is busy with this connection's inbound bytes (installing pages): its
        // scheduled check does not run, but it keeps reading. The peer must still hear from it.
        receive(1);
        ch.advanceTimeBy(TIMEOUT_MS / 4 - 1, TimeUnit.MILLISECONDS);
        receiveWithoutRunningTheCheck();
        assertEquals(0, keepalivesWritten(), "not due yet");
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        receiveWithoutRunningTheCheck();
        assertEquals(1, keepalivesWritten(), "due: sent from the read, without the check");
        receiveWithoutRunningTheCheck();
        assertEquals(0, keepalivesWritten(), "one per interval, not one per read");
        for (int i = 0; i < 4; i++) {
            ch.advanceTimeBy(TIMEOUT_MS / 4, TimeUnit.MILLISECONDS);
            receiveWithoutRunningTheCheck();
        }
        assertEquals(4, keepalivesWritten(), "one each interval while the check never runs");
        assertEquals(5, liveness.keepalivesSent());
        assertTrue(ch.isActive());
    }

    @Test
    void silenceCountsOnlyWhileThisSideRunsOnTime() {
        // Every check runs almost two intervals late (this side is starved): no single check is
        // late enough to skip its judgement, but together they cover more than the timeout.
        long lateStep = TIMEOUT_MS / 2 - 10; // 490 ms between checks due every 250 ms
        receive(1);
        for (int i = 0; i < 3; i++) advance(lateStep); // 1470 ms of wall time, 750 ms of on-time checks
        assertTrue(ch.isActive(), "the time this side did not run is not the peer's silence");
        assertTrue(tail.errors.isEmpty());
        receive(1); // the starved peer's keepalive, once it ran
        for (int i = 0; i < 3; i++) advance(lateStep);
        assertTrue(ch.isActive());
        advance(lateStep); // the fourth check: a whole timeout of this side's checks without a byte
        assertFalse(ch.isActive(), "a silent peer is still found when this side runs late");
        assertInstanceOf(LinkLiveness.LinkTimeoutException.class, tail.errors.get(0));
        keepalivesWritten();
    }

    @Test
    void nothingRunsAfterTheConnectionClosed() {
        ch.close();
        advance(TIMEOUT_MS * 3);
        assertNull(ch.readOutbound());
        assertTrue(tail.errors.isEmpty());
    }

    @Test
    void aTimeoutMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new LinkLiveness(0));
    }

    @Test
    void keepaliveFramesAreSharedAndSurviveRelease() {
        ByteBuf a = LinkLiveness.keepaliveFrame();
        ByteBuf b = LinkLiveness.keepaliveFrame();
        a.release();
        a.skipBytes(5);
        assertEquals(5, b.readableBytes(), "each copy has its own indexes");
        assertEquals(FrameType.FRAME_TYPE_KEEPALIVE, Frames.type(b.skipBytes(4)));
    }
}
