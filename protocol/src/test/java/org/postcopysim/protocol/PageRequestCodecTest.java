package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(NettyLeakCheck.class)
class PageRequestCodecTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final int MAX = PageRequestCodec.MAX_GFNS_PER_REQUEST;

    /** {@code count} gfns: varints of every length from 1 to 10 bytes, then consecutive ones. */
    static long[] gfns(int count) {
        long[] edge = {0L, 1L, 128L, 1L << 14, 1L << 21, 1L << 28, 1L << 35, 1L << 42, 1L << 49, 1L << 56,
            Long.MAX_VALUE, -1L, Long.MIN_VALUE};
        long[] out = new long[count];
        for (int i = 0; i < count; i++) out[i] = i < edge.length ? edge[i] : 0x10_0000L + i;
        return out;
    }

    static Stream<Arguments> requests() {
        return Stream.of(
                Arguments.of(1L, 0, false),
                Arguments.of(1L, 1, true),
                Arguments.of(42L, 13, true),
                Arguments.of(Long.MAX_VALUE, 100, false),
                Arguments.of(-1L, MAX, true),
                Arguments.of(Long.MIN_VALUE, 3, true),
                Arguments.of(0L, 2, false));
    }

    static PageRequest generated(long requestId, long[] gfns, int count, boolean urgent) {
        PageRequest.Builder b = PageRequest.newBuilder().setRequestId(requestId).setUrgent(urgent);
        for (int i = 0; i < count; i++) b.addGfns(gfns[i]);
        return b.build();
    }

    /** Bytes around the body in the test buffer, so decode must honour index and length. */
    private static final byte[] GUARD = {(byte) 0x80, (byte) 0x80, 0x12, 0x7F, 0x10};

    /** Decodes {@code body}, placed between guard bytes in a pooled buffer, into {@code d}. */
    static boolean decode(PageRequestCodec.Decoded d, byte[] body) {
        ByteBuf buf = ALLOC.buffer(body.length + 2 * GUARD.length);
        try {
            buf.writeBytes(GUARD).writeBytes(body).writeBytes(GUARD);
            boolean ok = assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> d.decode(buf, GUARD.length, body.length), "decoding must not loop");
            assertEquals(0, buf.readerIndex(), "decode does not move the buffer's reader index");
            return ok;
        } finally {
            assertTrue(buf.release());
        }
    }

    static void assertDecoded(PageRequest expected, PageRequestCodec.Decoded d) {
        assertEquals(expected.getRequestId(), d.requestId);
        assertEquals(expected.getUrgent(), d.urgent);
        assertEquals(expected.getGfnsCount(), d.count);
        long[] want = expected.getGfnsList().stream().mapToLong(Long::longValue).toArray();
        assertArrayEquals(want, Arrays.copyOf(d.gfns, d.count));
    }

    @ParameterizedTest(name = "requestId={0} gfns={1} urgent={2}")
    @MethodSource("requests")
    void framesWrittenByCodecParseWithGeneratedPageRequest(long requestId, int count, boolean urgent) throws Exception {
        long[] gfns = gfns(count);
        ByteBuf frame = PageRequestCodec.encode(ALLOC, requestId, gfns, count, urgent);
        try {
            assertEquals(frame.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES, frame.getInt(0));
            assertEquals(FrameType.FRAME_TYPE_PAGE_REQUEST_VALUE, frame.getUnsignedByte(FrameDescriptor.TYPE_OFFSET));
            byte[] body = new byte[frame.readableBytes() - FrameDescriptor.HEADER_BYTES];
            frame.getBytes(FrameDescriptor.HEADER_BYTES, body);
            PageRequest expected = generated(requestId, gfns, count, urgent);
            assertEquals(expected, PageRequest.parseFrom(body));
            assertArrayEquals(expected.toByteArray(), body, "byte-identical to the generated writer (packed gfns)");
        } finally {
            assertTrue(frame.release());
        }
    }

    @ParameterizedTest(name = "requestId={0} gfns={1} urgent={2}")
    @MethodSource("requests")
    void bytesWrittenByGeneratedPageRequestDecode(long requestId, int count, boolean urgent) {
        PageRequest expected = generated(requestId, gfns(count), count, urgent);
        PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
        assertTrue(decode(d, expected.toByteArray()));
        assertDecoded(expected, d);
    }

    static byte[] unpacked(long requestId, long[] gfns, int count, boolean urgent) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(1, requestId);
        for (int i = 0; i < count; i++) out.writeUInt64(2, gfns[i]);
        out.writeBool(3, urgent);
        out.flush();
        return bytes.toByteArray();
    }

    @Test
    void unpackedGfnsDecodeLikeTheGeneratedParserReadsThem() throws Exception {
        long[] gfns = gfns(40);
        byte[] body = unpacked(77L, gfns, 40, true);
        PageRequest parsed = PageRequest.parseFrom(body);
        assertEquals(generated(77L, gfns, 40, true), parsed);
        PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
        assertTrue(decode(d, body));
        assertDecoded(parsed, d);
    }

    @Test
    void packedAndUnpackedRunsOfGfnsConcatenateInOrder() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(2, 1L);
        out.writeUInt64(1, 9L);
        byte[] packed = PageRequest.newBuilder().addGfns(2L).addGfns(-1L).build().toByteArray();
        out.writeRawBytes(packed);
        out.writeUInt64(2, 3L);
        out.writeByteArray(2, new byte[0]); // an empty packed run
        out.writeUInt64(99, 5L);            // unknown field
        out.writeBytes(98, ByteString.copyFromUtf8("unknown"));
        out.writeFixed32(97, 1);
        out.writeFixed64(96, 2L);
        out.flush();
        byte[] body = bytes.toByteArray();
        PageRequest parsed = PageRequest.parseFrom(body);
        assertArrayEquals(new long[] {1L, 2L, -1L, 3L}, parsed.getGfnsList().stream().mapToLong(Long::longValue).toArray());
        PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
        assertTrue(decode(d, body));
        assertDecoded(parsed, d);
    }

    @Test
    void exactlyMaxGfnsDecodePackedAndUnpacked() throws Exception {
        long[] gfns = gfns(MAX);
        PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
        assertTrue(decode(d, generated(5L, gfns, MAX, true).toByteArray()));
        assertEquals(MAX, d.count);
        assertTrue(decode(d, unpacked(5L, gfns, MAX, true)));
        assertEquals(MAX, d.count);
        assertArrayEquals(gfns, d.gfns);
    }

    @Test
    void oneGfnMoreThanMaxFailsPackedAndUnpacked() throws Exception {
        long[] gfns = gfns(MAX + 1);
        PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
        assertFalse(decode(d, generated(5L, gfns, MAX + 1, true).toByteArray()));
        assertFalse(decode(d, unpacked(5L, gfns, MAX + 1, true)));
        // MAX packed plus one unpacked
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(generated(5L, gfns, MAX, true).toByteArray());
        bytes.writeBytes(new byte[] {0x10, 0x07});
        assertFalse(decode(d, bytes.toByteArray()));
    }

    @ParameterizedTest(name = "requestId={0} gfn={1} urgent={2}")
    @MethodSource("singles")
    void singleGfnFramesMatchTheGeneratedWriterAndDecode(long requestId, long gfn, boolean urgent) throws Exception {
        ByteBuf frame = PageRequestCodec.encodeSingle(ALLOC, requestId, gfn, urgent);
        try {
            assertEquals(frame.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES, frame.getInt(0));
            assertEquals(FrameType.FRAME_TYPE_PAGE_REQUEST_VALUE, frame.getUnsignedByte(FrameDescriptor.TYPE_OFFSET));
            byte[] body = new byte[frame.readableBytes() - FrameDescriptor.HEADER_BYTES];
            frame.getBytes(FrameDescriptor.HEADER_BYTES, body);
            PageRequest expected = generated(requestId, new long[] {gfn}, 1, urgent);
            assertEquals(expected, PageRequest.parseFrom(body));
            assertArrayEquals(expected.toByteArray(), body);
            PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
            assertTrue(decode(d, body));
            assertDecoded(expected, d);
        } finally {
            assertTrue(frame.release());
        }
    }

    static Stream<Arguments> singles() {
        return Stream.of(
                Arguments.of(1L, 0L, true),
                Arguments.of(2L, 127L, false),
                Arguments.of(Long.MAX_VALUE, 1L << 40, true),
                Arguments.of(-1L, -1L, true),
                Arguments.of(Long.MIN_VALUE, Long.MIN_VALUE, false),
                Arguments.of(0L, 5L, false));
    }

    @Test
    void encodeRejectsMoreThanMaxGfnsAndNegativeCounts() {
        long[] gfns = gfns(MAX + 1);
        assertThrows(IllegalArgumentException.class, () -> PageRequestCodec.encode(ALLOC, 1L, gfns, MAX + 1, true));
        assertThrows(IllegalArgumentException.class, () -> PageRequestCodec.encode(ALLOC, 1L, gfns, -1, true));
    }

    @Test
    void decodedObjectIsResetBetweenFrames() {
        PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
        assertTrue(decode(d, generated(9L, gfns(5), 5, true).toByteArray()));
        assertEquals(5, d.count);
        assertTrue(decode(d, new byte[0]));
        assertEquals(0L, d.requestId);
        assertFalse(d.urgent);
        assertEquals(0, d.count);
    }

    @Test
    void codecFrameDecodesAfterTheLengthFieldIsStripped() {
        long[] gfns = gfns(20);
        ByteBuf frame = PageRequestCodec.encode(ALLOC, 31L, gfns, 20, true);
        try {
            frame.skipBytes(FrameDescriptor.LENGTH_FIELD_BYTES);
            assertEquals(FrameType.FRAME_TYPE_PAGE_REQUEST, Frames.type(frame));
            PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
            assertTrue(d.decode(frame, Frames.bodyIndex(frame), Frames.bodyLength(frame)));
            assertDecoded(generated(31L, gfns, 20, true), d);
        } finally {
            assertTrue(frame.release());
        }
    }

    // ---- malformed ----

    static void assertMalformed(byte[] body) {
        assertFalse(decode(new PageRequestCodec.Decoded(), body), "decode rejects " + Arrays.toString(body));
        try {
            PageRequest.parseFrom(body);
            throw new AssertionError("the generated parser accepted a body the codec rejects");
        } catch (InvalidProtocolBufferException expected) {
            // agrees
        }
    }

    @Test
    void everyTruncationAgreesWithGeneratedParser() throws Exception {
        byte[] whole = generated(-1L, gfns(13), 13, true).toByteArray();
        for (int cut = 0; cut < whole.length; cut++) {
            byte[] body = Arrays.copyOf(whole, cut);
            PageRequest parsed;
            try {
                parsed = PageRequest.parseFrom(body);
            } catch (InvalidProtocolBufferException e) {
                assertMalformed(body);
                continue;
            }
            PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
            assertTrue(decode(d, body), "cut at " + cut);
            assertDecoded(parsed, d);
        }
    }

    @Test
    void elevenByteVarintsAreMalformed() {
        byte[] eleven = new byte[11];
        Arrays.fill(eleven, 0, 10, (byte) 0x80);
        assertMalformed(PageBatchCodecTest.concat(new byte[] {0x08}, eleven));       // request id
        assertMalformed(PageBatchCodecTest.concat(new byte[] {0x10}, eleven));       // unpacked gfn
        assertMalformed(PageBatchCodecTest.concat(new byte[] {0x12, 11}, eleven));   // packed gfn
        assertMalformed(PageBatchCodecTest.concat(new byte[] {0x18}, eleven));       // urgent
        assertMalformed(eleven);                                                     // tag
    }

    @Test
    void packedLengthOverrunningTheBodyIsMalformed() {
        assertMalformed(new byte[] {0x12, 0x03, 0x01, 0x02});
    }

    @Test
    void varintRunningPastThePackedRunIsMalformed() {
        // The packed run is 1 byte long but its varint continues into the next byte.
        assertMalformed(new byte[] {0x12, 0x01, (byte) 0x81, 0x01});
    }

    @Test
    void negativePackedLengthIsMalformedAndDoesNotLoop() {
        // tag + 10-byte length -11: pointing back at its own tag.
        assertMalformed(PageBatchCodecTest.concat(new byte[] {0x12}, PageBatchCodecTest.varint(-11L), new byte[4]));
        assertMalformed(PageBatchCodecTest.concat(new byte[] {0x12}, PageBatchCodecTest.varint(-1L), new byte[4]));
    }

    @Test
    void requestIdAndGfnOfTwoToTheSixtyThirdRoundTrip() {
        PageRequest expected = generated(Long.MIN_VALUE, new long[] {Long.MIN_VALUE}, 1, true);
        PageRequestCodec.Decoded d = new PageRequestCodec.Decoded();
        assertTrue(decode(d, expected.toByteArray()));
        assertDecoded(expected, d);
    }
}
