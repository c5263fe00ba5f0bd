package org.postcopysim.source;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.SocketAddress;
import org.postcopysim.protocol.ConnectionError;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.sched.StreamPriority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every handler of a source connection does, whatever its role: keepalives pass (counted by
 * {@code LinkLiveness}), frames arriving while the connection closes are dropped, a frame the role
 * does not take is answered with an Error and the connection closed ({@link #reject}), an Error
 * from the peer closes it, a failed TLS handshake closes it, and a connection error is classified
 * once ({@link ConnectionError}) for both sides. When the connection closes, the migration it
 * belongs to (if any) is told why, and whether it was a link loss (recovery applies) or a
 * protocol error. The base class releases every frame received.
 *
 * <p>The first handler is {@link HelloHandler}; the Hello decides the role, and the handler
 * replaces itself with that role's ({@link DemandHandler}, {@link ResumeHandler},
 * {@link BackgroundHandler}), as Netty's examples switch protocols. Each runs on its channel's
 * event loop only.
 */
abstract class SourceConnection extends SimpleChannelInboundHandler<ByteBuf> {
    private static final Logger log = LoggerFactory.getLogger(SourceConnection.class);
    /** The pipeline name of whichever role handler is in place. */
    static final String NAME = "connection";

    final SourceContext context;
    /** The migration this connection belongs to, or null (before a Hello is accepted). */
    final Migration migration;
    private String closeReason;
    /** This side closed the connection over a protocol error, or the peer reported one: not a link loss. */
    private boolean closedOnError;
    private boolean closing;

    SourceConnection(SourceContext context, Migration migration) {
        super(ByteBuf.class, true);
        this.context = context;
        this.migration = migration;
    }

    /** The role's name in logs. */
    abstract String role();

    /** What this connection is to its event loop's priority ({@link StreamPriority}); null: neither yet. */
    StreamPriority.Role loopRole() {
        return null;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (loopRole() != null) context.config().streamPriority().enter(loopRole());
    }

    /** Replaced by the next role's handler, or the connection closed: it leaves its event loop. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (loopRole() != null) context.config().streamPriority().leave(loopRole());
    }

    /** A frame other than a keepalive, while the connection is open. */
    abstract void onFrame(ChannelHandlerContext ctx, FrameType type, ByteBuf frame);

    @Override
    protected final void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        FrameType type = Frames.type(frame);
        if (type == FrameType.FRAME_TYPE_KEEPALIVE || closing) return; // keepalives are valid in every role
        onFrame(ctx, type, frame);
    }

    /** Hands the connection to {@code next}, the handler of the role the Hello (or the resume) decided. */
    final void becomes(ChannelHandlerContext ctx, SourceConnection next) {
        ctx.pipeline().replace(this, NAME, next);
    }

    /** The peer's Error frame: logged, and the connection closed. */
    final void onPeerError(ChannelHandlerContext ctx, ByteBuf frame) {
        String text;
        try {
            Error e = Frames.parse(Error.parser(), frame);
            text = e.getCode() + ": " + e.getText();
        } catch (InvalidProtocolBufferException ex) {
            text = "unreadable Error frame (" + ex.getMessage() + ")";
        }
        log.warn("destination {} sent an error on the {} connection, closing it: {}", remote(ctx), role(), text);
        closing("destination reported " + text, true);
        ctx.close();
    }

    /** Logs {@code text}, sends it in an Error of {@code code} and closes the connection. */
    final void reject(ChannelHandlerContext ctx, Error.Code code, String text) {
        log.warn("closing connection from {} ({}): {} {}", remote(ctx), role(), code, text);
        closing("source sent " + code + ": " + text, true);
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(Frames.error(ctx.alloc(), code, text)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    /** A frame this role does not take. */
    final void unexpected(ChannelHandlerContext ctx, FrameType type, ByteBuf frame, String where) {
        reject(ctx, Error.Code.CODE_BAD_FRAME, "unexpected " + name(type, frame) + " " + where);
    }

    private void closing(String reason, boolean onError) {
        closeReason = reason;
        closedOnError = onError;
        closing = true;
    }

    final boolean isClosing() {
        return closing;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
            log.warn("refusing connection from {}: TLS handshake failed (a certificate signed by the trusted CA is "
                    + "required): {}", remote(ctx), describe(hs.cause()));
            closing("TLS handshake failed: " + describe(hs.cause()), false);
            ctx.close();
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (migration != null) migration.onChannelClosed(ctx.channel(), closeReason, !closedOnError);
        log.debug("connection from {} closed", remote(ctx));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        context.metrics().channelErrors.increment();
        if (closing) {
            log.debug("error on closing connection from {}", remote(ctx), cause);
            ctx.close();
            return;
        }
        switch (ConnectionError.of(cause)) {
            case TLS -> {
                String why = describe(ConnectionError.tlsFailure(cause));
                log.warn("connection from {} ({}) failed in TLS: {}", remote(ctx), role(), why);
                closing("TLS failure: " + why, false);
                ctx.close();
            }
            case DROPPED -> {
                // A frame cut short by the link going down too: recovery applies, the peer is not at fault.
                String why = ConnectionError.dropReason(cause);
                log.warn("connection from {} ({}) dropped: {}", remote(ctx), role(), why);
                closing(why, false);
                ctx.close();
            }
            case BAD_FRAME -> reject(ctx, Error.Code.CODE_BAD_FRAME,
                    cause instanceof TooLongFrameException ? cause.getMessage() : "undecodable frame: " + cause.getMessage());
            case INTERNAL -> {
                log.error("unexpected error on connection from {} ({})", remote(ctx), role(), cause);
                reject(ctx, Error.Code.CODE_INTERNAL, "internal error: " + cause);
            }
        }
    }

    /** The innermost message of a TLS failure (the trust manager's reason, not its wrappers). */
    static String describe(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        return c == t ? String.valueOf(t) : t.getClass().getSimpleName() + ": " + c.getMessage();
    }

    static String name(FrameType type, ByteBuf frame) {
        if (!frame.isReadable()) return "an empty frame (length 0, no type byte)";
        return type == FrameType.UNRECOGNIZED ? "unknown frame type " + frame.getUnsignedByte(frame.readerIndex())
                : type.name() + " frame";
    }

    static SocketAddress remote(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress();
    }
}
