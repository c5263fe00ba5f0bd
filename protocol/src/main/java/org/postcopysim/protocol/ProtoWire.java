package org.postcopysim.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The protobuf wire encoding primitives the allocation-free codecs need: varints, tags and
 * little-endian fixed32, read from and written to a {@link ByteBuf} at absolute or writer
 * positions. Reads report a malformed value in their cursor rather than throwing.
 */
final class ProtoWire {
    static final int WIRETYPE_VARINT = 0;
    static final int WIRETYPE_FIXED64 = 1;
    static final int WIRETYPE_LEN = 2;
    static final int WIRETYPE_FIXED32 = 5;

    /**
     * Returned by {@link #readVarint} for a malformed or truncated varint. It is also a valid
     * uint64 (2^63), so callers must test {@code cursor[0] < 0} (see {@link #MALFORMED_INDEX}),
     * not the returned value.
     */
    static final long MALFORMED = Long.MIN_VALUE;
    /** Left in {@code cursor[0]} by a read that found a malformed or truncated value. */
    static final int MALFORMED_INDEX = -1;

    private ProtoWire() {}

    static int tag(int field, int wireType) {
        return (field << 3) | wireType;
    }

    static int varintSize(long v) {
        if (v < 0) return 10;
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    static void writeVarint(ByteBuf out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    /**
     * Reads a varint (at most 10 bytes) at {@code index}, not past {@code limit}. Returns the
     * value and leaves the index after it in {@code cursor[0]}; when the varint is malformed or
     * truncated, leaves {@link #MALFORMED_INDEX} in {@code cursor[0]} and returns MALFORMED.
     */
    static long readVarint(ByteBuf in, int index, int limit, int[] cursor) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (index >= limit) break;
            byte b = in.getByte(index++);
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                cursor[0] = index;
                return result;
            }
        }
        cursor[0] = MALFORMED_INDEX;
        return MALFORMED;
    }

    /**
     * Reads the length of a length-delimited field at {@code index}. Returns the length, with the
     * index of the field's first content byte in {@code cursor[0]}; or -1 when the length is
     * malformed, negative, or runs past {@code limit}.
     */
    static int readLength(ByteBuf in, int index, int limit, int[] cursor) {
        long len = readVarint(in, index, limit, cursor);
        if (cursor[0] < 0 || len < 0 || len > limit - cursor[0]) return -1;
        return (int) len;
    }

    /**
     * Skips one field's value of {@code wireType} at {@code index}; returns the index after it,
     * or -1 when malformed or past {@code limit}.
     */
    static int skip(ByteBuf in, int index, int limit, int wireType, int[] cursor) {
        switch (wireType) {
            case WIRETYPE_VARINT: {
                readVarint(in, index, limit, cursor);
                return cursor[0] < 0 ? -1 : cursor[0];
            }
            case WIRETYPE_FIXED64:
                return index + 8 <= limit ? index + 8 : -1;
            case WIRETYPE_FIXED32:
                return index + 4 <= limit ? index + 4 : -1;
            case WIRETYPE_LEN: {
                int len = readLength(in, index, limit, cursor);
                return len < 0 ? -1 : cursor[0] + len;
            }
            default:
                return -1;
        }
    }
}
