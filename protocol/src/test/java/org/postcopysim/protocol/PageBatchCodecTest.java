package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
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
import org.junit.jupiter.params.provider.ValueSource;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;

@ExtendWith(NettyLeakCheck.class)
class PageBatchCodecTest {
    private static final long SEED = 0x5EED_0001L;
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final int PAGE = GuestLayout.PAGE_SIZE_BYTES;

    /** Gfns at the edges of uint64, and small ones. */
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
        ByteBuffer page = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
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

    /** The whole frame with the contents inline, written by the codec. */
    static ByteBuf encodeWithCodec(long requestId, int round, List<Page> pages) {
        PageBatchCodec.Writer w = new PageBatchCodec.Writer(pages.isEmpty() ? PAGE : pages.get(0).contents().length);
        ByteBuf frame = w.begin(ALLOC, requestId, round, pages.size(), true);
        for (int i = 0; i < pages.size(); i++) {
            Page p = pages.get(i);
            w.page(i, p.gfn(), p.crc32c());
            ByteBuffer contents = ByteBuffer.wrap(p.contents());
            w.contents(i, contents);
            assertEquals(0, contents.position(), "contents() leaves the source buffer's position unchanged");
        }
        return w.finish();
    }

    static PageBatch generated(long requestId, int round, List<Page> pages) {
        PageBatch.Builder b = PageBatch.newBuilder().setRequestId(requestId).setPrecopyRound(round);
        ByteString.Output contents = ByteString.newOutput();
        for (Page p : pages) {
            b.addPageGfn(p.gfn()).addPageCrc32C(p.crc32c());
            contents.write(p.contents(), 0, p.contents().length);
        }
        return b.setContents(contents.toByteString()).build();
    }

    static List<Page> fromGenerated(PageBatch batch, int pageSize) {
        List<Page> out = new ArrayList<>();
        for (int i = 0; i < batch.getPageGfnCount(); i++) {
            out.add(new Page(batch.getRequestId(), batch.getPageGfn(i), batch.getPageCrc32C(i),
                    batch.getContents().substring(i * pageSize, (i + 1) * pageSize).toByteArray()));
        }
        return out;
    }

    static PageBatch parseBody(ByteBuf frame) throws InvalidProtocolBufferException {
        return PageBatch.parseFrom(frame.nioBuffer(FrameDescriptor.HEADER_BYTES, frame.readableBytes() - FrameDescriptor.HEADER_BYTES));
    }

    /** Bytes around the body in the test buffer, so the reader must honour index and length. */
    private static final byte[] GUARD = {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x12, 0x7F, 0x08};

    /** Reads {@code body}, placed between guard bytes, with a fresh Reader of {@code pageSize}; checks validate() agrees. */
    static int readAll(byte[] body, CollectingSink sink, int pageSize) {
        ByteBuf buf = ALLOC.buffer(body.length + 2 * GUARD.length);
        try {
            buf.writeBytes(GUARD).writeBytes(body).writeBytes(GUARD);
            PageBatchCodec.Reader reader = new PageBatchCodec.Reader(pageSize);
            int validated = reader.validate(buf, GUARD.length, body.length);
            int read = reader.read(buf, GUARD.length, body.length, sink);
            assertEquals(validated, read, "validate() agrees with read()");
            assertEquals(0, buf.readerIndex(), "the reader does not move the buffer's reader index");
            return read;
        } finally {
            assertTrue(buf.release());
        }
    }

    static int readAll(byte[] body, CollectingSink sink) {
        return readAll(body, sink, PAGE);
    }

    static Arguments[] requestIdsAndPageCounts() {
        long[] requestIds = {0L, 1L, 42L, Long.MAX_VALUE, -1L, Long.MIN_VALUE};
        int[] counts = {0, 1, 64};
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
        ByteBuf frame = encodeWithCodec(requestId, 0, pages);
        try {
            assertEquals(frame.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES, frame.getInt(frame.readerIndex()),
                    "length field counts type and body");
            assertEquals(FrameType.FRAME_TYPE_PAGE_BATCH_VALUE, frame.getUnsignedByte(FrameDescriptor.TYPE_OFFSET));
            PageBatch parsed = parseBody(frame);
            assertEquals(requestId, parsed.getRequestId());
            assertEquals(count, parsed.getPageGfnCount());
            assertEquals(pages, fromGenerated(parsed, PAGE));
        } finally {
            assertTrue(frame.release());
        }
    }

