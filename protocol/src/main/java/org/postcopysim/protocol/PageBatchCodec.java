package org.postcopysim.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;

/**
 * Allocation-free encoding and decoding of PAGE_BATCH frames, byte-for-byte the protobuf
 * encoding of {@link PageBatch} (the generated parser reads what this writes, and this reads
 * what the generated writer writes; tests hold both directions). The generated classes would
 * allocate a message and a ByteString per page; this walks the wire format in place instead.
 *
 * <p>Writing: {@link #begin}, then {@link #addPage} per page, then {@link #finish}. Reading: one
 * {@link Reader} per channel (it keeps a reusable cursor), calling a {@link PageSink} per page
 * with the page's contents still inside the frame buffer.
 */
public final class PageBatchCodec {
    /** Field numbers of PageBatch and PageData; see postcopy.proto. */
    private static final int BATCH_REQUEST_ID = 1;
    private static final int BATCH_PAGES = 2;
    private static final int BATCH_PRECOPY_ROUND = 3;
    private static final int PAGE_GFN = 1;
    private static final int PAGE_CRC32C = 2;
    private static final int PAGE_CONTENTS = 3;

    /** Upper bound of one encoded PageData entry around {@code pageSize} bytes of contents. */
    public static int maxEntryBytes(int pageSize) {
        // tag + len(entry) + [tag + gfn varint] + [tag + fixed32] + [tag + len + contents]
        return 1 + 5 + (1 + 10) + (1 + 4) + (1 + 5) + pageSize;
    }

    /** Largest number of pages of {@code pageSize} bytes that fits a frame of {@code maxFrameBytes}. */
    public static int maxPagesPerFrame(int maxFrameBytes, int pageSize) {
        int room = maxFrameBytes - 1 - (1 + 10);
        return Math.max(0, room / maxEntryBytes(pageSize));
    }

    private PageBatchCodec() {}

    /**
     * Starts a PAGE_BATCH frame with room for {@code maxPages} pages of {@code pageSize} bytes.
     * {@code requestId} 0 marks background pages.
     */
    public static ByteBuf begin(ByteBufAllocator alloc, long requestId, int maxPages, int pageSize) {
        int capacity = FrameDescriptor.HEADER_BYTES + 11 + maxPages * maxEntryBytes(pageSize);
        ByteBuf out = alloc.directBuffer(capacity);
        out.writeInt(0); // length, set by finish()
        out.writeByte(FrameType.FRAME_TYPE_PAGE_BATCH_VALUE);
        if (requestId != 0) {
            out.writeByte(ProtoWire.tag(BATCH_REQUEST_ID, ProtoWire.WIRETYPE_VARINT));
            ProtoWire.writeVarint(out, requestId);
        }
        return out;
    }

    /** Starts a PAGE_BATCH frame of precopy copies read in round {@code round} (1 or more), as {@link #begin}. */
    public static ByteBuf beginPrecopy(ByteBufAllocator alloc, int round, int maxPages, int pageSize) {
        if (round < 1) throw new IllegalArgumentException("precopy rounds count from 1, got " + round);
        ByteBuf out = begin(alloc, 0, maxPages, pageSize);
        out.writeByte(ProtoWire.tag(BATCH_PRECOPY_ROUND, ProtoWire.WIRETYPE_VARINT));
        ProtoWire.writeVarint(out, round);
        return out;
    }

    /** Appends one page; {@code contents} is read from position to limit and left unchanged. */
    public static void addPage(ByteBuf frame, long gfn, int crc32c, ByteBuffer contents) {
        int len = contents.remaining();
        int entry = 1 + ProtoWire.varintSize(gfn) + 1 + 4 + 1 + ProtoWire.varintSize(len) + len;
        frame.writeByte(ProtoWire.tag(BATCH_PAGES, ProtoWire.WIRETYPE_LEN));
        ProtoWire.writeVarint(frame, entry);
        frame.writeByte(ProtoWire.tag(PAGE_GFN, ProtoWire.WIRETYPE_VARINT));
        ProtoWire.writeVarint(frame, gfn);
        frame.writeByte(ProtoWire.tag(PAGE_CRC32C, ProtoWire.WIRETYPE_FIXED32));
        frame.writeIntLE(crc32c);
        frame.writeByte(ProtoWire.tag(PAGE_CONTENTS, ProtoWire.WIRETYPE_LEN));
        ProtoWire.writeVarint(frame, len);
        int pos = contents.position();
        frame.writeBytes(contents);
        contents.position(pos);
    }

    /** Completes the frame started by {@link #begin}: writes its length field. */
    public static ByteBuf finish(ByteBuf frame) {
        frame.setInt(frame.readerIndex(), frame.writerIndex() - frame.readerIndex() - FrameDescriptor.LENGTH_FIELD_BYTES);
        return frame;
    }

    /** Receives each page of a decoded batch. The contents stay valid only during the call. */
    @FunctionalInterface
    public interface PageSink {
        /**
         * One page: {@code contentsLength} bytes at {@code contentsIndex} of {@code buf}.
         *
         * @return false to stop decoding the rest of the batch
         */
        boolean onPage(long requestId, long gfn, int crc32c, ByteBuf buf, int contentsIndex, int contentsLength);
    }

    /** Result of {@link Reader#read}: malformed protobuf (the frame must be rejected). */
    public static final int MALFORMED = -1;

