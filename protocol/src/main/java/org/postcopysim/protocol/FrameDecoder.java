package org.postcopysim.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Splits the byte stream into frames (see {@link FrameDescriptor}) and emits each one from its
 * type byte on, the length field stripped. A length above the maximum fails fast with
 * {@link io.netty.handler.codec.TooLongFrameException} before the body is buffered. A connection
 * that closes in the middle of a frame fails with a {@link TruncatedFrameException} (before the
 * channel turns inactive), so that the truncation is reported instead of passing silently.
 * The reads a frame spans are chained without a copy ({@link #COMPOSITE_CUMULATOR}).
 */
public final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    /** Largest length field accepted (type and body, bytes), as the protocol counts it. */
    private final int maxFrameBytes;

    /**
     * @param maxFrameBytes largest length field accepted (type and body, bytes; see
     *     {@link FrameDescriptor#checkMaxFrameBytes}). Netty's limit counts the length field too,
     *     so it is passed on with {@link FrameDescriptor#LENGTH_FIELD_BYTES} added.
     */
    public FrameDecoder(int maxFrameBytes) {
        super(FrameDescriptor.checkMaxFrameBytes(maxFrameBytes) + FrameDescriptor.LENGTH_FIELD_BYTES, 0,
                FrameDescriptor.LENGTH_FIELD_BYTES, 0, FrameDescriptor.LENGTH_FIELD_BYTES, true);
        this.maxFrameBytes = maxFrameBytes;
        // Bytes that arrive in several reads are chained, not copied into one buffer: a 256 KiB
        // page batch spans four or more reads, and copying each into the cumulation cost the
        // destination a sixth of its time (docs/performance.md). A frame is a slice of the chain.
        setCumulator(COMPOSITE_CUMULATOR);
    }

    /** Netty's limit counts the length field; the message states the limit as the protocol does (type and body). */
    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        int at = in.readerIndex();
        long length = in.readableBytes() >= FrameDescriptor.LENGTH_FIELD_BYTES ? in.getUnsignedInt(at) : -1;
        try {
            return super.decode(ctx, in);
        } catch (TooLongFrameException e) {
            throw new TooLongFrameException("frame length " + (length < 0 ? "?" : Long.toString(length))
                    + " exceeds the maximum of " + maxFrameBytes + " bytes (type and body)", e);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (in.isReadable()) {
            int left = in.readableBytes();
            String what = left < FrameDescriptor.LENGTH_FIELD_BYTES
                    ? left + " bytes of a length field"
                    : left + " of " + (in.getUnsignedInt(in.readerIndex()) + FrameDescriptor.LENGTH_FIELD_BYTES) + " bytes of a frame";
            in.skipBytes(left);
            throw new TruncatedFrameException("connection closed in the middle of a frame (" + what + " received)");
        }
    }

    /** The peer closed the connection with part of a frame sent. */
    public static final class TruncatedFrameException extends CorruptedFrameException {
        private static final long serialVersionUID = 1L;

        public TruncatedFrameException(String message) {
            super(message);
        }
    }
}
