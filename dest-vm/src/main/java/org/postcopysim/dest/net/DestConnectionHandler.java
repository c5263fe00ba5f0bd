package org.postcopysim.dest.net;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.concurrent.atomic.AtomicLongArray;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.ConnectionError;
import org.postcopysim.protocol.Discard;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.LinkLiveness;
import org.postcopysim.protocol.ReadPauses;
import org.postcopysim.protocol.ResumeAck;
import org.postcopysim.protocol.Switchover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One destination connection (DEMAND or one of the BACKGROUND streams): sends Hello when
 * connected, then hands each frame to the migration. Logic only; decoding of page batches happens
 * in the listener so that it runs allocation-free on this event loop.
 *
 * <p>A BACKGROUND stream whose page frames the listener asks to hold
 * ({@link Listener#holdPagesUntil}: after precopy, a stream that has delivered the discard set
 * while another has not) keeps them, in order, and stops reading the socket until the future
 * completes; it then hands them over and reads again. What is held is bounded by what one read
 * decoded.
 */
public final class DestConnectionHandler extends SimpleChannelInboundHandler<ByteBuf> {
    private static final Logger log = LoggerFactory.getLogger(DestConnectionHandler.class);

    /** What the migration does with this connection's frames. Called on the event loop. */
    public interface Listener {
        void onHandshake(Handshake handshake);

        void onSwitchover(Switchover switchover);

        /**
         * A PAGE_BATCH frame (from its type byte) on DEMAND ({@code stream} -1) or on BACKGROUND
         * stream {@code stream}; returns an error text to stop, or null.
         */
        String onPageBatch(ByteBuf frame, int stream);

        /**
         * Null when BACKGROUND stream {@code stream}'s page frames may be handed over now; else a
         * future that completes when they may (held until then, see the class comment).
         */
        default java.util.concurrent.CompletableFuture<?> holdPagesUntil(int stream) {
            return null;
        }

        void onCompletionResult(CompletionResult result);

        /** A chunk of the discard set on BACKGROUND stream {@code stream}, after precopy; returns an error text to stop, or null. */
        default String onDiscard(Discard discard, int stream) {
            return "unexpected Discard: this destination runs no precopy";
        }

        /** The connection failed or the peer reported an error; the migration cannot go on. */
        void onFailure(ChannelRole role, String why);

        /**
         * The connection of link {@code epoch} dropped (closed, or an I/O error) without either
         * side deciding to close it: the migration may pause and resume (postcopy recovery).
         * By default, a failure.
         */
        default void onLinkDown(int epoch, ChannelRole role, String why) {
            onFailure(role, why);
        }

        /** The source accepted a resume on the DEMAND connection of link {@code epoch}. */
        default void onResumeAck(int epoch, ResumeAck ack) {
            onFailure(ChannelRole.CHANNEL_ROLE_DEMAND, "unexpected ResumeAck");
        }
    }

    private final ChannelRole role;
    /** DEMAND: -1; BACKGROUND: the stream's index. */
    private final int stream;
    private final Hello hello;
    private final Listener listener;
    /** Which link (0 = the first; one more per resume attempt) this connection belongs to. */
    private final int epoch;
    private volatile boolean expectClose;
    /** Why this side closed a connection it considers dropped (the link timeout), or null. Event loop only. */
    private String dropReason;
    /** Page frames held (see the class comment), retained; event loop only. */
    private final java.util.ArrayDeque<ByteBuf> held = new java.util.ArrayDeque<>();
    /** Bytes received per frame type number (whole frames, length field included); written by the event loop only. */
    private final AtomicLongArray bytesReceivedByType = new AtomicLongArray(256);

    public DestConnectionHandler(ChannelRole role, Hello hello, Listener listener) {
        this(role, hello, listener, 0);
    }

    /** A connection of link {@code epoch}: its drop is reported with that number. */
    public DestConnectionHandler(ChannelRole role, Hello hello, Listener listener, int epoch) {
        this.epoch = epoch;
        this.role = role;
        this.stream = role == ChannelRole.CHANNEL_ROLE_DEMAND ? -1 : hello.getStreamIndex();
        this.hello = hello;
        this.listener = listener;
    }

    /** Bytes of the frames of {@code type} received so far on this connection, length fields included. */
    public long bytesReceived(FrameType type) {
        return bytesReceivedByType.getAcquire(type.getNumber());
    }

    public ChannelRole role() {
        return role;
    }

    /** The migration is over: a close from now on is not a failure. */
    public void expectClose() {
        expectClose = true;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Frames.encode(ctx.alloc(), FrameType.FRAME_TYPE_HELLO, hello));
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        FrameType type = Frames.type(frame);
        if (frame.isReadable()) {
            int t = frame.getUnsignedByte(frame.readerIndex());
            long bytes = FrameDescriptor.LENGTH_FIELD_BYTES + frame.readableBytes();
            bytesReceivedByType.setRelease(t, bytesReceivedByType.getPlain(t) + bytes);
        }
        try {
            switch (type) {
                case FRAME_TYPE_KEEPALIVE:
                    break; // counted by LinkLiveness
                case FRAME_TYPE_PAGE_BATCH: {
                    if (holds(ctx)) {
                        held.add(frame.retain());
                        break;
                    }
                    String error = listener.onPageBatch(frame, stream);
                    if (error != null) fail(ctx, error);
                    break;
                }
                case FRAME_TYPE_HANDSHAKE:
                    listener.onHandshake(Frames.parse(Handshake.parser(), frame));
                    break;
                case FRAME_TYPE_SWITCHOVER:
                    listener.onSwitchover(Frames.parse(Switchover.parser(), frame));
                    break;
                case FRAME_TYPE_DISCARD: {
                    String error = role == ChannelRole.CHANNEL_ROLE_BACKGROUND
                            ? listener.onDiscard(Frames.parse(Discard.parser(), frame), stream)
                            : "Discard on the demand connection (it follows the precopy pages on BACKGROUND)";
                    if (error != null) fail(ctx, error);
                    break;
                }
                case FRAME_TYPE_RESUME_ACK:
                    listener.onResumeAck(epoch, Frames.parse(ResumeAck.parser(), frame));
                    break;
                case FRAME_TYPE_COMPLETION_RESULT:
                    listener.onCompletionResult(Frames.parse(CompletionResult.parser(), frame));
                    break;
                case FRAME_TYPE_ERROR: {
                    Error e = Frames.parse(Error.parser(), frame);
                    expectClose = true;
                    listener.onFailure(role, "source reported " + e.getCode() + ": " + e.getText());
                    ctx.close();
                    break;
                }
                default:
                    fail(ctx, "unexpected frame type " + (type == FrameType.UNRECOGNIZED && frame.isReadable()
                            ? Integer.toString(frame.getUnsignedByte(frame.readerIndex())) : type.toString())
                            + " on the " + roleName() + " connection");
            }
        } catch (InvalidProtocolBufferException e) {
            fail(ctx, "malformed " + type + " frame: " + e.getMessage());
        }
    }

    /** Whether this page frame must wait (behind others held, or because the listener says so). */
    private boolean holds(ChannelHandlerContext ctx) {
        if (!held.isEmpty()) return true;
        if (stream < 0) return false;
        java.util.concurrent.CompletableFuture<?> until = listener.holdPagesUntil(stream);
        if (until == null || until.isDone()) return false;
        ReadPauses.pause(ctx.channel());
        until.whenComplete((ok, failed) -> ctx.executor().execute(() -> release(ctx, failed == null)));
        return true;
    }

    /** Hands the held page frames over in order ({@code deliver}) or drops them, and reads again. */
    private void release(ChannelHandlerContext ctx, boolean deliver) {
        while (!held.isEmpty()) {
            ByteBuf frame = held.poll();
            try {
                if (deliver && ctx.channel().isActive()) {
                    String error = listener.onPageBatch(frame, stream);
                    if (error != null) {
                        deliver = false;
                        fail(ctx, error);
                    }
                }
            } finally {
                frame.release();
            }
        }
        ReadPauses.resume(ctx.channel());
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        expectClose = true;
        listener.onFailure(role, why);
        ctx.writeAndFlush(Frames.error(ctx.alloc(), Error.Code.CODE_BAD_FRAME, why))
                .addListener(f -> ctx.close());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
            Throwable c = hs.cause();
            while (c.getCause() != null && c.getCause() != c) c = c.getCause();
            String why = "TLS handshake with the source failed on the " + roleName() + " connection: " + c.getMessage();
            log.error(why);
            expectClose = true;
            listener.onFailure(role, why);
            ctx.close();
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        while (!held.isEmpty()) held.poll().release();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        while (!held.isEmpty()) held.poll().release();
        if (!expectClose) {
            listener.onLinkDown(epoch, role, "the " + roleName() + " connection to the source dropped"
                    + (dropReason == null ? "" : " (" + dropReason + ")"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        switch (ConnectionError.of(cause)) {
            case DROPPED -> {
                // A broken link (a reset, a write to a closed channel, a frame cut short): the close
                // reports the drop, unless the migration closed the connection itself; recovery
                // resends whatever was lost.
                String why = ConnectionError.dropReason(cause);
                if (expectClose) log.debug("{} connection: {}", roleName(), why);
                else log.warn("{} connection: {}", roleName(), why);
                if (cause instanceof LinkLiveness.LinkTimeoutException) dropReason = why;
            }
            case TLS -> {
                if (expectClose) {
                    log.debug("{} connection: {}", roleName(), cause.toString()); // reported by the handshake event
                } else {
                    String why = "TLS failure on the " + roleName() + " connection: "
                            + ConnectionError.tlsFailure(cause).getMessage();
                    log.error(why);
                    expectClose = true;
                    listener.onFailure(role, why);
                }
            }
            case BAD_FRAME, INTERNAL -> {
                String why = cause instanceof io.netty.handler.codec.DecoderException && cause.getMessage() != null
                        ? cause.getMessage() : cause.toString();
                log.error("{} connection: {}", roleName(), why);
                expectClose = true;
                listener.onFailure(role, roleName() + " connection failed: " + why);
            }
        }
        ctx.close();
    }

    private String roleName() {
        return role == ChannelRole.CHANNEL_ROLE_DEMAND ? "demand" : stream == 0 ? "background" : "background stream " + stream;
    }
}
