package org.postcopysim.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.postcopysim.memory.GuestLayout;

/**
 * Allocation-free encoding and decoding of PAGE_BATCH frames, byte-for-byte the protobuf
 * encoding of {@link PageBatch} (the generated parser reads what this writes, and this reads
 * what the generated writer writes; tests hold both directions). The generated classes would
 * allocate a message and a ByteString per batch and copy every page; this works in place.
 *
 * <p>The layout (postcopy.proto): the request id and the precopy round, then every page's gfn
 * (packed fixed64), then every page's CRC32C (packed fixed32), then one {@code contents} field
 * holding the pages back to back (the Writer's order; the Reader takes the fields in any order). Everything before the contents is small and of a size known
 * from the page count, so a {@link Writer} can write it first and the contents can follow as
 * separate buffers (slices of guest memory: no copy on the source), and a {@link Reader} finds
 * page i's gfn, checksum and contents by arithmetic, with one walk over a handful of fields.
 */
public final class PageBatchCodec {
    /** Field numbers of PageBatch; see postcopy.proto. */
    private static final int BATCH_REQUEST_ID = 1;
    /** Protocol version 1's repeated PageData: a frame carrying it is refused. */
    private static final int BATCH_PAGES_V1 = 2;
    private static final int BATCH_PRECOPY_ROUND = 3;
    private static final int BATCH_PAGE_GFN = 4;
    private static final int BATCH_PAGE_CRC32C = 5;
    private static final int BATCH_CONTENTS = 6;

    /** Bytes of header per page besides its contents: its gfn (fixed64) and its CRC32C (fixed32). */
    public static final int HEADER_BYTES_PER_PAGE = 8 + 4;
    /** Upper bound of the type byte and the fields around the per-page entries. */
    private static final int MAX_FIXED_BYTES = 1 + (1 + 10) + (1 + 5) + 3 * (1 + 5);

    private PageBatchCodec() {}

    /** Upper bound of a whole PAGE_BATCH frame of {@code pages} pages, its length field included (bytes). */
    public static long maxFrameBytes(int pages, int pageSize) {
        return FrameDescriptor.LENGTH_FIELD_BYTES + MAX_FIXED_BYTES + (long) pages * (HEADER_BYTES_PER_PAGE + pageSize);
    }

    /** Largest number of pages of {@code pageSize} bytes that fits a frame of {@code maxFrameBytes} (type and body). */
    public static int maxPagesPerFrame(int maxFrameBytes, int pageSize) {
        return Math.max(0, (maxFrameBytes - MAX_FIXED_BYTES) / (HEADER_BYTES_PER_PAGE + pageSize));
    }

    /**
     * Writes PAGE_BATCH frames; one per thread, reused for every frame (it holds the offsets of the
     * frame being written). {@link #begin}, then {@link #page} for every page i in 0..pages-1 (and,
     * with the contents inline, {@link #contents} or a copy at {@link #contentsIndex}), then
     * {@link #finish}. A page left unwritten leaves garbage in the frame: write every one.
     */
    public static final class Writer {
        private final int pageSize;
        private ByteBuf frame;
        private int gfnAt;
        private int crcAt;
        private int contentsAt;
        private int pages;

        /** A writer of 4 KiB pages ({@link GuestLayout#PAGE_SIZE_BYTES}). */
        public Writer() {
            this(GuestLayout.PAGE_SIZE_BYTES);
        }

        public Writer(int pageSize) {
            if (pageSize <= 0) throw new IllegalArgumentException("page size must be positive: " + pageSize);
            this.pageSize = pageSize;
        }