    @ParameterizedTest(name = "requestId={0} pages={1}")
    @MethodSource("requestIdsAndPageCounts")
    void bytesWrittenByGeneratedPageBatchDecodeWithReader(long requestId, int count) {
        List<Page> pages = pages(requestId, count);
        byte[] body = generated(requestId, 0, pages).toByteArray();
        CollectingSink sink = new CollectingSink();
        assertEquals(count, readAll(body, sink));
        assertEquals(pages, sink.pages);
    }

    @ParameterizedTest(name = "requestId={0} pages={1}")
    @MethodSource("requestIdsAndPageCounts")
    void codecWritesTheSameBytesAsTheGeneratedWriter(long requestId, int count) {
        List<Page> pages = pages(requestId, count);
        ByteBuf frame = encodeWithCodec(requestId, 0, pages);
        try {
            byte[] body = new byte[frame.readableBytes() - FrameDescriptor.HEADER_BYTES];
            frame.getBytes(FrameDescriptor.HEADER_BYTES, body);
            assertArrayEquals(generated(requestId, 0, pages).toByteArray(), body);
        } finally {
            assertTrue(frame.release());
        }
    }

    @Test
    void aHeaderFollowedByItsContentsAsSeparateBuffersIsTheSameFrame() {
        // The source's way: the header alone, then the contents as slices of memory of its own.
        List<Page> pages = pages(0, 5);
        PageBatchCodec.Writer w = new PageBatchCodec.Writer();
        ByteBuf header = w.begin(ALLOC, 0, 0, pages.size(), false);
        for (int i = 0; i < pages.size(); i++) w.page(i, pages.get(i).gfn(), pages.get(i).crc32c());
        w.finish();
        ByteBuffer memory = ByteBuffer.allocateDirect(pages.size() * PAGE);
        for (Page p : pages) memory.put(p.contents());
        memory.flip();
        CompositeByteBuf split = ALLOC.compositeDirectBuffer(3);
        split.addComponent(true, header);
        split.addComponent(true, Unpooled.wrappedBuffer(memory.duplicate().limit(2 * PAGE).asReadOnlyBuffer()));
        split.addComponent(true, Unpooled.wrappedBuffer(memory.duplicate().position(2 * PAGE).asReadOnlyBuffer()));
        ByteBuf whole = encodeWithCodec(0, 0, pages);
        try {
            assertEquals(whole, split, "the same bytes as the frame with its contents inline");
            assertEquals(split.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES, split.getInt(0), "the length counts the contents");
            CollectingSink sink = new CollectingSink();
            assertEquals(5, new PageBatchCodec.Reader().read(split, FrameDescriptor.HEADER_BYTES,
                    split.readableBytes() - FrameDescriptor.HEADER_BYTES, sink));
            assertEquals(pages, sink.pages);
        } finally {
            assertTrue(whole.release());
            assertTrue(split.release());
        }
    }

    @Test
    void theChecksumOfAnInlinePageIsTakenFromTheFramesCopy() {
        List<Page> pages = pages(0, 3);
        PageBatchCodec.Writer w = new PageBatchCodec.Writer();
        ByteBuf frame = w.begin(ALLOC, 0, 1, 3, true);
        try {
            CRC32C crc = new CRC32C();
            for (int i = 0; i < 3; i++) {
                w.contents(i, ByteBuffer.wrap(pages.get(i).contents()));
                assertEquals(pages.get(i).crc32c(), w.checksum(i, crc));
            }
            frame.setByte(w.contentsIndex(1) + 17, frame.getByte(w.contentsIndex(1) + 17) ^ 1);
            assertTrue(pages.get(1).crc32c() != w.checksum(1, crc), "a changed copy has another checksum");
        } finally {
            w.abandon();
        }
        assertEquals(0, frame.refCnt(), "abandon releases the frame");
    }

