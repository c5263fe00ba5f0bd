package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.PageBatchCodec;
import org.postcopysim.protocol.ProtocolVersion;

/**
 * Fuzzes the source's handshake: arbitrary bytes, as a destination would send them on a fresh
 * connection, into the source's real pipeline ({@link SourceChannelInitializer} on an
 * {@link EmbeddedSocketChannel}) with a 2 MiB guest that requires a token. Holds: nothing is
 * thrown out of the pipeline; a connection whose first frame (keepalives aside) is not a well-formed Hello of this
 * protocol version with the right token gets nothing but at most one Error and is closed (no
 * Handshake, Switchover or page ever reaches an unauthenticated or malformed peer); every page
 * sent lies in the guest and carries its contents' CRC32C; no buffer leaks.
 *
 * <p>{@code mvn verify} replays the inputs under
 * {@code src/test/resources/org/postcopysim/source/HandshakeFuzzTestInputs/answersArbitraryBytes/}
 * (raw bytes of one connection) without fuzzing. To fuzz for real (a crash is written to that
 * directory as a new regression input; commit it with the fix):
 *
 * <pre>
 *   JAZZER_FUZZ=1 mvn -o test -pl source-vm -Dtest=HandshakeFuzzTest -Djazzer.max_duration=5m
 * </pre>
 */
class HandshakeFuzzTest {
    /** The token the fuzzed source requires; the seed inputs present it. */
    static final String TOKEN = "fuzz-token";
    private static final long GUEST_BYTES = 2L << 20;
    private static final int MAX_FRAME_BYTES = FrameDescriptor.DEFAULT_MAX_FRAME_BYTES;

    /** Built once: generating even a small guest maps memory and starts threads. */
    private static SourceGuest guest;
    private static SourceConfig config;
    private static SourceMetrics metrics;

    private static synchronized void setUp() {
        if (guest != null) return;
        config = SourceConfig.builder().guestBytes(GUEST_BYTES).memslots(2).seed(7).token(TOKEN)
                .maxFrameBytes(MAX_FRAME_BYTES).build().validate();
        guest = SourceGuest.generate(GuestLayout.contiguous(config.guestBytes(), config.memslots()), config.seed(), 1);
        metrics = new SourceMetrics(new SimpleMeterRegistry());
    }

    @AfterAll
    static synchronized void tearDown() {
        if (guest != null) guest.close();
        guest = null;
    }

    @FuzzTest(maxDuration = "5m")
    void answersArbitraryBytes(FuzzedDataProvider data) throws Exception {
        setUp();
        byte[] wire = data.consumeRemainingAsBytes();
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        // A fresh migration slot per input: the guest is shared, the migration is not.
        // No recovery wait: a dropped connection ends its migration at once.
        Migrations migrations = new Migrations(guest, metrics, new CompletableFuture<>(), Duration.ZERO,
                config.backgroundOrder());
        EmbeddedSocketChannel ch = new EmbeddedSocketChannel(
                new SourceChannelInitializer(new SourceContext(config, guest, migrations, metrics), null));
        ch.config().setAllocator(alloc);
        ch.register();

        ByteBuf in = alloc.heapBuffer(wire.length).writeBytes(wire);
        try {
            ch.writeInbound(in);
            ch.runPendingTasks();
        } catch (DecoderException e) {
            fail("the source let a decoding error out of its pipeline", e);
        }
        boolean openAfterInput = ch.isOpen();
        List<FrameType> sent = drainOutbound(ch);
        ch.finishAndReleaseAll();
        sent.addAll(drainOutbound(ch));

        FirstFrame first = FirstFrame.of(wire, MAX_FRAME_BYTES);
        if (!first.authenticatedHello) {
            for (FrameType t : sent) {
                assertEquals(FrameType.FRAME_TYPE_ERROR, t, "only an Error to a peer without a valid Hello: " + sent);
            }
            assertTrue(sent.size() <= 1, "at most one Error: " + sent);
            if (first.complete) {
                assertFalse(openAfterInput, "a connection that began with " + first + " is closed");
                assertEquals(1, sent.size(), "it is told why");
            }
        }
        if (!first.complete) assertTrue(sent.isEmpty(), "nothing is sent before a whole first frame: " + sent);
        assertEquals(0, alloc.metric().usedHeapMemory(), "every heap buffer released");
        assertEquals(0, alloc.metric().usedDirectMemory(), "every direct buffer released");
    }

