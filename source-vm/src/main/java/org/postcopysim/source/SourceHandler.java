package org.postcopysim.source;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionDigest;
import org.postcopysim.protocol.ConnectionError;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.PagesHeld;
import org.postcopysim.protocol.PagesHeldChunks;
import org.postcopysim.protocol.ResumeAck;
import org.postcopysim.protocol.ProtocolVersion;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.StreamCount;
import org.postcopysim.guest.Workload;
import org.postcopysim.text.Plural;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection from a destination. The first frame must be Hello; it makes the connection
 * the migration's DEMAND connection (answered with Handshake and Switchover; then page requests
 * and the completion digest) or its BACKGROUND connection (the bulk page stream). Anything
 * else, out of order or malformed, is answered with an Error and the connection is closed; the
 * server keeps listening. The base class releases every received frame.
 */
final class SourceHandler extends SimpleChannelInboundHandler<ByteBuf> {
    private static final Logger log = LoggerFactory.getLogger(SourceHandler.class);

    /** RESUMING: a DEMAND connection resuming a paused migration, receiving PagesHeld until ResumeAck. */
    private enum Role { AWAITING_HELLO, DEMAND, RESUMING, BACKGROUND, CLOSING }

    private final SourceContext context;
    private Role role = Role.AWAITING_HELLO;
    private Migration migration;
    private DemandResponder demand;
    private DigestVerifier digest;
    private BackgroundStreamer background;
    private String closeReason;
    /** This side closed the connection over a protocol error, or the peer reported one: not a link loss. */
    private boolean closedOnError;
    /** RESUMING: the pages the destination holds (PagesHeld, merged); null once the last chunk arrived. */
    private long[] held;
    /** RESUMING: connections of the old link, closing. */
    private List<ChannelFuture> oldLinkCloses;
    /** Counted by {@link Admission} as awaiting its Hello. Event loop only. */
    private boolean awaitingHello;
    /** Closes the connection if no Hello came in time; cancelled once it is no longer awaited. */
    private io.netty.util.concurrent.ScheduledFuture<?> helloTimer;

    SourceHandler(SourceContext context) {
        super(ByteBuf.class, true);
        this.context = context;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        FrameType type = Frames.type(frame);
        if (type == FrameType.FRAME_TYPE_KEEPALIVE) return; // counted by LinkLiveness; valid in every state
        try {
            dispatch(ctx, type, frame);
        } finally {
            if (role != Role.AWAITING_HELLO) leaveAwaitingHello(ctx);
        }
    }

    private void dispatch(ChannelHandlerContext ctx, FrameType type, ByteBuf frame) {
        switch (role) {
            case AWAITING_HELLO -> {
                if (type == FrameType.FRAME_TYPE_HELLO) onHello(ctx, frame);
                else reject(ctx, Error.Code.CODE_BAD_FRAME, "expected Hello as the first frame, got " + name(type, frame));
            }
            case DEMAND -> {
                switch (type) {
                    case FRAME_TYPE_PAGE_REQUEST -> onPageRequest(ctx, frame);
                    case FRAME_TYPE_COMPLETION_DIGEST -> onDigest(ctx, frame);
                    case FRAME_TYPE_ERROR -> onPeerError(ctx, frame);
                    default -> reject(ctx, Error.Code.CODE_BAD_FRAME, "unexpected " + name(type, frame) + " on the DEMAND connection");
                }
            }
            case RESUMING -> {
                if (type == FrameType.FRAME_TYPE_PAGES_HELD && held != null) onPagesHeld(ctx, frame);
                else if (type == FrameType.FRAME_TYPE_ERROR) onPeerError(ctx, frame);
                else reject(ctx, Error.Code.CODE_BAD_FRAME, "unexpected " + name(type, frame)
                        + " on a resuming DEMAND connection (PagesHeld until ResumeAck)");
            }
            case BACKGROUND -> {
                if (type == FrameType.FRAME_TYPE_ERROR) onPeerError(ctx, frame);
                else reject(ctx, Error.Code.CODE_BAD_FRAME, "unexpected " + name(type, frame) + " on the BACKGROUND connection");
            }
            case CLOSING -> { } // dropped: the connection is being closed
        }
    }