    @Test
    void theWriterRefusesMisuse() {
        PageBatchCodec.Writer w = new PageBatchCodec.Writer();
        assertThrows(IllegalStateException.class, () -> w.page(0, 1, 1), "no frame begun");
        assertThrows(IllegalArgumentException.class, () -> w.begin(ALLOC, 0, -1, 1, true));
        ByteBuf frame = w.begin(ALLOC, 0, 0, 2, true);
        try {
            assertThrows(IllegalStateException.class, () -> w.begin(ALLOC, 0, 0, 1, true), "one frame at a time");
            assertThrows(IndexOutOfBoundsException.class, () -> w.page(2, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> w.contents(0, ByteBuffer.allocate(PAGE - 1)));
        } finally {
            assertTrue(w.finish().release());
            assertEquals(0, frame.refCnt());
        }
    }

    @ParameterizedTest(name = "round={0}")
    @ValueSource(ints = {1, 2, 127, 128, Integer.MAX_VALUE})
    void thePrecopyRoundGoesBothWays(int round) throws Exception {
        List<Page> pages = pages(0, 3);
        ByteBuf frame = encodeWithCodec(0, round, pages);
        try {
            PageBatch parsed = parseBody(frame);
            assertEquals(round, parsed.getPrecopyRound());
            assertEquals(0, parsed.getRequestId());
            assertEquals(pages, fromGenerated(parsed, PAGE));
        } finally {
            assertTrue(frame.release());
        }
        byte[] body = generated(0, round, pages).toByteArray();
        ByteBuf buf = ALLOC.buffer(body.length).writeBytes(body);
        try {
            PageBatchCodec.Reader reader = new PageBatchCodec.Reader();
            CollectingSink sink = new CollectingSink();
            assertEquals(3, reader.read(buf, 0, body.length, sink));
            assertEquals(round, reader.precopyRound());
            assertEquals(pages, sink.pages);
            byte[] plain = generated(0, 0, pages).toByteArray();
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
    }

    @Test
    void aPrecopyRoundBeyondThirtyOneBitsIsRefused() {
        byte[] body = generated(0, -1, pages(0, 1)).toByteArray(); // uint32 max
        assertRefusedByCodec(body, "precopy_round");
        // A 10-byte varint of 2^63 and more reads as a negative long: refused, not cut to an int.
        for (long round : new long[] {Long.MIN_VALUE, -1L, Long.MIN_VALUE + 5}) {
            byte[] wide = concat(new byte[] {0x18}, varint(round), generated(0, 0, pages(0, 1)).toByteArray());
            assertRefusedByCodec(wide, "precopy_round");
        }
    }

    @Test
    void codecFrameDecodesWithReaderAndRespectsAFrameOffset() {
        List<Page> pages = pages(99L, 3);
        ByteBuf frame = encodeWithCodec(99L, 0, pages);
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
        int pages = PageBatchCodec.maxPagesPerFrame(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, PAGE);
        assertTrue(pages >= FrameDescriptor.DEFAULT_PAGES_PER_BATCH, "pages per frame " + pages);
        // Worst case: the request id and the round need their longest varints.
        List<Page> worst = pages(-1L, pages);
        ByteBuf frame = encodeWithCodec(-1L, Integer.MAX_VALUE, worst);
        try {
            int length = frame.getInt(0);
            assertTrue(length <= FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, "frame length " + length);
            assertTrue(frame.readableBytes() <= PageBatchCodec.maxFrameBytes(pages, PAGE), "within maxFrameBytes");
        } finally {
            assertTrue(frame.release());
        }
        List<Page> oneMore = pages(-1L, pages + 1);
        ByteBuf big = encodeWithCodec(-1L, Integer.MAX_VALUE, oneMore);
        try {
            assertTrue(big.getInt(0) > FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, "maxPagesPerFrame is the largest that fits");
        } finally {
            assertTrue(big.release());
        }
    }

    @Test
    void sinkReturningFalseStopsDeliveryAfterThatPage() {
        byte[] body = generated(5L, 0, pages(5L, 4)).toByteArray();
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
    void unknownFieldsAndFieldsInAnotherOrderAreRead() throws Exception {
        List<Page> pages = pages(77L, 3);
        PageBatch g = generated(77L, 0, pages);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(9, 12345L);                                  // unknown varint
        out.writeBytes(6, g.getContents());                          // contents first
        out.writeBytes(10, ByteString.copyFromUtf8("unknown LEN"));  // unknown LEN
        out.writeUInt64(1, 77L);
        out.writeFixed32(11, 7);                                     // unknown fixed32
        out.writeBytes(5, packedFixed32(g.getPageCrc32CList()));
        out.writeFixed64(12, 8L);                                    // unknown fixed64
        out.writeBytes(4, packedFixed64(g.getPageGfnList()));
        out.writeUInt64(1000, Long.MIN_VALUE);                       // unknown, 2-byte tag, 10-byte value
        out.flush();
        byte[] body = bytes.toByteArray();
        assertEquals(pages, fromGenerated(PageBatch.parseFrom(body), PAGE), "the generated parser sees the same pages");
        CollectingSink sink = new CollectingSink();
        assertEquals(3, readAll(body, sink));
        assertEquals(pages, sink.pages);
    }

    @Test
    void lastRequestIdWinsAndAppliesToEveryPage() throws Exception {
        List<Page> pages = pages(0L, 2);
        PageBatch g = generated(0L, 0, pages);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(1, 10L);
        out.writeBytes(4, packedFixed64(g.getPageGfnList()));
        out.writeBytes(5, packedFixed32(g.getPageCrc32CList()));
        out.writeUInt64(1, 11L);
        out.writeBytes(6, g.getContents());
        out.flush();
        byte[] body = bytes.toByteArray();
        assertEquals(11L, PageBatch.parseFrom(body).getRequestId());
        CollectingSink sink = new CollectingSink();
        assertEquals(2, readAll(body, sink));
        assertEquals(11L, sink.pages.get(0).requestId());
        assertEquals(11L, sink.pages.get(1).requestId());
    }

    // ---- malformed bodies: MALFORMED, nothing delivered ----

    /** Both the codec and the generated parser reject {@code body}. */
    static void assertMalformed(byte[] body) {
        assertRefusedByCodec(body, null);
        try {
            PageBatch.parseFrom(body);
            throw new AssertionError("the generated parser accepted a body the codec rejects");
        } catch (InvalidProtocolBufferException expected) {
            // agrees
        }
    }

    /** The codec rejects {@code body} (protobuf may accept it: a layout the codec does not read); its reason names {@code why}. */
    static void assertRefusedByCodec(byte[] body, String why) {
        CollectingSink sink = new CollectingSink();
        int n = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> readAll(body, sink),
                "a malformed body must not make the reader loop");
        assertEquals(PageBatchCodec.MALFORMED, n);
        assertTrue(sink.pages.isEmpty(), "nothing is delivered from a malformed body");
        if (why != null) {
            PageBatchCodec.Reader reader = new PageBatchCodec.Reader();
            assertEquals(PageBatchCodec.MALFORMED, reader.validate(Unpooled.wrappedBuffer(body), 0, body.length));
            assertTrue(reader.malformedReason().contains(why), reader.malformedReason());
        }
    }

    @Test
    void aWellFormedBodyHasNoMalformedReason() {
        byte[] body = generated(1, 0, pages(1, 2)).toByteArray();
        PageBatchCodec.Reader reader = new PageBatchCodec.Reader();
        assertEquals(PageBatchCodec.MALFORMED, reader.validate(Unpooled.wrappedBuffer(new byte[] {0x12, 0x05}), 0, 2));
        assertEquals(2, reader.validate(Unpooled.wrappedBuffer(body), 0, body.length));
        assertNull(reader.malformedReason(), "cleared by the next well-formed body");
    }

    @Test
    void protocolVersionOnesPageDataEntriesAreRefused() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeByteArray(2, new byte[] {0x08, 0x01});
        out.flush();
        assertRefusedByCodec(bytes.toByteArray(), "protocol version 1");
    }

    @Test
    void countsThatDisagreeAreRefused() {
        List<Page> pages = pages(0, 3);
        PageBatch g = generated(0, 0, pages);
        assertRefusedByCodec(g.toBuilder().addPageCrc32C(5).build().toByteArray(), "page_crc32c");
        assertRefusedByCodec(g.toBuilder().addPageGfn(5).build().toByteArray(), "page_crc32c");
        assertRefusedByCodec(g.toBuilder().setContents(g.getContents().substring(1)).build().toByteArray(), "contents holds");
        assertRefusedByCodec(g.toBuilder().setContents(g.getContents().concat(ByteString.copyFrom(new byte[PAGE])))
                .build().toByteArray(), "contents holds");
        assertRefusedByCodec(g.toBuilder().clearContents().build().toByteArray(), "contents holds");
    }

    @Test
    void aPageFieldTwiceOrUnpackedIsRefused() throws IOException {
        PageBatch g = generated(0, 0, pages(0, 2));
        byte[] once = g.toByteArray();
        for (int field : new int[] {4, 5, 6}) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.writeBytes(once);
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.writeBytes(field, ByteString.EMPTY);
            out.flush();
            assertRefusedByCodec(bytes.toByteArray(), "twice");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeFixed64(4, 7L); // an unpacked gfn, which protobuf also accepts
        out.writeFixed32(5, 1);
        out.writeBytes(6, ByteString.copyFrom(new byte[PAGE]));
        out.flush();
        assertEquals(1, PageBatch.parseFrom(bytes.toByteArray()).getPageGfnCount());
        assertRefusedByCodec(bytes.toByteArray(), "unpacked");
    }

    @Test
    void aGfnListNotAWholeNumberOfWordsIsRefusedByBoth() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeBytes(4, ByteString.copyFrom(new byte[12]));
        out.flush();
        assertMalformed(bytes.toByteArray());
    }

