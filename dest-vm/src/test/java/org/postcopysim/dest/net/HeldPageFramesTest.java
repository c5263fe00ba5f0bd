package org.postcopysim.dest.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.Switchover;

/**
 * A BACKGROUND stream whose page frames the migration asks to hold (past its discard set while
 * another stream is not) keeps them in order, stops reading, and hands them over once allowed;
 * a DEMAND connection never holds, and frames held when the run fails are released, not handed over.
 */
class HeldPageFramesTest {
    /** Records the page frames handed over (their first body byte), holding while {@code gate} is set. */
    private static final class Recorder implements DestConnectionHandler.Listener {
        final List<String> delivered = new ArrayList<>();
        volatile CompletableFuture<?> gate;

        @Override
        public void onHandshake(Handshake handshake) { }

        @Override
        public void onSwitchover(Switchover switchover) { }

        @Override
        public String onPageBatch(ByteBuf frame, int stream) {
            delivered.add(stream + ":" + frame.getByte(frame.readerIndex() + 1));
            return null;
        }

        @Override
        public CompletableFuture<?> holdPagesUntil(int stream) {
            return gate;
        }

        @Override
        public void onCompletionResult(CompletionResult result) { }

        @Override
        public void onFailure(ChannelRole role, String why) { }
    }

    private static ByteBuf pageFrame(int marker) {
        return Unpooled.buffer().writeByte(FrameType.FRAME_TYPE_PAGE_BATCH.getNumber()).writeByte(marker);
    }

    private static EmbeddedChannel stream(Recorder r, ChannelRole role, int index) {
        Hello hello = Hello.newBuilder().setRole(role).setStreamIndex(index).build();
        EmbeddedChannel ch = new EmbeddedChannel(new DestConnectionHandler(role, hello, r));
        ch.readOutbound(); // the Hello
        return ch;
    }

    @Test
    void heldFramesWaitInOrderWithReadsPausedAndGoInOnceAllowed() {
        Recorder r = new Recorder();
        EmbeddedChannel ch = stream(r, ChannelRole.CHANNEL_ROLE_BACKGROUND, 2);
        ch.writeInbound(pageFrame(1));
        CompletableFuture<Void> gate = new CompletableFuture<>();
        r.gate = gate;
        ch.writeInbound(pageFrame(2));
        ch.writeInbound(pageFrame(3));
        assertEquals(List.of("2:1"), r.delivered, "held from the gate on");
        assertFalse(ch.config().isAutoRead(), "reads paused while frames are held");
        gate.complete(null);
        ch.runPendingTasks();
        assertEquals(List.of("2:1", "2:2", "2:3"), r.delivered, "handed over in order");
        assertTrue(ch.config().isAutoRead());
        ch.writeInbound(pageFrame(4));
        assertEquals("2:4", r.delivered.get(3), "the gate is open");
        ch.finishAndReleaseAll();
    }

    @Test
    void negativeControlADemandConnectionNeverHolds() {
        Recorder r = new Recorder();
        r.gate = new CompletableFuture<>();
        EmbeddedChannel ch = stream(r, ChannelRole.CHANNEL_ROLE_DEMAND, 0);
        ch.writeInbound(pageFrame(1));
        assertEquals(List.of("-1:1"), r.delivered);
        ch.finishAndReleaseAll();
    }

    @Test
    void framesHeldWhenTheRunFailsAreReleasedNotHandedOver() {
        Recorder r = new Recorder();
        EmbeddedChannel ch = stream(r, ChannelRole.CHANNEL_ROLE_BACKGROUND, 0);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        r.gate = gate;
        ByteBuf frame = pageFrame(9);
        ch.writeInbound(frame);
        assertEquals(1, frame.refCnt(), "held: retained once past the handler's own release");
        gate.completeExceptionally(new IllegalStateException("failed"));
        ch.runPendingTasks();
        assertTrue(r.delivered.isEmpty());
        assertEquals(0, frame.refCnt(), "released");
        ch.finishAndReleaseAll();
    }
}
