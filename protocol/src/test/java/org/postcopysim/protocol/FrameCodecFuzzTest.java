package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the frame decoder and every body codec with arbitrary bytes: {@link FrameDecoder} in an
 * {@link EmbeddedChannel}, then a handler that runs {@link PageBatchCodec.Reader},
 * {@link PageRequestCodec.Decoded} or {@link Frames#parse} on every frame it gets. Holds: nothing
 * is thrown but the decoder's own {@link DecoderException}s (too-long frames) and protobuf's
 * {@link InvalidProtocolBufferException}; no buffer leaks (an instrumented allocator must be back
 * to zero bytes in use after each input); every page handed to a sink lies inside its frame; the
 * allocation-free codecs agree with the generated protobuf parsers whenever both accept a body;
 * and the frames do not depend on how the bytes were split into reads.
 *
 * <p>{@code mvn verify} runs this in Jazzer's regression mode: each file under
 * {@code src/test/resources/org/postcopysim/protocol/FrameCodecFuzzTestInputs/decodesArbitraryBytes/}
 * is one input (raw bytes as they would arrive on a connection), and nothing is fuzzed. To fuzz
 * for real (a crash is written to that directory as a new regression input; commit it with the fix):
 *
 * <pre>
 *   JAZZER_FUZZ=1 mvn -o test -pl protocol -Dtest=FrameCodecFuzzTest -Djazzer.max_duration=5m
 * </pre>
 *
 * ({@code -Djazzer.max_duration} bounds the session; without it {@link FuzzTest#maxDuration} applies.)
 */
@ExtendWith(NettyLeakCheck.class)
class FrameCodecFuzzTest {
    /** The smallest maximum frame a peer may configure: the fuzzer reaches the limit quickly. */
    private static final int MAX_FRAME_BYTES = FrameDescriptor.MIN_MAX_FRAME_BYTES;
    /** Read size of the second, split delivery of each input (bytes). */
    private static final int SPLIT_READ_BYTES = 3;

    @FuzzTest(maxDuration = "5m")
    void decodesArbitraryBytes(FuzzedDataProvider data) {
        byte[] wire = data.consumeRemainingAsBytes();
        List<String> whole = deliver(wire, wire.length);
        List<String> split = deliver(wire, SPLIT_READ_BYTES);
        if (!whole.contains(EXCEPTION) && !split.contains(EXCEPTION)) {
            assertEquals(whole, split, "the frames do not depend on how the bytes were split into reads");
        }
    }

    private static final String EXCEPTION = "<decoder exception>";

    /**
     * Feeds {@code wire} in reads of {@code readBytes}, closes the channel, checks nothing leaked,
     * and returns one line per frame the codecs saw (plus {@link #EXCEPTION} for a decoder error).
     */
    private static List<String> deliver(byte[] wire, int readBytes) {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        FrameChecker checker = new FrameChecker();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast(new FrameDecoder(MAX_FRAME_BYTES), checker);
        int step = Math.max(1, readBytes);
        for (int i = 0; i < wire.length; i += step) {
            ByteBuf read = alloc.heapBuffer(Math.min(step, wire.length - i));
            read.writeBytes(wire, i, Math.min(step, wire.length - i));
            try {
                ch.writeInbound(read);
            } catch (DecoderException expected) {
                checker.seen.add(EXCEPTION);
            }
        }
        try {
            assertFalse(ch.finishAndReleaseAll(), "the checker consumes every frame");
        } catch (DecoderException expected) {
            checker.seen.add(EXCEPTION);
        }
        assertEquals(0, alloc.metric().usedHeapMemory(), "every heap buffer released");
        assertEquals(0, alloc.metric().usedDirectMemory(), "every direct buffer released");
        return checker.seen;
    }

    /** Runs the matching codec on every frame and records what it decoded; releases each frame. */
    private static final class FrameChecker extends SimpleChannelInboundHandler<ByteBuf> {
        final List<String> seen = new ArrayList<>();
        private final PageBatchCodec.Reader batches = new PageBatchCodec.Reader();
        private final PageRequestCodec.Decoded request = new PageRequestCodec.Decoded();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            assertTrue(frame.readableBytes() <= MAX_FRAME_BYTES, "frame within the limit");
            FrameType type = Frames.type(frame);
            if (!frame.isReadable()) {
                // A length field of 0 (no type byte) comes out as an empty frame: unrecognized, never parsed.
                assertEquals(FrameType.UNRECOGNIZED, type);
                seen.add("empty");
                return;
            }
            int body = Frames.bodyIndex(frame);
            int length = Frames.bodyLength(frame);
            switch (type) {
                case FRAME_TYPE_PAGE_BATCH -> seen.add("batch " + pageBatch(frame, body, length));
                case FRAME_TYPE_PAGE_REQUEST -> seen.add("request " + pageRequest(frame, body, length));
                case FRAME_TYPE_HELLO -> seen.add(parse(Hello.parser(), frame));
                case FRAME_TYPE_HANDSHAKE -> seen.add(parse(Handshake.parser(), frame));
                case FRAME_TYPE_SWITCHOVER -> seen.add(parse(Switchover.parser(), frame));
                case FRAME_TYPE_COMPLETION_DIGEST -> seen.add(parse(CompletionDigest.parser(), frame));
                case FRAME_TYPE_COMPLETION_RESULT -> seen.add(parse(CompletionResult.parser(), frame));
                case FRAME_TYPE_ERROR -> seen.add(parse(Error.parser(), frame));
                default -> seen.add("type " + (frame.isReadable() ? frame.getUnsignedByte(frame.readerIndex()) : -1)
                        + ", " + length + " bytes");
            }
        }

        private String pageBatch(ByteBuf frame, int body, int length) {
            int end = body + length;
            StringBuilder pages = new StringBuilder();
            int validated = batches.validate(frame, body, length);
            int delivered = batches.read(frame, body, length, (requestId, gfn, crc32c, buf, index, len) -> {
                assertTrue(buf == frame && index >= body && len >= 0 && index + len <= end,
                        "page contents lie inside the frame body");
                pages.append(' ').append(gfn).append('/').append(crc32c).append('/').append(len);
                return true;
            });
            assertEquals(validated, delivered, "validate and read agree");
            PageBatch parsed = parseOrNull(PageBatch.parser(), frame);
            if (delivered != PageBatchCodec.MALFORMED && parsed != null) {
                assertEquals(parsed.getPageGfnCount(), delivered, "same page count as the generated parser");
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < parsed.getPageGfnCount(); i++) {
                    expected.append(' ').append(parsed.getPageGfn(i)).append('/').append(parsed.getPageCrc32C(i)).append('/')
                            .append(parsed.getContents().size() / parsed.getPageGfnCount());
                }
                assertEquals(expected.toString(), pages.toString(), "same pages as the generated parser");
            }
            return delivered == PageBatchCodec.MALFORMED ? "malformed" : delivered + pages.toString();
        }

        private String pageRequest(ByteBuf frame, int body, int length) {
            if (!request.decode(frame, body, length)) return "rejected";
            assertTrue(request.count >= 0 && request.count <= PageRequestCodec.MAX_GFNS_PER_REQUEST);
            PageRequest parsed = parseOrNull(PageRequest.parser(), frame);
            if (parsed != null) {
                assertEquals(parsed.getRequestId(), request.requestId, "request id as the generated parser");
                assertEquals(parsed.getUrgent(), request.urgent, "urgent as the generated parser");
                assertEquals(parsed.getGfnsCount(), request.count, "gfn count as the generated parser");
                for (int i = 0; i < request.count; i++) assertEquals(parsed.getGfns(i), request.gfns[i]);
            }
            return request.requestId + " " + request.count + " " + request.urgent;
        }

        private static <T> String parse(Parser<T> parser, ByteBuf frame) {
            T message = parseOrNull(parser, frame);
            return message == null ? "invalid " + Frames.type(frame) : Frames.type(frame) + " " + message;
        }

        private static <T> T parseOrNull(Parser<T> parser, ByteBuf frame) {
            try {
                return Frames.parse(parser, frame);
            } catch (InvalidProtocolBufferException expected) {
                return null;
            }
        }
    }
}