        /**
         * Starts a frame of {@code pages} pages. {@code requestId} 0 marks background pages;
         * {@code precopyRound} 0 marks copies sent outside precopy (else the round, from 1). With
         * {@code contentsInline} the buffer has room for the contents and its writer index is at the
         * frame's end; without, the buffer ends where the contents begin, and the caller sends
         * exactly {@code pages * pageSize} bytes of contents right after it (for example as
         * components of one composite buffer).
         */
        public ByteBuf begin(ByteBufAllocator alloc, long requestId, int precopyRound, int pages, boolean contentsInline) {
            if (frame != null) throw new IllegalStateException("a frame is being written: finish it first");
            if (pages < 0) throw new IllegalArgumentException("pages must not be negative: " + pages);
            if (precopyRound < 0) throw new IllegalArgumentException("precopy rounds count from 1, got " + precopyRound);
            long contentsBytes = (long) pages * pageSize;
            long fields = 1;
            if (requestId != 0) fields += 1 + ProtoWire.varintSize(requestId);
            if (precopyRound != 0) fields += 1 + ProtoWire.varintSize(precopyRound);
            if (pages > 0) {
                fields += 1 + ProtoWire.varintSize(8L * pages) + 8 * pages;
                fields += 1 + ProtoWire.varintSize(4L * pages) + 4 * pages;
                fields += 1 + ProtoWire.varintSize(contentsBytes);
            }
            long length = fields + contentsBytes;
            if (length > Integer.MAX_VALUE - FrameDescriptor.LENGTH_FIELD_BYTES || fields > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(pages + " pages do not fit one frame");
            }
            int header = (int) (FrameDescriptor.LENGTH_FIELD_BYTES + fields);
            ByteBuf out = alloc.directBuffer(contentsInline ? (int) (header + contentsBytes) : header);
            out.writeInt((int) length);
            out.writeByte(FrameType.FRAME_TYPE_PAGE_BATCH_VALUE);
            if (requestId != 0) {
                out.writeByte(ProtoWire.tag(BATCH_REQUEST_ID, ProtoWire.WIRETYPE_VARINT));
                ProtoWire.writeVarint(out, requestId);
            }
            if (precopyRound != 0) {
                out.writeByte(ProtoWire.tag(BATCH_PRECOPY_ROUND, ProtoWire.WIRETYPE_VARINT));
                ProtoWire.writeVarint(out, precopyRound);
            }
            if (pages > 0) {
                out.writeByte(ProtoWire.tag(BATCH_PAGE_GFN, ProtoWire.WIRETYPE_LEN));
                ProtoWire.writeVarint(out, 8L * pages);
                gfnAt = out.writerIndex();
                out.writerIndex(gfnAt + 8 * pages);
                out.writeByte(ProtoWire.tag(BATCH_PAGE_CRC32C, ProtoWire.WIRETYPE_LEN));
                ProtoWire.writeVarint(out, 4L * pages);
                crcAt = out.writerIndex();
                out.writerIndex(crcAt + 4 * pages);
                out.writeByte(ProtoWire.tag(BATCH_CONTENTS, ProtoWire.WIRETYPE_LEN));
                ProtoWire.writeVarint(out, contentsBytes);
            }
            contentsAt = out.writerIndex();
            if (contentsInline) out.writerIndex((int) (contentsAt + contentsBytes));
            this.pages = pages;
            this.frame = out;
            return out;
        }

        /** Sets page {@code i}'s gfn and CRC32C. */
        public void page(int i, long gfn, int crc32c) {
            check(i);
            frame.setLongLE(gfnAt + 8 * i, gfn);
            frame.setIntLE(crcAt + 4 * i, crc32c);
        }

        /** Index in the frame where page {@code i}'s contents go (contents inline only). */
        public int contentsIndex(int i) {
            check(i);
            return contentsAt + i * pageSize;
        }

        /** Copies page {@code i}'s contents from {@code src} (position to limit, one page; left unchanged). */
        public void contents(int i, ByteBuffer src) {
            if (src.remaining() != pageSize) {
                throw new IllegalArgumentException("a page is " + pageSize + " bytes, got " + src.remaining());
            }
            int pos = src.position();
            frame.setBytes(contentsIndex(i), src);
            src.position(pos);
        }

        /** The CRC32C of page {@code i}'s contents as the frame holds them now (contents inline only). */
        public int checksum(int i, CRC32C crc) {
            int at = contentsIndex(i);
            crc.reset();
            crc.update(frame.internalNioBuffer(at, pageSize));
            return (int) crc.getValue();
        }

        /** Ends the frame; returns its buffer (the header alone, without the contents inline). */
        public ByteBuf finish() {
            ByteBuf out = frame;
            if (out == null) throw new IllegalStateException("no frame begun");
            frame = null;
            return out;
        }

        /** Drops the frame being written (an error while filling it): its buffer is released. */
        public void abandon() {
            ByteBuf out = frame;
            frame = null;
            if (out != null) out.release();
        }

        private void check(int i) {
            if (frame == null) throw new IllegalStateException("no frame begun");
            if (i < 0 || i >= pages) throw new IndexOutOfBoundsException("page " + i + " of " + pages);
        }
    }

    /** Receives each page of a decoded batch. The contents stay valid only during the call. */
    @FunctionalInterface
    public interface PageSink {
        /**
         * One page: {@code contentsLength} bytes (one page) at {@code contentsIndex} of {@code buf}.
         *
         * @return false to stop decoding the rest of the batch
         */
        boolean onPage(long requestId, long gfn, int crc32c, ByteBuf buf, int contentsIndex, int contentsLength);
    }

    /** Result of {@link Reader#read}: malformed (the frame must be rejected; {@link Reader#malformedReason} says why). */
    public static final int MALFORMED = -1;

    /**
     * Decodes PAGE_BATCH bodies for one channel; not thread-safe, allocates nothing. It accepts the
     * layout {@link Writer} writes and the generated classes write: each of the three page fields
     * at most once and packed, contents exactly one page per gfn; fields it does not know are
     * skipped, as protobuf does.
     */
    public static final class Reader {
        private final int pageSize;
        private final int[] cursor = new int[1];
        private long requestId;
        private int precopyRound;
        private int gfnAt;
        private int crcAt;
        private int contentsAt;
        private String malformed;

        /** A reader of 4 KiB pages ({@link GuestLayout#PAGE_SIZE_BYTES}). */
        public Reader() {
            this(GuestLayout.PAGE_SIZE_BYTES);
        }

