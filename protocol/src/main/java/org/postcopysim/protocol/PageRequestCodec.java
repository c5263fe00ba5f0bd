package org.postcopysim.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Allocation-free encoding and decoding of PAGE_REQUEST frames, wire-identical to the protobuf
 * encoding of {@link PageRequest} (gfns packed; unpacked gfns are accepted when reading, as
 * protobuf requires).
 */
public final class PageRequestCodec {
    private static final int REQUEST_ID = 1;
    private static final int GFNS = 2;
    private static final int URGENT = 3;

    /** Most gfns one request may name (count). */
    public static final int MAX_GFNS_PER_REQUEST = 1024;

    private PageRequestCodec() {}

    /** Encodes a whole PAGE_REQUEST frame for {@code gfns[0..count)}. */
    public static ByteBuf encode(ByteBufAllocator alloc, long requestId, long[] gfns, int count, boolean urgent) {
        if (count < 0 || count > MAX_GFNS_PER_REQUEST) throw new IllegalArgumentException("gfn count " + count);
        int packed = 0;
        for (int i = 0; i < count; i++) packed += ProtoWire.varintSize(gfns[i]);
        ByteBuf out = alloc.buffer(FrameDescriptor.HEADER_BYTES + 11 + 6 + packed + 2);
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(FrameType.FRAME_TYPE_PAGE_REQUEST_VALUE);
        if (requestId != 0) {
            out.writeByte(ProtoWire.tag(REQUEST_ID, ProtoWire.WIRETYPE_VARINT));
            ProtoWire.writeVarint(out, requestId);
        }
        if (count > 0) {
            out.writeByte(ProtoWire.tag(GFNS, ProtoWire.WIRETYPE_LEN));
            ProtoWire.writeVarint(out, packed);
            for (int i = 0; i < count; i++) ProtoWire.writeVarint(out, gfns[i]);
        }
        if (urgent) {
            out.writeByte(ProtoWire.tag(URGENT, ProtoWire.WIRETYPE_VARINT));
            out.writeByte(1);
        }
        out.setInt(start, out.writerIndex() - start - FrameDescriptor.LENGTH_FIELD_BYTES);
        return out;
    }

    /**
     * Encodes a PAGE_REQUEST frame for one gfn: the demand-fault path, which allocates nothing
     * but the pooled frame buffer.
     */
    public static ByteBuf encodeSingle(ByteBufAllocator alloc, long requestId, long gfn, boolean urgent) {
        int gfnBytes = ProtoWire.varintSize(gfn);
        ByteBuf out = alloc.buffer(FrameDescriptor.HEADER_BYTES + 11 + 2 + gfnBytes + 2);
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(FrameType.FRAME_TYPE_PAGE_REQUEST_VALUE);
        if (requestId != 0) {
            out.writeByte(ProtoWire.tag(REQUEST_ID, ProtoWire.WIRETYPE_VARINT));
            ProtoWire.writeVarint(out, requestId);
        }
        out.writeByte(ProtoWire.tag(GFNS, ProtoWire.WIRETYPE_LEN));
        ProtoWire.writeVarint(out, gfnBytes);
        ProtoWire.writeVarint(out, gfn);
        if (urgent) {
            out.writeByte(ProtoWire.tag(URGENT, ProtoWire.WIRETYPE_VARINT));
            out.writeByte(1);
        }
        out.setInt(start, out.writerIndex() - start - FrameDescriptor.LENGTH_FIELD_BYTES);
        return out;
    }

    /** A decoded request, reused from one frame to the next (one per channel). */
    public static final class Decoded {
        public long requestId;
        public boolean urgent;
        public final long[] gfns = new long[MAX_GFNS_PER_REQUEST];
        public int count;
        private final int[] cursor = new int[1];

        /**
         * Decodes the PageRequest body in {@code body[index, index + length)} into this object.
         *
         * @return true when well-formed and within {@link #MAX_GFNS_PER_REQUEST}
         */
        public boolean decode(ByteBuf in, int index, int length) {
            requestId = 0;
            urgent = false;
            count = 0;
            int i = index;
            int limit = index + length;
            while (i < limit) {
                long tag = ProtoWire.readVarint(in, i, limit, cursor);
                if (cursor[0] < 0 || tag > Integer.MAX_VALUE) return false;
                i = cursor[0];
                int field = (int) tag >>> 3;
                int wire = (int) tag & 7;
                if (field == REQUEST_ID && wire == ProtoWire.WIRETYPE_VARINT) {
                    requestId = ProtoWire.readVarint(in, i, limit, cursor);
                    if (cursor[0] < 0) return false;
                    i = cursor[0];
                } else if (field == URGENT && wire == ProtoWire.WIRETYPE_VARINT) {
                    long v = ProtoWire.readVarint(in, i, limit, cursor);
                    if (cursor[0] < 0) return false;
                    urgent = v != 0;
                    i = cursor[0];
                } else if (field == GFNS && wire == ProtoWire.WIRETYPE_VARINT) {
                    long v = ProtoWire.readVarint(in, i, limit, cursor);
                    if (cursor[0] < 0 || count == MAX_GFNS_PER_REQUEST) return false;
                    gfns[count++] = v;
                    i = cursor[0];
                } else if (field == GFNS && wire == ProtoWire.WIRETYPE_LEN) {
                    int len = ProtoWire.readLength(in, i, limit, cursor);
                    if (len < 0) return false;
                    int j = cursor[0];
                    int end = j + len;
                    while (j < end) {
                        long v = ProtoWire.readVarint(in, j, end, cursor);
                        if (cursor[0] < 0 || count == MAX_GFNS_PER_REQUEST) return false;
                        gfns[count++] = v;
                        j = cursor[0];
                    }
                    i = end;
                } else {
                    i = ProtoWire.skip(in, i, limit, wire, cursor);
                    if (i < 0) return false;
                }
            }
            return true;
        }
    }
}
