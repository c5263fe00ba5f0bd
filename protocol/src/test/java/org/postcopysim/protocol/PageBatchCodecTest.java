package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;

@ExtendWith(NettyLeakCheck.class)
class PageBatchCodecTest {
    private static final long SEED = 0x5EED_0001L;
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    /** Gfns whose varints take 1, 2, 5, 9 and 10 bytes; the 10-byte ones are uint64 values >= 2^63. */
    private static final long[] EDGE_GFNS = {
        0L, 1L, 127L, 128L, 16_383L, 16_384L, 1L << 35, Long.MAX_VALUE, -1L, Long.MIN_VALUE, 0x8000_0000_0000_0001L,
    };

    /** A page as both directions see it: contents copied out of the frame buffer. */
    record Page(long requestId, long gfn, int crc32c, byte[] contents) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Page p && p.requestId == requestId && p.gfn == gfn && p.crc32c == crc32c
                    && Arrays.equals(p.contents, contents);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(gfn);
        }

        @Override
        public String toString() {
            return "Page[requestId=" + Long.toUnsignedString(requestId) + ", gfn=" + Long.toUnsignedString(gfn)
                    + ", crc32c=" + Integer.toHexString(crc32c) + ", contents=" + contents.length + " bytes]";
        }
    }

    /** A sink that copies every delivered page. */
    static final class CollectingSink implements PageBatchCodec.PageSink {
        final List<Page> pages = new ArrayList<>();

        @Override
        public boolean onPage(long requestId, long gfn, int crc32c, ByteBuf buf, int contentsIndex, int contentsLength) {
            byte[] contents = new byte[contentsLength];
            buf.getBytes(contentsIndex, contents);
            pages.add(new Page(requestId, gfn, crc32c, contents));
            return true;
        }
    }

    static byte[] pageContents(long gfn) {
        ByteBuffer page = ByteBuffer.allocate(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        PageContents.fill(page, SEED, gfn);
        return page.array();
    }

    static int crc32c(byte[] contents) {
        CRC32C crc = new CRC32C();
        crc.update(contents);
        return (int) crc.getValue();
    }

    /** {@code count} pages of gfns cycling through the edge gfns and then consecutive ones. */
    static List<Page> pages(long requestId, int count) {
        List<Page> pages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long gfn = i < EDGE_GFNS.length ? EDGE_GFNS[i] : 1_000_000L + i;
            byte[] contents = pageContents(gfn);
            pages.add(new Page(requestId, gfn, crc32c(contents), contents));
        }
        return pages;
    }

    static ByteBuf encodeWithCodec(long requestId, List<Page> pages) {
        ByteBuf frame = PageBatchCodec.begin(ALLOC, requestId, pages.size(), GuestLayout.PAGE_SIZE_BYTES);
        for (Page p : pages) {
            ByteBuffer contents = ByteBuffer.wrap(p.contents());
            PageBatchCodec.addPage(frame, p.gfn(), p.crc32c(), contents);
            assertEquals(0, contents.position(), "addPage leaves the contents buffer's position unchanged");
        }
        return PageBatchCodec.finish(frame);
    }

    static PageBatch generated(long requestId, List<Page> pages) {
        PageBatch.Builder b = PageBatch.newBuilder().setRequestId(requestId);
        for (Page p : pages) {
            b.addPages(PageData.newBuilder().setGfn(p.gfn()).setCrc32C(p.crc32c())
                    .setContents(ByteString.copyFrom(p.contents())));
        }
        return b.build();
    }

    static List<Page> fromGenerated(PageBatch batch) {
        List<Page> out = new ArrayList<>();
        for (PageData d : batch.getPagesList()) {
            out.add(new Page(batch.getRequestId(), d.getGfn(), d.getCrc32C(), d.getContents().toByteArray()));
        }
        return out;
    }

    /** Bytes around the body in the test buffer, so the reader must honour index and length. */
    private static final byte[] GUARD = {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x12, 0x7F, 0x08};

    /**
     * Reads {@code body}, placed between guard bytes in a pooled buffer, with a fresh Reader;
     * also checks validate() agrees with read().
     */
    static int readAll(byte[] body, CollectingSink sink) {
        ByteBuf buf = ALLOC.buffer(body.length + 2 * GUARD.length);
        try {
            buf.writeBytes(GUARD).writeBytes(body).writeBytes(GUARD);
            PageBatchCodec.Reader reader = new PageBatchCodec.Reader();
            int validated = reader.validate(buf, GUARD.length, body.length);
            int read = reader.read(buf, GUARD.length, body.length, sink);
            assertEquals(validated, read, "validate() agrees with read()");
            assertEquals(0, buf.readerIndex(), "the reader does not move the buffer's reader index");
            return read;
        } finally {
            assertTrue(buf.release());
        }
    }

    static Arguments[] requestIdsAndPageCounts() {
        long[] requestIds = {0L, 1L, 42L, Long.MAX_VALUE, -1L, Long.MIN_VALUE};
        int[] counts = {1, 64};
        List<Arguments> out = new ArrayList<>();
        for (long id : requestIds) {
            for (int n : counts) out.add(Arguments.of(id, n));
        }
        return out.toArray(new Arguments[0]);
    }

    @ParameterizedTest(name = "requestId={0} pages={1}")
    @MethodSource("requestIdsAndPageCounts")
    void framesWrittenByCodecParseWithGeneratedPageBatch(long requestId, int count) throws Exception {
        List<Page> pages = pages(requestId, count);
        ByteBuf frame = encodeWithCodec(requestId, pages);
        try {
            assertEquals(frame.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES, frame.getInt(frame.readerIndex()),
                    "length field counts type and body");
            assertEquals(FrameType.FRAME_TYPE_PAGE_BATCH_VALUE, frame.getUnsignedByte(FrameDescriptor.TYPE_OFFSET));
            PageBatch parsed = PageBatch.parseFrom(frame.nioBuffer(FrameDescriptor.HEADER_BYTES,
                    frame.readableBytes() - FrameDescriptor.HEADER_BYTES));
            assertEquals(requestId, parsed.getRequestId());
            assertEquals(count, parsed.getPagesCount());
            assertEquals(pages, fromGenerated(parsed));
        } finally {
            assertTrue(frame.release());
        }
    }

    @ParameterizedTest(name = "requestId={0} pages={1}")
    @MethodSource("requestIdsAndPageCounts")
    void bytesWrittenByGeneratedPageBatchDecodeWithReader(long requestId, int count) {
        List<Page> pages = pages(requestId, count);
        byte[] body = generated(requestId, pages).toByteArray();
        CollectingSink sink = new CollectingSink();
        assertEquals(count, readAll(body, sink));
        assertEquals(pages, sink.pages);
    }

    @ParameterizedTest(name = "round={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 127, 128, Integer.MAX_VALUE})
    void thePrecopyRoundGoesBothWays(int round) throws Exception {
        List<Page> pages = pages(0, 3);
        ByteBuf frame = PageBatchCodec.beginPrecopy(ALLOC, round, pages.size(), GuestLayout.PAGE_SIZE_BYTES);
        for (Page p : pages) PageBatchCodec.addPage(frame, p.gfn(), p.crc32c(), ByteBuffer.wrap(p.contents()));
        PageBatchCodec.finish(frame);
        try {
            PageBatch parsed = PageBatch.parseFrom(frame.nioBuffer(FrameDescriptor.HEADER_BYTES,
                    frame.readableBytes() - FrameDescriptor.HEADER_BYTES));
            assertEquals(round, parsed.getPrecopyRound());
            assertEquals(0, parsed.getRequestId());
            assertEquals(pages, fromGenerated(parsed));
        } finally {
            assertTrue(frame.release());
        }
        byte[] body = generated(0, pages).toBuilder().setPrecopyRound(round).build().toByteArray();
        ByteBuf buf = ALLOC.buffer(body.length).writeBytes(body);
        try {
            PageBatchCodec.Reader reader = new PageBatchCodec.Reader();
            CollectingSink sink = new CollectingSink();
            assertEquals(3, reader.read(buf, 0, body.length, sink));
            assertEquals(round, reader.precopyRound());
            assertEquals(pages, sink.pages);
            byte[] plain = generated(0, pages).toByteArray();
            ByteBuf next = ALLOC.buffer(plain.length).writeBytes(plain);
            try {
                assertEquals(3, reader.read(next, 0, plain.length, new CollectingSink()));
                assertEquals(0, reader.precopyRound(), "a batch without a round resets it");
            } finally {
                next.release();
            }
        } finally {
            buf.release();
        }
        assertThrows(IllegalArgumentException.class, () -> PageBatchCodec.beginPrecopy(ALLOC, 0, 1, GuestLayout.PAGE_SIZE_BYTES));
    }

    @Test
    void aPrecopyRoundBeyondThirtyOneBitsIsMalformed() {
        byte[] body = generated(0, pages(0, 1)).toBuilder().setPrecopyRound(-1).build().toByteArray(); // uint32 max
        assertEquals(PageBatchCodec.MALFORMED, readAll(body, new CollectingSink()));
    }

    @Test
    void codecWritesTheSameBytesAsGeneratedWriterWhenNoFieldHasItsDefault() {
        List<Page> pages = new ArrayList<>(pages(7L, 12));
        pages.remove(0); // gfn 0 is a default value, which the generated writer omits
        ByteBuf frame = encodeWithCodec(7L, pages);
        try {
            byte[] body = new byte[frame.readableBytes() - FrameDescriptor.HEADER_BYTES];
            frame.getBytes(FrameDescriptor.HEADER_BYTES, body);
            assertArrayEquals(generated(7L, pages).toByteArray(), body);
        } finally {
            assertTrue(frame.release());
        }
    }

    @Test
    void codecFrameDecodesWithReaderAndRespectsAFrameOffset() {
        List<Page> pages = pages(99L, 3);
        ByteBuf frame = encodeWithCodec(99L, pages);
        try {
            frame.skipBytes(FrameDescriptor.LENGTH_FIELD_BYTES); // as FrameDecoder emits it
            CollectingSink sink = new CollectingSink();
            int n = new PageBatchCodec.Reader().read(frame, Frames.bodyIndex(frame), Frames.bodyLength(frame), sink);
            assertEquals(3, n);
            assertEquals(pages, sink.pages);
        } finally {
            assertTrue(frame.release());
        }
    }

    @Test
    void maxPagesPerFrameFitsTheDefaultFrameAndBatchSize() {
        int pages = PageBatchCodec.maxPagesPerFrame(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, GuestLayout.PAGE_SIZE_BYTES);
        assertTrue(pages >= FrameDescriptor.DEFAULT_PAGES_PER_BATCH, "pages per frame " + pages);
        // Worst case: every gfn and the request id need 10-byte varints.
        List<Page> worst = new ArrayList<>();
        for (int i = 0; i < pages; i++) {
            long gfn = Long.MIN_VALUE + i;
            byte[] contents = pageContents(gfn);
            worst.add(new Page(-1L, gfn, crc32c(contents), contents));
        }
        ByteBuf frame = encodeWithCodec(-1L, worst);
        try {
            int length = frame.getInt(0);
            assertTrue(length <= FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, "frame length " + length);
        } finally {
            assertTrue(frame.release());
        }
    }

    @Test
    void sinkReturningFalseStopsDeliveryAfterThatPage() {
        byte[] body = generated(5L, pages(5L, 4)).toByteArray();
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            List<Long> gfns = new ArrayList<>();
            int n = new PageBatchCodec.Reader().read(buf, 0, body.length, (id, gfn, crc, b, i, len) -> {
                gfns.add(gfn);
                return gfns.size() < 2;
            });
            assertEquals(2, n);
            assertEquals(List.of(EDGE_GFNS[0], EDGE_GFNS[1]), gfns);
        } finally {
            assertTrue(buf.release());
        }
    }

    @Test
    void emptyBodyIsABatchOfNoPages() {
        CollectingSink sink = new CollectingSink();
        assertEquals(0, readAll(new byte[0], sink));
        assertTrue(sink.pages.isEmpty());
    }

    // ---- unknown fields ----

    @Test
    void unknownFieldsInsidePageBatchAndPageDataAreSkipped() throws Exception {
        List<Page> pages = pages(77L, 3);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(9, 12345L);                                  // unknown varint before request_id
        out.writeUInt64(1, 77L);
        out.writeBytes(10, ByteString.copyFromUtf8("unknown LEN"));  // unknown LEN
        for (Page p : pages) {
            ByteArrayOutputStream entry = new ByteArrayOutputStream();
            CodedOutputStream e = CodedOutputStream.newInstance(entry);
            e.writeFixed64(15, -1L);                                 // unknown fixed64
            e.writeUInt64(1, p.gfn());
            e.writeFixed32(16, 0xCAFEBABE);                          // unknown fixed32
            e.writeFixed32(2, p.crc32c());
            e.writeBytes(17, ByteString.copyFrom(new byte[300]));    // unknown LEN, 2-byte length
            e.writeBytes(3, ByteString.copyFrom(p.contents()));
            e.writeUInt64(1000, Long.MIN_VALUE);                     // unknown, 2-byte tag, 10-byte value
            e.flush();
            out.writeByteArray(2, entry.toByteArray());
            out.writeFixed32(11, 7);                                 // unknown fixed32 between pages
        }
        out.writeFixed64(12, 8L);                                    // unknown fixed64 at the end
        out.flush();
        byte[] body = bytes.toByteArray();

        PageBatch parsed = PageBatch.parseFrom(body);
        assertEquals(pages, fromGenerated(parsed), "the generated parser sees the same pages");
        CollectingSink sink = new CollectingSink();
        assertEquals(3, readAll(body, sink));
        assertEquals(pages, sink.pages);
    }

    @Test
    void knownFieldNumbersWithAnotherWireTypeAreSkippedLikeUnknownFields() throws Exception {
        // protobuf treats a known field number with the wrong wire type as an unknown field.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeBytes(1, ByteString.copyFromUtf8("not a request id"));
        out.writeUInt64(1, 3L);
        ByteArrayOutputStream entry = new ByteArrayOutputStream();
        CodedOutputStream e = CodedOutputStream.newInstance(entry);
        e.writeBytes(1, ByteString.copyFromUtf8("not a gfn"));
        e.writeUInt64(1, 44L);
        e.writeUInt64(2, 5L);           // crc32c as a varint: ignored
        e.writeFixed32(2, 0x01020304);
        e.writeUInt64(3, 6L);           // contents as a varint: ignored
        e.writeBytes(3, ByteString.copyFrom(new byte[] {1, 2, 3}));
        e.flush();
        out.writeByteArray(2, entry.toByteArray());
        out.writeUInt64(2, 9L);         // pages as a varint: ignored
        out.flush();
        byte[] body = bytes.toByteArray();

        List<Page> expected = List.of(new Page(3L, 44L, 0x01020304, new byte[] {1, 2, 3}));
        assertEquals(expected, fromGenerated(PageBatch.parseFrom(body)));
        CollectingSink sink = new CollectingSink();
        assertEquals(1, readAll(body, sink));
        assertEquals(expected, sink.pages);
    }

    @Test
    void lastRequestIdWinsAndAppliesToEveryPageEvenPagesBeforeIt() throws Exception {
        List<Page> pages = pages(0L, 2);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(1, 10L);
        out.writeByteArray(2, PageData.newBuilder().setGfn(pages.get(0).gfn()).setCrc32C(pages.get(0).crc32c())
                .setContents(ByteString.copyFrom(pages.get(0).contents())).build().toByteArray());
        out.writeUInt64(1, 11L);
        out.writeByteArray(2, PageData.newBuilder().setGfn(pages.get(1).gfn()).setCrc32C(pages.get(1).crc32c())
                .setContents(ByteString.copyFrom(pages.get(1).contents())).build().toByteArray());
        out.flush();
        byte[] body = bytes.toByteArray();
        assertEquals(11L, PageBatch.parseFrom(body).getRequestId());
        CollectingSink sink = new CollectingSink();
        assertEquals(2, readAll(body, sink));
        assertEquals(11L, sink.pages.get(0).requestId());
        assertEquals(11L, sink.pages.get(1).requestId());
    }

    // ---- malformed bodies: MALFORMED, nothing delivered ----

    static void assertMalformed(byte[] body) {
        CollectingSink sink = new CollectingSink();
        int n = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> readAll(body, sink),
                "a malformed body must not make the reader loop");
        assertEquals(PageBatchCodec.MALFORMED, n);
        assertTrue(sink.pages.isEmpty(), "nothing is delivered from a malformed body");
        // The generated parser rejects the same bytes.
        try {
            PageBatch.parseFrom(body);
            throw new AssertionError("the generated parser accepted a body the codec rejects");
        } catch (InvalidProtocolBufferException expected) {
            // agrees
        }
    }

    @Test
    void everyTruncationAgreesWithGeneratedParser() {
        // Small pages so every cut point can be tried; a cut at an entry boundary is a valid, shorter batch.
        List<Page> pages = new ArrayList<>();
        for (long gfn : new long[] {300L, Long.MIN_VALUE, 5L}) {
            byte[] contents = new byte[40];
            Arrays.fill(contents, (byte) gfn);
            pages.add(new Page(-1L, gfn, crc32c(contents), contents));
        }
        byte[] whole = generated(-1L, pages).toByteArray();
        int malformed = 0;
        for (int cut = 0; cut < whole.length; cut++) {
            byte[] body = Arrays.copyOf(whole, cut);
            PageBatch parsed;
            try {
                parsed = PageBatch.parseFrom(body);
            } catch (InvalidProtocolBufferException e) {
                assertMalformed(body);
                malformed++;
                continue;
            }
            CollectingSink sink = new CollectingSink();
            assertEquals(parsed.getPagesCount(), readAll(body, sink), "cut at " + cut);
            assertEquals(fromGenerated(parsed), sink.pages, "cut at " + cut);
        }
        assertTrue(malformed > whole.length - 10, "most cut points are inside a field: " + malformed);
    }

    @Test
    void truncatedPageContentsAreMalformedAndDeliverNothing() {
        byte[] whole = generated(8L, pages(8L, 3)).toByteArray();
        assertMalformed(Arrays.copyOf(whole, whole.length - 1));
        assertMalformed(Arrays.copyOf(whole, whole.length - 100));
    }

    @Test
    void pageLengthOverrunningTheBodyIsMalformed() {
        byte[] good = generated(0L, pages(0L, 1)).toByteArray();
        // tag(2, LEN) then a length one byte longer than what follows
        byte[] body = Arrays.copyOf(good, good.length);
        int lengthBytes = 2; // 4096 + ~10 needs a 2-byte varint
        int entry = good.length - 1 - lengthBytes;
        body[1] = (byte) (((entry + 1) & 0x7F) | 0x80);
        body[2] = (byte) ((entry + 1) >>> 7);
        assertMalformed(body);
    }

    @Test
    void contentsLengthOverrunningItsPageEntryIsMalformed() throws IOException {
        // The contents claim 10 bytes but the entry holds 3; a valid page follows in the body.
        byte[] entry = {0x08, 0x01, 0x1A, 0x0A, 1, 2, 3};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeByteArray(2, entry);
        out.writeByteArray(2, PageData.newBuilder().setGfn(2).setContents(ByteString.copyFrom(new byte[20]))
                .build().toByteArray());
        out.flush();
        assertMalformed(bytes.toByteArray());
    }

    @Test
    void elevenByteVarintsAreMalformedWhereverTheyAppear() {
        byte[] eleven = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
            (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00};
        // as the request id
        assertMalformed(concat(new byte[] {0x08}, eleven));
        // as a tag
        assertMalformed(eleven);
        // as a page entry's length
        assertMalformed(concat(new byte[] {0x12}, eleven));
        // as a gfn inside a page
        byte[] page = concat(new byte[] {0x08}, eleven);
        assertMalformed(concat(new byte[] {0x12, (byte) page.length}, page));
        // as an unknown varint field inside a page
        byte[] unknown = concat(new byte[] {0x28}, eleven);
        assertMalformed(concat(new byte[] {0x12, (byte) unknown.length}, unknown));
    }

    @Test
    void tenByteVarintsAreAcceptedWhereElevenAreNot() {
        // 2^63 as request id and gfn: the largest varint length protobuf allows.
        List<Page> pages = List.of(new Page(Long.MIN_VALUE, Long.MIN_VALUE, 1, new byte[] {9}));
        byte[] body = generated(Long.MIN_VALUE, pages).toByteArray();
        CollectingSink sink = new CollectingSink();
        assertEquals(1, readAll(body, sink));
        assertEquals(pages, sink.pages);
    }

    @Test
    void negativePageLengthIsMalformedAndDoesNotLoop() {
        // A 10-byte length varint decoding to -11 would point back at its own tag.
        byte[] minus11 = varint(-11L);
        assertEquals(10, minus11.length);
        assertMalformed(concat(new byte[] {0x12}, minus11, new byte[16]));
        // A plain negative length, -1.
        assertMalformed(concat(new byte[] {0x12}, varint(-1L), new byte[16]));
    }

    @Test
    void negativeContentsLengthIsMalformedAndDoesNotLoop() {
        // Inside a page: contents whose 10-byte length decodes to -11, pointing back at its own tag.
        byte[] page = concat(new byte[] {0x08, 0x01, 0x1A}, varint(-11L), new byte[4]);
        assertMalformed(concat(new byte[] {0x12, (byte) page.length}, page));
        byte[] page2 = concat(new byte[] {0x1A}, varint(-1L), new byte[4]);
        assertMalformed(concat(new byte[] {0x12, (byte) page2.length}, page2));
    }

    @Test
    void groupWireTypesAndInvalidWireTypesAreMalformed() {
        assertMalformed(new byte[] {0x0E, 0x00}); // field 1, wire type 6
        assertMalformed(new byte[] {0x0F, 0x00}); // field 1, wire type 7
    }

    @Test
    void fixedFieldsRunningPastTheBodyAreMalformed() {
        assertMalformed(new byte[] {0x2D, 1, 2, 3});             // unknown fixed32 with 3 bytes
        assertMalformed(new byte[] {0x29, 1, 2, 3, 4, 5, 6, 7}); // unknown fixed64 with 7 bytes
        assertMalformed(new byte[] {0x12, 0x04, 0x15, 1, 2, 3}); // crc32c with 3 bytes inside a page
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            bytes.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        bytes.write((int) v);
        return bytes.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (byte[] p : parts) bytes.writeBytes(p);
        return bytes.toByteArray();
    }
}