    private void onHello(ChannelHandlerContext ctx, ByteBuf frame) {
        Hello hello;
        try {
            hello = Frames.parse(Hello.parser(), frame);
        } catch (InvalidProtocolBufferException e) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, "malformed Hello: " + e.getMessage());
            return;
        }
        if (hello.getProtocolVersion() != SourceVm.PROTOCOL_VERSION) {
            reject(ctx, Error.Code.CODE_VERSION_MISMATCH,
                    ProtocolVersion.mismatch(SourceVm.PROTOCOL_VERSION, hello.getProtocolVersion()));
            return;
        }
        if (!tokenAccepted(hello.getToken())) {
            reject(ctx, Error.Code.CODE_UNAUTHORIZED, "missing or wrong migration token");
            return;
        }
        switch (hello.getRole()) {
            case CHANNEL_ROLE_DEMAND -> onDemandHello(ctx, hello);
            case CHANNEL_ROLE_BACKGROUND -> onBackgroundHello(ctx, hello);
            default -> reject(ctx, Error.Code.CODE_BAD_FRAME, "Hello names no channel role (" + hello.getRoleValue() + ")");
        }
    }

    private boolean tokenAccepted(String presented) {
        if (!context.config().requiresToken()) return true;
        return MessageDigest.isEqual(context.config().token().getBytes(StandardCharsets.UTF_8),
                presented.getBytes(StandardCharsets.UTF_8));
    }

    private void onDemandHello(ChannelHandlerContext ctx, Hello hello) {
        if (hello.getResume()) {
            onResumeHello(ctx, hello);
            return;
        }
        if (!hello.getMigrationId().isEmpty()) {
            reject(ctx, Error.Code.CODE_UNKNOWN_MIGRATION, "unknown migration id '" + hello.getMigrationId()
                    + "' (a DEMAND Hello starts a new migration and names none)");
            return;
        }
        if (hello.getVcpus() == 0 || Integer.compareUnsigned(hello.getVcpus(), SwitchoverFrames.MAX_VCPUS) > 0) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, "Hello asks for " + Integer.toUnsignedString(hello.getVcpus())
                    + " vCPUs, 1.." + SwitchoverFrames.MAX_VCPUS + " supported");
            return;
        }
        int streams = StreamCount.ofHello(hello);
        try {
            StreamCount.check(streams);
        } catch (IllegalArgumentException e) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, "Hello asks for " + Integer.toUnsignedString(hello.getStreams())
                    + " BACKGROUND streams, 1.." + StreamCount.MAX + " supported");
            return;
        }
        boolean precopy = context.config().precopy().enabled();
        Workload workload = null;
        if (precopy) {
            try {
                workload = workloadOf(hello);
            } catch (IllegalArgumentException e) {
                reject(ctx, Error.Code.CODE_BAD_FRAME, e.getMessage());
                return;
            }
        }
        long stopNs = System.nanoTime();
        Migration m = context.migrations().tryStart(ctx.channel(), stopNs);
        if (m == null) {
            Migration other = context.migrations().current();
            reject(ctx, Error.Code.CODE_UNKNOWN_MIGRATION, "this source already runs migration "
                    + (other == null ? "?" : other.id()) + "; only one migration at a time");
            return;
        }
        migration = m;
        role = Role.DEMAND;
        m.attachStreams(new BackgroundStreams(m, streams, context.config().pagesPerBatch(),
                context.config().maxBackgroundBytesPerSec(), context.capPerStreamBug()));
        SourceGuest guest = context.guest();
        demand = new DemandResponder(guest, m, context.config().maxPagesPerFrame());
        digest = new DigestVerifier(guest, precopy);
        ctx.write(Frames.encode(ctx.alloc(), FrameType.FRAME_TYPE_HANDSHAKE,
                SwitchoverFrames.handshake(SourceVm.PROTOCOL_VERSION, m.id(), guest.layout(), guest.seed()).toBuilder()
                        .setPrecopy(precopy).build()));
        if (precopy) {
            // The guest keeps running here; Switchover follows the precopy rounds (Precopy).
            Precopy p = new Precopy(m.id(), guest, context.config().precopy(), m.policy(), hello.getVcpus(), workload,
                    hello.getWorkload().getAccessesPerSec(), hello.getWorkload().getSeed(), org.postcopysim.time.NanoClock.SYSTEM,
                    m::fail);
            m.attachPrecopy(p);
            p.startGuest();
            ctx.flush();
        } else {
            ctx.writeAndFlush(Frames.encode(ctx.alloc(), FrameType.FRAME_TYPE_SWITCHOVER,
                    SwitchoverFrames.switchover(guest.seed(), hello.getVcpus(), System.nanoTime() - stopNs)));
        }
        log.info("migration {} started: DEMAND connection from {}, {}, {} pages in {}, {}{}",
                m.id(), remote(ctx), Plural.of(hello.getVcpus(), "vCPU"), guest.totalPages(),
                Plural.of(streams, "BACKGROUND stream"),
                Plural.of(guest.layout().slotCount(), "memslot"),
                precopy ? "; precopy (" + context.config().precopy() + ") with the guest running " + workload : "");
    }

    /** The guest's workload a precopy Hello names, or IllegalArgumentException saying what is wrong with it. */
    private static Workload workloadOf(Hello hello) {
        if (!hello.hasWorkload()) {
            throw new IllegalArgumentException("this source runs precopy, so the guest runs here first, but the Hello names "
                    + "no workload for its vCPUs");
        }
        try {
            return Workload.parse(hello.getWorkload().getPattern(), hello.getWorkload().getWriteFraction());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the Hello's workload is invalid: " + e.getMessage(), e);
        }
    }

    /** Hello(DEMAND, id, resume): only the right migration id may take over a paused (or presumed dead) migration. */
    private void onResumeHello(ChannelHandlerContext ctx, Hello hello) {
        Migration m = context.migrations().find(hello.getMigrationId());
        if (m == null) {
            reject(ctx, Error.Code.CODE_UNKNOWN_MIGRATION, "cannot resume unknown migration id '" + hello.getMigrationId() + "'");
            return;
        }
        List<ChannelFuture> closes = m.beginResume(ctx.channel());
        if (closes == null) {
            reject(ctx, Error.Code.CODE_UNKNOWN_MIGRATION, "cannot resume migration " + m.id() + ": it has ended");
            return;
        }
        migration = m;
        role = Role.RESUMING;
        oldLinkCloses = closes;
        held = new long[PagesHeldChunks.wordsFor(context.guest().totalPages())];
        demand = new DemandResponder(context.guest(), m, context.config().maxPagesPerFrame());
        digest = new DigestVerifier(context.guest(), m.precopy() != null);
        log.info("migration {}: DEMAND connection from {} resumes it; awaiting the pages it holds", m.id(), remote(ctx));
    }

    private void onPagesHeld(ChannelHandlerContext ctx, ByteBuf frame) {
        PagesHeld chunk;
        try {
            chunk = Frames.parse(PagesHeld.parser(), frame);
        } catch (InvalidProtocolBufferException e) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, "malformed PagesHeld: " + e.getMessage());
            return;
        }
        String malformed = PagesHeldChunks.merge(chunk, held, context.guest().totalPages());
        if (malformed != null) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, malformed);
            return;
        }
        if (!chunk.getLast()) return;
        long[] heldWords = held;
        held = null; // nothing more is accepted until the ack
        // The old link's streamer and responder run on their own event loops and stop once their
        // channels are closed; only then may pages be marked unsent (never claimed for a dead link).
        Runnable complete = () -> {
            if (role != Role.RESUMING || !ctx.channel().isActive()) return;
            long toResend = migration.completeResume(ctx.channel(), heldWords);
            if (toResend < 0) {
                reject(ctx, Error.Code.CODE_UNKNOWN_MIGRATION, "migration " + migration.id()
                        + " was taken over or ended while resuming");
                return;
            }
            role = Role.DEMAND;
            ctx.writeAndFlush(Frames.encode(ctx.alloc(), FrameType.FRAME_TYPE_RESUME_ACK,
                    ResumeAck.newBuilder().setPagesToResend(toResend).build()));
        };
        AtomicInteger pending = new AtomicInteger(oldLinkCloses.size() + 1);
        Runnable oneClosed = () -> {
            if (pending.decrementAndGet() == 0) ctx.executor().execute(complete);
        };
        for (ChannelFuture f : oldLinkCloses) f.channel().closeFuture().addListener(x -> oneClosed.run());
        oldLinkCloses = null;
        oneClosed.run();
    }

    private void onBackgroundHello(ChannelHandlerContext ctx, Hello hello) {
        Migration m = context.migrations().find(hello.getMigrationId());
        if (m == null) {
            reject(ctx, Error.Code.CODE_UNKNOWN_MIGRATION, "unknown migration id '" + hello.getMigrationId() + "'");
            return;
        }
        if (m.isEnded()) {
            reject(ctx, Error.Code.CODE_UNKNOWN_MIGRATION, "migration " + m.id() + " has ended");
            return;
        }
        SourceConfig config = context.config();
        BackgroundStreamer streamer = new BackgroundStreamer(ctx.channel(), context.guest(), m, m.streams(),
                config.pagesPerBatch());
        String refused = m.attachBackground(hello.getStreamIndex(), streamer, ctx.executor().ticker().nanoTime());
        if (refused != null) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, refused);
            return;
        }
        migration = m;
        role = Role.BACKGROUND;
        background = streamer;
        int streams = m.streams().count();
        log.info("migration {}: BACKGROUND stream {} of {} from {}, {} pages to stream, {}{}", m.id(),
                Integer.toUnsignedString(hello.getStreamIndex()), streams, remote(ctx), m.sent().unsent(),
                config.maxBackgroundBytesPerSec() == 0 ? "uncapped"
                        : "capped at " + config.maxBackgroundBytesPerSec() + " bytes/s" + (streams > 1 ? " over all streams" : ""),
                m.streams().attached() < streams ? "; streaming starts once all " + streams + " are here" : "");
    }

    private void onPageRequest(ChannelHandlerContext ctx, ByteBuf frame) {
        if (migration.inPrecopy()) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, "PAGE_REQUEST during precopy: the guest runs on the source until the Switchover");
            return;
        }
        DemandResponder.Rejection r = demand.answer(ctx.channel(), frame);
        if (r != null) reject(ctx, r.code(), r.text());
        else pauseReadingIfUnwritable(ctx.channel());
    }

    /**
     * Backpressure: once the answers queued in Netty pass the high water mark, stop reading
     * requests (frames already decoded wait in the pipeline's FlowControlHandler) until the
     * connection drains below the low water mark. A destination that requests faster than it
     * reads is held to its own pace, and the source's memory for it stays bounded by the high
     * water mark plus one request's answer.
     */
    private void pauseReadingIfUnwritable(Channel ch) {
        ChannelOutboundBuffer queued = ch.unsafe().outboundBuffer();
        if (queued != null) context.metrics().demandOutboundPeakBytes.accumulateAndGet(queued.totalPendingWriteBytes(), Math::max);
        if (!ch.isWritable() && ch.config().isAutoRead()) {
            ch.config().setAutoRead(false);
            context.metrics().demandReadsPaused.increment();
            log.debug("migration {}: DEMAND connection from {} reads faster than it drains; pausing reads", migration.id(),
                    ch.remoteAddress());
        }
    }

    private void onDigest(ChannelHandlerContext ctx, ByteBuf frame) {
        CompletionDigest chunk;
        try {
            chunk = Frames.parse(CompletionDigest.parser(), frame);
        } catch (InvalidProtocolBufferException e) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, "malformed CompletionDigest: " + e.getMessage());
            return;
        }
        if (migration.isEnded()) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, "CompletionDigest after migration " + migration.id() + " ended");
            return;
        }
        String malformed = digest.accept(chunk);
        if (malformed != null) {
            reject(ctx, Error.Code.CODE_BAD_FRAME, malformed);
            return;
        }
        if (!chunk.getLast()) return;
        long unsent = migration.sent().unsent();
        if (unsent > 0) { // a destination cannot hold a page this source never sent (or sent again: precopy's discard)
            long differ = digest.verdict().pageMismatches();
            reject(ctx, Error.Code.CODE_BAD_FRAME, "final CompletionDigest while " + unsent + " of "
                    + context.guest().totalPages() + " pages were never sent" + (differ == 0 ? ""
                    : " (" + Plural.of(differ, "page") + " of the digest differ from the source's)"));
            return;
        }
        DigestVerifier.Verdict verdict = digest.verdict();
        if (chunk.getPagesPresent() != verdict.pagesTotal()) {
            log.warn("migration {}: destination reports {} pages present of {}", migration.id(),
                    Long.toUnsignedString(chunk.getPagesPresent()), verdict.pagesTotal());
        }
        Migration m = migration;
        ctx.writeAndFlush(Frames.encode(ctx.alloc(), FrameType.FRAME_TYPE_COMPLETION_RESULT,
                        verdict.toMessage(m.policy().order(), m.pagesFetchedOnDemand())))
                .addListener((ChannelFutureListener) f ->
                        m.finish(verdict, f.isSuccess() ? null : String.valueOf(f.cause())));
    }

    private void onPeerError(ChannelHandlerContext ctx, ByteBuf frame) {
        String text;
        try {
            Error e = Frames.parse(Error.parser(), frame);
            text = e.getCode() + ": " + e.getText();
        } catch (InvalidProtocolBufferException ex) {
            text = "unreadable Error frame (" + ex.getMessage() + ")";
        }
        log.warn("destination {} sent an error on the {} connection, closing it: {}", remote(ctx), role, text);
        closeReason = "destination reported " + text;
        closedOnError = true;
        role = Role.CLOSING;
        ctx.close();
    }

    /** Logs {@code text}, sends it in an Error of {@code code} and closes the connection. */
    private void reject(ChannelHandlerContext ctx, Error.Code code, String text) {
        log.warn("closing connection from {} ({}): {} {}", remote(ctx), role, code, text);
        closeReason = "source sent " + code + ": " + text;
        closedOnError = true;
        role = Role.CLOSING;
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(Frames.error(ctx.alloc(), code, text)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    /**
     * A connection must present its Hello within the link timeout (the default one when the check
     * is off), so that a peer that connects and says nothing, or only keepalives, cannot hold it;
     * and at most {@link Admission#MAX_AWAITING_HELLO} may wait at once (the longest waiting is
     * closed to make room), so that a flood of them cannot use up the file descriptors.
     */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel pushedOut = context.admission().awaitHello(ctx.channel());
        awaitingHello = true;
        if (pushedOut != null) {
            long evicted = context.admission().evicted();
            if (Long.bitCount(evicted) == 1) { // the 1st, 2nd, 4th, 8th...: a flood gets a few lines, not one per connection
                log.warn("{} connections await their Hello: closing the one that waited longest, from {} ({} closed so far)",
                        context.admission().max(), pushedOut.remoteAddress(), evicted);
            }
            pushedOut.close();
        }
        java.time.Duration linkTimeout = context.config().reliability().linkTimeout();
        java.time.Duration helloTimeout = linkTimeout.isZero() ? Reliability.DEFAULT_LINK_TIMEOUT : linkTimeout;
        helloTimer = ctx.executor().schedule(() -> {
            if (role == Role.AWAITING_HELLO && ctx.channel().isActive()) {
                reject(ctx, Error.Code.CODE_BAD_FRAME, "no Hello within " + helloTimeout.toMillis() + " ms of connecting");
            }
        }, helloTimeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (background != null) background.onWritabilityChanged();
        if (demand != null && ctx.channel().isWritable() && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true); // drained below the low water mark: read requests again
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
            log.warn("refusing connection from {}: TLS handshake failed (a certificate signed by the trusted CA is "
                    + "required): {}", remote(ctx), describe(hs.cause()));
            closeReason = "TLS handshake failed: " + describe(hs.cause());
            role = Role.CLOSING;
            ctx.close();
        }
        ctx.fireUserEventTriggered(event);
    }

    /** The innermost message of a TLS failure (the trust manager's reason, not its wrappers). */
    private static String describe(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        return c == t ? String.valueOf(t) : t.getClass().getSimpleName() + ": " + c.getMessage();
    }

    /** This connection no longer counts towards the connections awaiting their Hello. */
    private void leaveAwaitingHello(ChannelHandlerContext ctx) {
        if (awaitingHello) {
            awaitingHello = false;
            context.admission().helloDone(ctx.channel());
            if (helloTimer != null) helloTimer.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        leaveAwaitingHello(ctx);
        if (migration != null) migration.onChannelClosed(ctx.channel(), closeReason, !closedOnError);
        log.debug("connection from {} closed", remote(ctx));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        context.metrics().channelErrors.increment();
        if (role == Role.CLOSING) {
            log.debug("error on closing connection from {}", remote(ctx), cause);
            ctx.close();
            return;
        }
        switch (ConnectionError.of(cause)) {
            case TLS -> {
                String why = describe(ConnectionError.tlsFailure(cause));
                log.warn("connection from {} ({}) failed in TLS: {}", remote(ctx), role, why);
                closeReason = "TLS failure: " + why;
                role = Role.CLOSING;
                ctx.close();
            }
            case DROPPED -> {
                // A frame cut short by the link going down too: recovery applies, the peer is not at fault.
                String why = ConnectionError.dropReason(cause);
                log.warn("connection from {} ({}) dropped: {}", remote(ctx), role, why);
                closeReason = why;
                role = Role.CLOSING;
                ctx.close();
            }
            case BAD_FRAME -> reject(ctx, Error.Code.CODE_BAD_FRAME,
                    cause instanceof TooLongFrameException ? cause.getMessage() : "undecodable frame: " + cause.getMessage());
            case INTERNAL -> {
                log.error("unexpected error on connection from {} ({})", remote(ctx), role, cause);
                reject(ctx, Error.Code.CODE_INTERNAL, "internal error: " + cause);
            }
        }
    }

    private static String name(FrameType type, ByteBuf frame) {
        if (!frame.isReadable()) return "an empty frame (length 0, no type byte)";
        return type == FrameType.UNRECOGNIZED ? "unknown frame type " + frame.getUnsignedByte(frame.readerIndex())
                : type.name() + " frame";
    }

    private static SocketAddress remote(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress();
    }
}
