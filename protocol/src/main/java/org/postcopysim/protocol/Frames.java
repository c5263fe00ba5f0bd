package org.postcopysim.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Encoding of control frames (every frame type but PAGE_BATCH and PAGE_REQUEST, which have
 * allocation-free codecs) and helpers to read a decoded frame's type and body.
 *
 * <p>A decoded frame, as {@link FrameDecoder} emits it, starts at the type byte: the length
 * field is already stripped.
 */
public final class Frames {
    private Frames() {}

    /** Encodes {@code message} as a whole frame of {@code type}. */
    public static ByteBuf encode(ByteBufAllocator alloc, FrameType type, MessageLite message) {
        int size = message.getSerializedSize();
        ByteBuf out = alloc.buffer(FrameDescriptor.HEADER_BYTES + size);
        out.writeInt(1 + size);
        out.writeByte(type.getNumber());
        try {
            CodedOutputStream cos = CodedOutputStream.newInstance(out.nioBuffer(out.writerIndex(), size));
            message.writeTo(cos);
            cos.flush();
        } catch (IOException e) {
            out.release();
            throw new UncheckedIOException(e);
        }
        out.writerIndex(out.writerIndex() + size);
        return out;
    }

    /** The frame's type, or {@link FrameType#UNRECOGNIZED} for an empty frame or unknown number. */
    public static FrameType type(ByteBuf frame) {
        if (frame.readableBytes() < 1) return FrameType.UNRECOGNIZED;
        FrameType t = FrameType.forNumber(frame.getUnsignedByte(frame.readerIndex()));
        return t == null ? FrameType.UNRECOGNIZED : t;
    }

    /** Index of the body's first byte. */
    public static int bodyIndex(ByteBuf frame) {
        return frame.readerIndex() + 1;
    }

    /** Length of the body (bytes). */
    public static int bodyLength(ByteBuf frame) {
        return frame.readableBytes() - 1;
    }

    /** Parses the body of a decoded frame with {@code parser}. */
    public static <T> T parse(Parser<T> parser, ByteBuf frame) throws InvalidProtocolBufferException {
        return parser.parseFrom(frame.nioBuffer(bodyIndex(frame), bodyLength(frame)));
    }

    /** An ERROR frame. */
    public static ByteBuf error(ByteBufAllocator alloc, Error.Code code, String text) {
        return encode(alloc, FrameType.FRAME_TYPE_ERROR, Error.newBuilder().setCode(code).setText(text).build());
    }
}
