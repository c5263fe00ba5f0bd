package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.PageRequestCodec;

/**
 * The source's real pipeline ({@link SourceChannelInitializer}) on {@link EmbeddedSocketChannel}s
 * that share one mock clock: nothing the source schedules (the Hello timeout, the link timeout and
 * keepalives, the recovery deadline, the bandwidth cap's continuations) happens until the test
 * moves that clock with {@link #advanceMs}. No socket, no thread, no real time.
 */
final class EmbeddedSource implements AutoCloseable {
    /** One frame the source wrote: its type and a heap copy of its body. */
    record Out(FrameType type, byte[] body, int wireBytes) {
        <T> T parse(Parser<T> parser) {
            try {
                return parser.parseFrom(body);
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("malformed " + type + " body", e);
            }
        }
    }

    final SourceConfig config;
    final SourceGuest guest;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final SourceMetrics metrics = new SourceMetrics(registry);
    final CompletableFuture<SourceResult> completion = new CompletableFuture<>();
    final Migrations migrations;
    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
    private final List<EmbeddedSocketChannel> channels = new ArrayList<>();
    /** Every connection's event loop reads this clock; it moves only when the test moves it. */
    private final MockTicker ticker = Ticker.newMockTicker();

    /** The negative control's broken source: each BACKGROUND stream gets the whole cap. */
    private boolean capPerStreamBug;

    EmbeddedSource(SourceConfig config) {
        this.config = config.validate();
        this.guest = SourceGuest.generate(config.layout(), config.seed(), 1);
        this.migrations = new Migrations(guest, metrics, completion, config.reliability().recoveryDeadline(),
                config.backgroundOrder());
    }

    /** From now on, connections are those of the broken source that gives each stream the whole cap. */
    EmbeddedSource withCapPerStreamBug() {
        capPerStreamBug = true;
        return this;
    }

    /** A new connection from a destination, accepted now. */
    EmbeddedSocketChannel connect() {
        SourceContext context = new SourceContext(config, guest, migrations, metrics);
        EmbeddedSocketChannel ch = new EmbeddedSocketChannel(ticker,
                new SourceChannelInitializer(capPerStreamBug ? context.withCapPerStreamBug() : context, null));
        ch.config().setAllocator(alloc);
        channels.add(ch);
        try {
            ch.register();
        } catch (Exception e) {
            throw new AssertionError("cannot register the connection", e);
        }
        runPending();
        return ch;
    }

    /** Sends a control message on {@code ch} as the destination would. */
    void send(EmbeddedSocketChannel ch, FrameType type, MessageLite message) {
        ch.writeInbound(Frames.encode(alloc, type, message));
        runPending();
    }

    void sendRaw(EmbeddedSocketChannel ch, ByteBuf bytes) {
        ch.writeInbound(bytes);
        runPending();
    }

    void sendRequest(EmbeddedSocketChannel ch, long requestId, long... gfns) {
        sendRaw(ch, PageRequestCodec.encode(alloc, requestId, gfns, gfns.length, true));
    }

    /**
     * Moves every connection's clock by {@code ms}, a millisecond at a time, running what comes due
     * at each step on every connection: timers run when they are due, not late (a late tick is
     * what a stalled process sees, which {@code LinkLiveness} treats on purpose).
     */
    void advanceMs(long ms) {
        for (long i = 0; i < ms; i++) {
            ticker.advance(1, TimeUnit.MILLISECONDS);
            runPending();
        }
    }

    /** Runs queued and due tasks on every connection until none is left (tasks may queue tasks elsewhere). */
    void runPending() {
        for (int round = 0; round < 100; round++) {
            boolean any = false;
            for (EmbeddedSocketChannel ch : channels) {
                ch.runPendingTasks(); // also runs the scheduled tasks that are due
                any |= ch.hasPendingTasks();
            }
            if (!any) return;
        }
    }

    /** Every frame the source wrote on {@code ch} since the last call, keepalives included. */
    List<Out> written(EmbeddedSocketChannel ch) {
        runPending();
        List<Out> out = new ArrayList<>();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            try {
                int wire = b.readableBytes();
                assertEquals(wire - FrameDescriptor.LENGTH_FIELD_BYTES, b.getInt(b.readerIndex()), "one whole frame per write");
                ByteBuf frame = b.slice(b.readerIndex() + FrameDescriptor.LENGTH_FIELD_BYTES, wire - FrameDescriptor.LENGTH_FIELD_BYTES);
                out.add(new Out(Frames.type(frame), ByteBufUtil.getBytes(frame, Frames.bodyIndex(frame), Frames.bodyLength(frame)),
                        wire));
            } finally {
                b.release();
            }
        }
        return out;
    }

    /** The frames of {@code type} among {@link #written}. */
    List<Out> written(EmbeddedSocketChannel ch, FrameType type) {
        List<Out> all = written(ch);
        all.removeIf(o -> o.type() != type);
        return all;
    }

    @Override
    public void close() {
        for (EmbeddedSocketChannel ch : channels) {
            ch.close();
            ch.finishAndReleaseAll();
        }
        guest.close();
    }
}