    /** Reads, checks and releases every frame the source wrote; returns their types in order. */
    private static List<FrameType> drainOutbound(EmbeddedSocketChannel ch) {
        List<FrameType> types = new ArrayList<>();
        for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
            try {
                assertEquals(out.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES, out.getInt(out.readerIndex()),
                        "one whole frame per write");
                ByteBuf frame = out.slice(out.readerIndex() + FrameDescriptor.LENGTH_FIELD_BYTES,
                        out.readableBytes() - FrameDescriptor.LENGTH_FIELD_BYTES);
                FrameType type = Frames.type(frame);
                if (type == FrameType.FRAME_TYPE_PAGE_BATCH) checkPages(frame);
                types.add(type);
            } finally {
                out.release();
            }
        }
        return types;
    }

    /** Every page sent is a page of the guest with its contents' CRC32C. */
    private static void checkPages(ByteBuf frame) {
        CRC32C crc = new CRC32C();
        int pages = new PageBatchCodec.Reader().read(frame, Frames.bodyIndex(frame), Frames.bodyLength(frame),
                (requestId, gfn, crc32c, buf, index, length) -> {
                    long pageIndex = guest.layout().pageIndexOfGfn(gfn);
                    assertTrue(pageIndex >= 0 && pageIndex < guest.totalPages(), "gfn " + gfn + " is in the guest");
                    assertEquals(GuestLayout.PAGE_SIZE_BYTES, length);
                    ByteBuffer contents = buf.nioBuffer(index, length);
                    crc.reset();
                    crc.update(contents);
                    assertEquals((int) crc.getValue(), crc32c, "the CRC32C of gfn " + gfn + " matches its contents");
                    assertEquals(guest.crc32c((int) pageIndex), crc32c, "gfn " + gfn + " carries the guest's page");
                    return true;
                });
        // An empty batch is the answer to a request that names no gfn (the source answers every request id).
        assertTrue(pages >= 0, "a page batch the source sends is well formed");
    }

    /** What the first frame of an input is, decided independently of the source's handler. */
    private record FirstFrame(boolean complete, boolean authenticatedHello, String what) {
        /** The first frame that is not a Keepalive (keepalives are valid before Hello, and ignored). */
        static FirstFrame of(byte[] wire, int maxFrameBytes) {
            int at = 0;
            while (true) {
                if (wire.length - at < FrameDescriptor.LENGTH_FIELD_BYTES) return new FirstFrame(false, false, "a partial length");
                long length = ByteBuffer.wrap(wire, at, FrameDescriptor.LENGTH_FIELD_BYTES).getInt() & 0xFFFFFFFFL;
                if (length > maxFrameBytes) return new FirstFrame(true, false, "a too long frame");
                if (wire.length - at - FrameDescriptor.LENGTH_FIELD_BYTES < length) return new FirstFrame(false, false, "a partial frame");
                int type = length == 0 ? -1 : wire[at + FrameDescriptor.LENGTH_FIELD_BYTES] & 0xFF;
                if (type == FrameType.FRAME_TYPE_KEEPALIVE_VALUE) {
                    at += FrameDescriptor.LENGTH_FIELD_BYTES + (int) length;
                    continue;
                }
                if (type != FrameType.FRAME_TYPE_HELLO_VALUE) return new FirstFrame(true, false, "another frame than Hello");
                return hello(wire, at + FrameDescriptor.HEADER_BYTES, (int) length - 1);
            }
        }

        private static FirstFrame hello(byte[] wire, int bodyAt, int bodyLength) {
            try {
                Hello hello = Hello.parseFrom(ByteBuffer.wrap(wire, bodyAt, bodyLength));
                boolean ok = hello.getProtocolVersion() == ProtocolVersion.CURRENT && hello.getToken().equals(TOKEN);
                return new FirstFrame(true, ok, ok ? "a valid Hello" : "a Hello with a wrong version or token");
            } catch (InvalidProtocolBufferException e) {
                return new FirstFrame(true, false, "a malformed Hello");
            }
        }

        @Override
        public String toString() {
            return what;
        }
    }
}
