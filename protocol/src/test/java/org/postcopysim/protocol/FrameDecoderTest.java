package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakCheck.class)
class FrameDecoderTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    private final List<ByteBuf> toRelease = new ArrayList<>();
    private EmbeddedChannel channel;

    @AfterEach
    void releaseEverything() {
        if (channel != null) {
            assertFalse(channel.finishAndReleaseAll(), "no frame left unread in the channel");
        }
        // Frames may be slices sharing their parent's count, so release all, then check all.
        for (ByteBuf b : toRelease) b.release();
        for (ByteBuf b : toRelease) assertEquals(0, b.refCnt(), "every frame buffer is freed");
    }

    private EmbeddedChannel channel(int maxFrameBytes) {
        channel = new EmbeddedChannel(new FrameDecoder(maxFrameBytes));
        return channel;
    }

    /** Reads the next decoded frame; the test releases it after the test body. */
    private ByteBuf nextFrame() {
        ByteBuf frame = channel.readInbound();
        if (frame != null) toRelease.add(frame);
        return frame;
    }

    private static Hello hello() {
        return Hello.newBuilder().setProtocolVersion(1).setRole(ChannelRole.CHANNEL_ROLE_DEMAND)
                .setVcpus(4).setToken("secret-token").build();
    }

    private static byte[] bytes(ByteBuf buf) {
        try {
            byte[] out = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), out);
            return out;
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void helloFrameComesOutWithItsTypeByteAndParsesBack() throws Exception {
        channel(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES);
        ByteBuf encoded = Frames.encode(ALLOC, FrameType.FRAME_TYPE_HELLO, hello());
        assertEquals(FrameDescriptor.HEADER_BYTES + hello().getSerializedSize(), encoded.readableBytes());
        assertEquals(encoded.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES, encoded.getInt(0));
        assertTrue(channel.writeInbound(encoded));

        ByteBuf frame = nextFrame();
        assertEquals(1 + hello().getSerializedSize(), frame.readableBytes(), "length field stripped, type kept");
        assertEquals(FrameType.FRAME_TYPE_HELLO_VALUE, frame.getUnsignedByte(frame.readerIndex()));
        assertEquals(FrameType.FRAME_TYPE_HELLO, Frames.type(frame));
        assertEquals(hello(), Frames.parse(Hello.parser(), frame));
        assertNull(nextFrame());
    }

    @Test
    void frameWithAnEmptyBodyComesOutAsItsTypeByteAlone() throws Exception {
        channel(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES);
        channel.writeInbound(Frames.encode(ALLOC, FrameType.FRAME_TYPE_SWITCHOVER, Switchover.getDefaultInstance()));
        ByteBuf frame = nextFrame();
        assertEquals(1, frame.readableBytes());
        assertEquals(FrameType.FRAME_TYPE_SWITCHOVER, Frames.type(frame));
        assertEquals(0, Frames.bodyLength(frame));
        assertEquals(Switchover.getDefaultInstance(), Frames.parse(Switchover.parser(), frame));
    }

    @Test
    void frameSplitInTwoAtEveryByteBoundaryReassembles() throws Exception {
        byte[] wire = bytes(Frames.encode(ALLOC, FrameType.FRAME_TYPE_HELLO, hello()));
        for (int split = 1; split < wire.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES));
            try {
                assertFalse(ch.writeInbound(ALLOC.buffer().writeBytes(wire, 0, split)), "nothing before the last byte");
                assertTrue(ch.writeInbound(ALLOC.buffer().writeBytes(wire, split, wire.length - split)));
                ByteBuf frame = ch.readInbound();
                try {
                    assertEquals(hello(), Frames.parse(Hello.parser(), frame), "split at " + split);
                } finally {
                    frame.release();
                    assertEquals(0, frame.refCnt());
                }
            } finally {
                assertFalse(ch.finishAndReleaseAll());
            }
        }
    }

    @Test
    void frameFedOneByteAtATimeReassembles() throws Exception {
        channel(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES);
        byte[] wire = bytes(Frames.encode(ALLOC, FrameType.FRAME_TYPE_HELLO, hello()));
        for (int i = 0; i < wire.length - 1; i++) {
            assertFalse(channel.writeInbound(ALLOC.buffer(1).writeByte(wire[i])), "nothing after byte " + i);
        }
        assertTrue(channel.writeInbound(ALLOC.buffer(1).writeByte(wire[wire.length - 1])));
        assertEquals(hello(), Frames.parse(Hello.parser(), nextFrame()));
        assertNull(nextFrame());
    }

    @Test
    void severalFramesInOneBufferComeOutSeparatelyInOrder() throws Exception {
        channel(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES);
        long[] gfns = {1L, 2L, 3L};
        CompositeByteBuf all = ALLOC.compositeBuffer();
        all.addComponent(true, Frames.encode(ALLOC, FrameType.FRAME_TYPE_HELLO, hello()));
        all.addComponent(true, PageRequestCodec.encode(ALLOC, 5L, gfns, gfns.length, true));
        all.addComponent(true, Frames.encode(ALLOC, FrameType.FRAME_TYPE_SWITCHOVER, Switchover.getDefaultInstance()));
        all.addComponent(true, Frames.error(ALLOC, Error.Code.CODE_BAD_FRAME, "bye"));
        // and the first half of a fifth frame, which must stay buffered
        byte[] fifth = bytes(Frames.encode(ALLOC, FrameType.FRAME_TYPE_HELLO, hello()));
        all.addComponent(true, ALLOC.buffer().writeBytes(fifth, 0, 7));
        assertTrue(channel.writeInbound(all));

        ByteBuf first = nextFrame();
        assertEquals(FrameType.FRAME_TYPE_HELLO, Frames.type(first));
        assertEquals(hello(), Frames.parse(Hello.parser(), first));
        ByteBuf second = nextFrame();
        assertEquals(FrameType.FRAME_TYPE_PAGE_REQUEST, Frames.type(second));
        PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
        assertTrue(d.decode(second, Frames.bodyIndex(second), Frames.bodyLength(second)));
        assertEquals(5L, d.requestId);
        assertEquals(3, d.count);
        ByteBuf third = nextFrame();
        assertEquals(FrameType.FRAME_TYPE_SWITCHOVER, Frames.type(third));
        ByteBuf fourth = nextFrame();
        assertEquals(FrameType.FRAME_TYPE_ERROR, Frames.type(fourth));
        assertEquals("bye", Frames.parse(Error.parser(), fourth).getText());
        assertNull(nextFrame());

        assertTrue(channel.writeInbound(ALLOC.buffer().writeBytes(fifth, 7, fifth.length - 7)));
        assertEquals(hello(), Frames.parse(Hello.parser(), nextFrame()));
    }

    // ---- oversized frames ----

    private static ByteBuf lengthField(int length) {
        return ALLOC.buffer(FrameDescriptor.LENGTH_FIELD_BYTES).writeInt(length);
    }

    @Test
    void lengthAboveMaximumFailsFastOnTheLengthFieldAlone() {
        channel(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES);
        ByteBuf header = lengthField(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES + 1);
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> channel.writeInbound(header));
        assertEquals("frame length 1048577 exceeds the maximum of 1048576 bytes (type and body)", e.getMessage(),
                "the limit as the protocol counts it, not Netty's (which includes the length field)");
        assertEquals(0, header.refCnt(), "the decoder released the inbound buffer");
        assertNull(nextFrame(), "nothing is emitted");
    }

    @Test
    void hugeLengthFieldFailsFastWithoutBufferingTheBody() {
        channel(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES);
        ByteBuf header = ALLOC.buffer().writeInt(-1).writeByte(FrameType.FRAME_TYPE_PAGE_BATCH_VALUE);
        // A length of 0xFFFFFFFF (4 GiB) is read as unsigned: too long, not negative.
        assertThrows(TooLongFrameException.class, () -> channel.writeInbound(header));
        assertNull(nextFrame());
    }

    @Test
    void lengthEqualToMaximumIsAccepted() {
        int max = FrameDescriptor.MIN_MAX_FRAME_BYTES;
        channel(max);
        ByteBuf frame = ALLOC.buffer(FrameDescriptor.LENGTH_FIELD_BYTES + max);
        frame.writeInt(max).writeByte(FrameType.FRAME_TYPE_PAGE_BATCH_VALUE).writeZero(max - 1);
        assertTrue(channel.writeInbound(frame));
        ByteBuf out = nextFrame();
        assertEquals(max, out.readableBytes(), "type byte and body: the length field's value");
        assertEquals(FrameType.FRAME_TYPE_PAGE_BATCH, Frames.type(out));
    }

    @Test
    void lengthOneAboveMaximumIsRejectedAndItsBodyDiscardedBeforeTheNextFrame() throws Exception {
        int max = FrameDescriptor.MIN_MAX_FRAME_BYTES;
        channel(max);
        ByteBuf header = ALLOC.buffer().writeInt(max + 1).writeByte(FrameType.FRAME_TYPE_PAGE_BATCH_VALUE);
        assertThrows(TooLongFrameException.class, () -> channel.writeInbound(header));
        assertNull(nextFrame());
        // the rest of the oversized body arrives and is dropped without a second exception
        assertFalse(channel.writeInbound(ALLOC.buffer().writeZero(max)));
        assertNull(nextFrame());
        assertTrue(channel.writeInbound(Frames.encode(ALLOC, FrameType.FRAME_TYPE_HELLO, hello())));
        assertEquals(hello(), Frames.parse(Hello.parser(), nextFrame()));
    }

    @Test
    void checkMaxFrameBytesAcceptsOnlyEightKibToSixtyFourMib() {
        assertEquals(FrameDescriptor.MIN_MAX_FRAME_BYTES, FrameDescriptor.checkMaxFrameBytes(FrameDescriptor.MIN_MAX_FRAME_BYTES));
        assertEquals(64 << 20, FrameDescriptor.checkMaxFrameBytes(64 << 20));
        assertEquals(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES,
                FrameDescriptor.checkMaxFrameBytes(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES));
        for (int bad : new int[] {FrameDescriptor.MIN_MAX_FRAME_BYTES - 1, (64 << 20) + 1, 0, -1,
            Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertThrows(IllegalArgumentException.class, () -> FrameDescriptor.checkMaxFrameBytes(bad), "" + bad);
            assertThrows(IllegalArgumentException.class, () -> new FrameDecoder(bad), "" + bad);
        }
    }
}