    /** Decodes PAGE_BATCH bodies for one channel; not thread-safe, allocates nothing per page. */
    public static final class Reader {
        private final int[] cursor = new int[1];
        /** The request id {@link #scanHeader} found (the last one, as protobuf merges). */
        private long requestId;
        /** The precopy round {@link #scanHeader} found (0: none). */
        private int precopyRound;

        /** The precopy round of the batch being read (0: not a precopy batch); valid during and after {@link #read}. */
        public int precopyRound() {
            return precopyRound;
        }

        /**
         * Decodes the PageBatch body in {@code body[index, index + length)} and calls {@code sink}
         * for each page, in order. The whole body is validated first, so a malformed frame
         * delivers nothing. Returns the number of pages delivered, or {@link #MALFORMED}.
         */
        public int read(ByteBuf body, int index, int length, PageSink sink) {
            if (!scanHeader(body, index, index + length)) return MALFORMED;
            if (walk(body, index, index + length, requestId, null) == MALFORMED) return MALFORMED;
            return walk(body, index, index + length, requestId, sink);
        }

        /** Checks the whole body is a well-formed PageBatch without delivering anything; returns pages or MALFORMED. */
        public int validate(ByteBuf body, int index, int length) {
            if (!scanHeader(body, index, index + length)) return MALFORMED;
            return walk(body, index, index + length, requestId, null);
        }

        // Sets requestId and precopyRound; false when the top level of the body is malformed.
        private boolean scanHeader(ByteBuf in, int i, int limit) {
            requestId = 0;
            precopyRound = 0;
            while (i < limit) {
                long tag = ProtoWire.readVarint(in, i, limit, cursor);
                if (cursor[0] < 0 || tag > Integer.MAX_VALUE) return false;
                i = cursor[0];
                int field = (int) tag >>> 3;
                int wire = (int) tag & 7;
                if (field == BATCH_REQUEST_ID && wire == ProtoWire.WIRETYPE_VARINT) {
                    long v = ProtoWire.readVarint(in, i, limit, cursor);
                    if (cursor[0] < 0) return false;
                    requestId = v;
                    i = cursor[0];
                } else if (field == BATCH_PRECOPY_ROUND && wire == ProtoWire.WIRETYPE_VARINT) {
                    long v = ProtoWire.readVarint(in, i, limit, cursor);
                    if (cursor[0] < 0 || v > Integer.MAX_VALUE) return false;
                    precopyRound = (int) v; // uint32: wider values are malformed here
                    i = cursor[0];
                } else {
                    i = ProtoWire.skip(in, i, limit, wire, cursor);
                    if (i < 0) return false;
                }
            }
            return true;
        }

        private int walk(ByteBuf in, int i, int limit, long requestId, PageSink sink) {
            int pages = 0;
            while (i < limit) {
                long tag = ProtoWire.readVarint(in, i, limit, cursor);
                if (cursor[0] < 0 || tag > Integer.MAX_VALUE) return MALFORMED;
                i = cursor[0];
                int field = (int) tag >>> 3;
                int wire = (int) tag & 7;
                if (field == BATCH_PAGES && wire == ProtoWire.WIRETYPE_LEN) {
                    int len = ProtoWire.readLength(in, i, limit, cursor);
                    if (len < 0) return MALFORMED;
                    int start = cursor[0];
                    int end = start + len;
                    if (!page(in, start, end, requestId, sink)) return sink == null ? MALFORMED : pages + 1;
                    pages++;
                    i = end;
                } else {
                    i = ProtoWire.skip(in, i, limit, wire, cursor);
                    if (i < 0) return MALFORMED;
                }
            }
            return pages;
        }

        // Returns false when malformed (sink == null) or when the sink asked to stop.
        private boolean page(ByteBuf in, int i, int end, long requestId, PageSink sink) {
            long gfn = 0;
            int crc = 0;
            int contentsIndex = i;
            int contentsLength = 0;
            while (i < end) {
                long tag = ProtoWire.readVarint(in, i, end, cursor);
                if (cursor[0] < 0 || tag > Integer.MAX_VALUE) return malformed(sink);
                i = cursor[0];
                int field = (int) tag >>> 3;
                int wire = (int) tag & 7;
                if (field == PAGE_GFN && wire == ProtoWire.WIRETYPE_VARINT) {
                    gfn = ProtoWire.readVarint(in, i, end, cursor);
                    if (cursor[0] < 0) return malformed(sink);
                    i = cursor[0];
                } else if (field == PAGE_CRC32C && wire == ProtoWire.WIRETYPE_FIXED32) {
                    if (i + 4 > end) return malformed(sink);
                    crc = in.getIntLE(i);
                    i += 4;
                } else if (field == PAGE_CONTENTS && wire == ProtoWire.WIRETYPE_LEN) {
                    int len = ProtoWire.readLength(in, i, end, cursor);
                    if (len < 0) return malformed(sink);
                    contentsIndex = cursor[0];
                    contentsLength = len;
                    i = contentsIndex + contentsLength;
                } else {
                    i = ProtoWire.skip(in, i, end, wire, cursor);
                    if (i < 0) return malformed(sink);
                }
            }
            if (sink == null) return true;
            return sink.onPage(requestId, gfn, crc, in, contentsIndex, contentsLength);
        }

        // Only reachable while validating: delivery walks a body validated already.
        private static boolean malformed(PageSink sink) {
            return false;
        }
    }
}