        public Reader(int pageSize) {
            if (pageSize <= 0) throw new IllegalArgumentException("page size must be positive: " + pageSize);
            this.pageSize = pageSize;
        }

        /** The precopy round of the batch last read (0: not a precopy batch); valid during and after {@link #read}. */
        public int precopyRound() {
            return precopyRound;
        }

        /** Why the last body read or validated was {@link #MALFORMED} (null after a well-formed one). */
        public String malformedReason() {
            return malformed;
        }

        /**
         * Decodes the PageBatch body in {@code body[index, index + length)} and calls {@code sink}
         * for each page, in order. The whole body is validated first, so a malformed frame
         * delivers nothing. Returns the number of pages delivered, or {@link #MALFORMED}.
         */
        public int read(ByteBuf body, int index, int length, PageSink sink) {
            int pages = validate(body, index, length);
            for (int i = 0; i < pages; i++) {
                long gfn = body.getLongLE(gfnAt + 8 * i);
                int crc = body.getIntLE(crcAt + 4 * i);
                if (!sink.onPage(requestId, gfn, crc, body, contentsAt + i * pageSize, pageSize)) return i + 1;
            }
            return pages;
        }

        /** Checks the body is a well-formed PageBatch without delivering anything; returns its pages, or MALFORMED. */
        public int validate(ByteBuf in, int index, int length) {
            requestId = 0;
            precopyRound = 0;
            malformed = null;
            int gfnBytes = -1;
            int crcBytes = -1;
            int contentsBytes = -1;
            int i = index;
            int limit = index + length;
            while (i < limit) {
                long tag = ProtoWire.readVarint(in, i, limit, cursor);
                if (cursor[0] < 0 || tag > Integer.MAX_VALUE) return malformed("a field tag is cut short or too long");
                i = cursor[0];
                int field = (int) tag >>> 3;
                int wire = (int) tag & 7;
                if (field == BATCH_REQUEST_ID && wire == ProtoWire.WIRETYPE_VARINT) {
                    long v = ProtoWire.readVarint(in, i, limit, cursor);
                    if (cursor[0] < 0) return malformed("request_id is cut short");
                    requestId = v;
                    i = cursor[0];
                } else if (field == BATCH_PRECOPY_ROUND && wire == ProtoWire.WIRETYPE_VARINT) {
                    long v = ProtoWire.readVarint(in, i, limit, cursor);
                    if (cursor[0] < 0 || v < 0 || v > Integer.MAX_VALUE) {
                        return malformed("precopy_round is cut short or not below 2^31"); // uint32 here; a uint64 above 2^63 reads negative
                    }
                    precopyRound = (int) v;
                    i = cursor[0];
                } else if (field == BATCH_PAGES_V1 && wire == ProtoWire.WIRETYPE_LEN) {
                    return malformed("pages as PageData messages (field 2, protocol version 1)");
                } else if (field == BATCH_PAGE_GFN || field == BATCH_PAGE_CRC32C || field == BATCH_CONTENTS) {
                    if (wire != ProtoWire.WIRETYPE_LEN) return malformed(name(field) + " is not length-delimited (unpacked)");
                    int len = ProtoWire.readLength(in, i, limit, cursor);
                    if (len < 0) return malformed(name(field) + " runs past the frame");
                    int at = cursor[0];
                    if (field == BATCH_PAGE_GFN) {
                        if (gfnBytes >= 0) return malformed("page_gfn appears twice");
                        gfnBytes = len;
                        gfnAt = at;
                    } else if (field == BATCH_PAGE_CRC32C) {
                        if (crcBytes >= 0) return malformed("page_crc32c appears twice");
                        crcBytes = len;
                        crcAt = at;
                    } else {
                        if (contentsBytes >= 0) return malformed("contents appears twice");
                        contentsBytes = len;
                        contentsAt = at;
                    }
                    i = at + len;
                } else {
                    i = ProtoWire.skip(in, i, limit, wire, cursor);
                    if (i < 0) return malformed("field " + field + " is cut short");
                }
            }
            gfnBytes = Math.max(0, gfnBytes);
            crcBytes = Math.max(0, crcBytes);
            contentsBytes = Math.max(0, contentsBytes);
            if (gfnBytes % 8 != 0) return malformed("page_gfn holds " + gfnBytes + " bytes, not a whole number of fixed64");
            int pages = gfnBytes / 8;
            if (crcBytes != 4L * pages) return malformed("page_crc32c holds " + crcBytes + " bytes for " + pages + " gfns");
            if (contentsBytes != (long) pages * pageSize) {
                return malformed("contents holds " + contentsBytes + " bytes for " + pages + " pages of " + pageSize);
            }
            return pages;
        }

        private int malformed(String why) {
            malformed = why;
            return MALFORMED;
        }

        private static String name(int field) {
            return field == BATCH_PAGE_GFN ? "page_gfn" : field == BATCH_PAGE_CRC32C ? "page_crc32c" : "contents";
        }
    }
}
