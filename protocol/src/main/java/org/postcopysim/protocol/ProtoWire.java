package org.postcopysim.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The protobuf wire encoding primitives the allocation-free codecs need: varints, tags and
 * little-endian fixed32, read from and written to a {@link ByteBuf} at absolute or writer
 * positions. Reads return {@link #MALFORMED} rather than throwing.
 */
final class ProtoWire {
    static final int WIRETYPE_VARINT = 0;
    static final int WIRETYPE_FIXED64 = 1;
    static final int WIRETYPE_LEN = 2;
    static final int WIRETYPE_FIXED32 = 5;

    /** Sentinel for a malformed or truncated value (varints here are never negative as encoded). */
    static final long MALFORMED = Long.MIN_VALUE;

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
     * Reads a varint at {@code index}, not past {@code limit}. Returns the value, or MALFORMED;
     * the number of bytes consumed is left in {@code cursor[0]} as the new index.
     */
    static long readVarint(ByteBuf in, int index, int limit, int[] cursor) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (index >= limit) return MALFORMED;
            byte b = in.getByte(index++);
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                cursor[0] = index;
                return result;
            }
        }
        return MALFORMED;
    }

    /**
     * Skips one field's value of {@code wireType} at {@code index}; returns the index after it,
     * or -1 when malformed or past {@code limit}.
     */
    static int skip(ByteBuf in, int index, int limit, int wireType, int[] cursor) {
        switch (wireType) {
            case WIRETYPE_VARINT: {
                long v = readVarint(in, index, limit, cursor);
                return v == MALFORMED ? -1 : cursor[0];
            }
            case WIRETYPE_FIXED64:
                return index + 8 <= limit ? index + 8 : -1;
            case WIRETYPE_FIXED32:
                return index + 4 <= limit ? index + 4 : -1;
            case WIRETYPE_LEN: {
                long len = readVarint(in, index, limit, cursor);
                if (len == MALFORMED || len < 0 || len > limit - cursor[0]) return -1;
                return cursor[0] + (int) len;
            }
            default:
                return -1;
        }
    }
}
