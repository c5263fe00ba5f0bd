package org.postcopysim.protocol;

/**
 * Layout of one frame on the wire; every frame offset and limit is defined here and only here.
 *
 * <pre>
 *   0               4        5
 *   +---------------+--------+-------------------------------+
 *   | length (u32)  | type   | body: protobuf message        |
 *   | big-endian    | (u8)   | (length - 1 bytes)            |
 *   +---------------+--------+-------------------------------+
 * </pre>
 *
 * {@code length} counts the type byte and the body. {@code type} is a {@link FrameType} number
 * and names the body's message type.
 */
public final class FrameDescriptor {
    /** Bytes of the length field. */
    public static final int LENGTH_FIELD_BYTES = 4;
    /** Offset of the type byte from the frame start. */
    public static final int TYPE_OFFSET = LENGTH_FIELD_BYTES;
    /** Bytes before the body: length and type. */
    public static final int HEADER_BYTES = LENGTH_FIELD_BYTES + 1;
    /**
     * Default largest frame accepted or sent, counting type and body (bytes): 1 MiB. Big enough
     * for a PageBatch of {@link #DEFAULT_PAGES_PER_BATCH} pages or a CompletionDigest chunk.
     */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
    /** Smallest maximum frame a peer may configure (bytes): one page plus headers. */
    public static final int MIN_MAX_FRAME_BYTES = 8 << 10;
    /** Default pages per background PageBatch frame: 64 pages = 256 KiB of contents. */
    public static final int DEFAULT_PAGES_PER_BATCH = 64;

    private FrameDescriptor() {}

    /** Rejects a maximum frame size outside [{@link #MIN_MAX_FRAME_BYTES}, 64 MiB]. */
    public static int checkMaxFrameBytes(int maxFrameBytes) {
        if (maxFrameBytes < MIN_MAX_FRAME_BYTES || maxFrameBytes > (64 << 20)) {
            throw new IllegalArgumentException("maximum frame size must be within 8 KiB..64 MiB, got " + maxFrameBytes);
        }
        return maxFrameBytes;
    }
}
