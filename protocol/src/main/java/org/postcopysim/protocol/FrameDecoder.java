package org.postcopysim.protocol;

import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/**
 * Splits the byte stream into frames (see {@link FrameDescriptor}) and emits each one from its
 * type byte on, the length field stripped. A length above the maximum fails fast with
 * {@link io.netty.handler.codec.TooLongFrameException} before the body is buffered.
 */
public final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    /**
     * @param maxFrameBytes largest length field accepted (type and body, bytes; see
     *     {@link FrameDescriptor#checkMaxFrameBytes}). Netty's limit counts the length field too,
     *     so it is passed on with {@link FrameDescriptor#LENGTH_FIELD_BYTES} added.
     */
    public FrameDecoder(int maxFrameBytes) {
        super(FrameDescriptor.checkMaxFrameBytes(maxFrameBytes) + FrameDescriptor.LENGTH_FIELD_BYTES, 0,
                FrameDescriptor.LENGTH_FIELD_BYTES, 0, FrameDescriptor.LENGTH_FIELD_BYTES, true);
    }
}
