package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakCheck.class)
class FramesTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    private static FrameType typeOf(int... bytes) {
        ByteBuf frame = Unpooled.buffer(bytes.length);
        try {
            for (int b : bytes) frame.writeByte(b);
            FrameType t = Frames.type(frame);
            assertEquals(0, frame.readerIndex(), "type() does not consume the type byte");
            return t;
        } finally {
            assertTrue(frame.release());
        }
    }

    @Test
    void typeOfAnEmptyFrameIsUnrecognized() {
        assertEquals(FrameType.UNRECOGNIZED, typeOf());
    }

    @Test
    void typeOfAnUnknownNumberIsUnrecognized() {
        assertEquals(FrameType.UNRECOGNIZED, typeOf(13)); // the first number after FRAME_TYPE_DISCARD (12)
        assertEquals(FrameType.UNRECOGNIZED, typeOf(0x7F, 1, 2));
        assertEquals(FrameType.UNRECOGNIZED, typeOf(0x80));
        assertEquals(FrameType.UNRECOGNIZED, typeOf(0xFF));
    }

    @Test
    void typeOfEveryKnownNumberIsThatType() {
        for (FrameType t : FrameType.values()) {
            if (t == FrameType.UNRECOGNIZED) continue;
            assertEquals(t, typeOf(t.getNumber(), 0));
        }
    }

    @Test
    void typeReadsAtTheReaderIndex() {
        ByteBuf frame = Unpooled.buffer().writeInt(123).writeByte(FrameType.FRAME_TYPE_ERROR_VALUE);
        try {
            frame.skipBytes(4);
            assertEquals(FrameType.FRAME_TYPE_ERROR, Frames.type(frame));
            assertEquals(5, Frames.bodyIndex(frame));
            assertEquals(0, Frames.bodyLength(frame));
        } finally {
            assertTrue(frame.release());
        }
    }

    @Test
    void errorFrameEncodesCodeAndTextUnderTheErrorType() throws Exception {
        ByteBuf frame = Frames.error(ALLOC, Error.Code.CODE_PAGE_CORRUPT, "gfn 7 failed its checksum 3 times");
        try {
            assertEquals(frame.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES, frame.readInt());
            assertEquals(FrameType.FRAME_TYPE_ERROR, Frames.type(frame));
            Error e = Frames.parse(Error.parser(), frame);
            assertEquals(Error.Code.CODE_PAGE_CORRUPT, e.getCode());
            assertEquals("gfn 7 failed its checksum 3 times", e.getText());
        } finally {
            assertTrue(frame.release());
        }
    }

    @Test
    void encodeWritesTheMessageAfterTheHeaderForEveryControlMessage() throws Exception {
        Handshake handshake = Handshake.newBuilder().setProtocolVersion(1).setMigrationId("m-1")
                .setPageSizeBytes(4096).setContentSeed(-5L)
                .addMemslots(Memslot.newBuilder().setId(0).setBaseGfn(0).setPageCount(512))
                .addMemslots(Memslot.newBuilder().setId(1).setBaseGfn(1 << 20).setPageCount(1024)).build();
        ByteBuf frame = Frames.encode(ALLOC, FrameType.FRAME_TYPE_HANDSHAKE, handshake);
        try {
            assertEquals(FrameDescriptor.HEADER_BYTES + handshake.getSerializedSize(), frame.readableBytes());
            frame.skipBytes(FrameDescriptor.LENGTH_FIELD_BYTES);
            assertEquals(FrameType.FRAME_TYPE_HANDSHAKE, Frames.type(frame));
            assertEquals(handshake, Frames.parse(Handshake.parser(), frame));
        } finally {
            assertTrue(frame.release());
        }
    }
}