    @Test
    void everyTruncationIsRefused() {
        // Small pages so every cut point can be tried: a cut anywhere leaves a field short or the counts unequal.
        int pageSize = 40;
        List<Page> pages = new ArrayList<>();
        for (long gfn : new long[] {300L, Long.MIN_VALUE, 5L}) {
            byte[] contents = new byte[pageSize];
            Arrays.fill(contents, (byte) gfn);
            pages.add(new Page(-1L, gfn, crc32c(contents), contents));
        }
        byte[] whole = generated(-1L, 4, pages).toByteArray();
        CollectingSink all = new CollectingSink();
        assertEquals(3, readAll(whole, all, pageSize));
        assertEquals(pages, all.pages);
        int gfnField = 0;
        while (whole[gfnField] != 0x22) gfnField++; // after the request id's and the round's bytes (none is 0x22)
        for (int cut = 1; cut < whole.length; cut++) {
            byte[] body = Arrays.copyOf(whole, cut);
            int n = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> readAll(body, new CollectingSink(), pageSize));
            // A cut right after the request id or the round leaves a batch of no pages; any later one is refused.
            if (cut == gfnField || cut == gfnField - 2) assertEquals(0, n, "cut at " + cut);
            else assertEquals(PageBatchCodec.MALFORMED, n, "cut at " + cut);
        }
    }

    @Test
    void elevenByteVarintsAreMalformedWhereverTheyAppear() {
        byte[] eleven = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
            (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00};
        assertMalformed(concat(new byte[] {0x08}, eleven)); // as the request id
        assertMalformed(eleven);                             // as a tag
        assertMalformed(concat(new byte[] {0x22}, eleven)); // as page_gfn's length
        assertMalformed(concat(new byte[] {0x32}, eleven)); // as the contents' length
        assertMalformed(concat(new byte[] {0x48}, eleven)); // as an unknown varint field (9)
    }

    @Test
    void negativeLengthsAreMalformedAndDoNotLoop() {
        byte[] minus11 = varint(-11L); // 10 bytes decoding to -11: would point back at its own tag
        assertEquals(10, minus11.length);
        for (byte tag : new byte[] {0x22, 0x2A, 0x32, 0x52}) {
            assertMalformed(concat(new byte[] {tag}, minus11, new byte[16]));
            assertMalformed(concat(new byte[] {tag}, varint(-1L), new byte[16]));
        }
    }

    @Test
    void lengthsOverrunningTheBodyAreMalformed() {
        assertMalformed(new byte[] {0x22, 0x10, 1, 2, 3, 4, 5, 6, 7, 8});
        assertMalformed(new byte[] {0x32, 0x05, 1, 2, 3});
    }

    @Test
    void groupWireTypesAndInvalidWireTypesAreMalformed() {
        assertMalformed(new byte[] {0x0E, 0x00}); // field 1, wire type 6
        assertMalformed(new byte[] {0x0F, 0x00}); // field 1, wire type 7
    }

    @Test
    void fixedFieldsRunningPastTheBodyAreMalformed() {
        assertMalformed(new byte[] {0x3D, 1, 2, 3});             // unknown fixed32 with 3 bytes
        assertMalformed(new byte[] {0x39, 1, 2, 3, 4, 5, 6, 7}); // unknown fixed64 with 7 bytes
    }

    static ByteString packedFixed64(List<Long> values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return ByteString.copyFrom(b.array());
    }

    static ByteString packedFixed32(List<Integer> values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) b.putInt(v);
        return ByteString.copyFrom(b.array());
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
