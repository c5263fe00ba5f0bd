package org.postcopysim.source;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.postcopysim.guest.Workload;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.ProtocolVersion;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.StreamCount;
import org.postcopysim.text.Plural;
import org.postcopysim.time.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new connection, until its Hello: admission (a bounded number may wait, each only within the
 * link timeout), the protocol version and the token, and then the role the Hello names, for
 * which this handler replaces itself: a DEMAND Hello starts the migration (Handshake, and the
 * Switchover or the precopy) and hands over to {@link DemandHandler}; a DEMAND Hello with resume
 * to {@link ResumeHandler}; a BACKGROUND Hello binds a stream and hands over to
 * {@link BackgroundHandler}. Anything else first is answered with an Error and the connection
 * closed; the server keeps listening.
 */
final class HelloHandler extends SourceConnection {
    private static final Logger log = LoggerFactory.getLogger(HelloHandler.class);

    /** Counted by {@link Admission} as awaiting its Hello. */
    private boolean awaitingHello;
    /** Closes the connection if no Hello came in time; cancelled once it is no longer awaited. */
    private io.netty.util.concurrent.ScheduledFuture<?> helloTimer;

    HelloHandler(SourceContext context) {
        super(context, null);
    }

    @Override
    String role() {
        return "AWAITING_HELLO";
    }

    @Override
    void onFrame(ChannelHandlerContext ctx, FrameType type, ByteBuf frame) {
        try {
            if (type == FrameType.FRAME_TYPE_HELLO) onHello(ctx, frame);
            else reject(ctx, Error.Code.CODE_BAD_FRAME, "expected Hello as the first frame, got " + name(type, frame));
        } finally {
            leaveAwaitingHello(ctx);
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
            case CHANNEL_ROLE_DEMAND -> {
                if (hello.getResume()) onResumeHello(ctx, hello);
                else onDemandHello(ctx, hello);
            }
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
        if (streams < 1 || streams > StreamCount.MAX) {
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
        m.attachStreams(new BackgroundStreams(m, streams, context.config().pagesPerBatch(),
                context.config().maxBackgroundBytesPerSec(), context.capPerStreamBug()));
        becomes(ctx, new DemandHandler(context, m));
        SourceGuest guest = context.guest();
        Channel ch = ctx.channel();
        ch.write(Frames.encode(ch.alloc(), FrameType.FRAME_TYPE_HANDSHAKE,
                SwitchoverFrames.handshake(SourceVm.PROTOCOL_VERSION, m.id(), guest.layout(), guest.seed()).toBuilder()
                        .setPrecopy(precopy).build()));
        if (precopy) {
            // The guest keeps running here; Switchover follows the precopy rounds (Precopy).
            Precopy p = new Precopy(m.id(), guest, context.config().precopy(), m.policy(), hello.getVcpus(), workload,
                    hello.getWorkload().getAccessesPerSec(), hello.getWorkload().getSeed(), NanoClock.SYSTEM, m::fail);
            m.attachPrecopy(p);
            p.startGuest();
            ch.flush();
        } else {
            ch.writeAndFlush(Frames.encode(ch.alloc(), FrameType.FRAME_TYPE_SWITCHOVER,
                    SwitchoverFrames.switchover(guest.seed(), hello.getVcpus(), System.nanoTime() - stopNs)));
        }
        log.info("migration {} started: DEMAND connection from {}, {}, {} pages in {}, {}{}",
                m.id(), remote(ctx), Plural.of(hello.getVcpus(), "vCPU"), guest.totalPages(),
                Plural.of(guest.layout().slotCount(), "memslot"), Plural.of(streams, "BACKGROUND stream"),
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
        becomes(ctx, new ResumeHandler(context, m, closes));
        log.info("migration {}: DEMAND connection from {} resumes it; awaiting the pages it holds", m.id(), remote(ctx));
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
        // In place before the stream can start: its writability events go to the BACKGROUND handler.
        BackgroundHandler next = new BackgroundHandler(context, m, streamer);
        becomes(ctx, next);
        String refused = m.attachBackground(hello.getStreamIndex(), streamer, ctx.executor().ticker().nanoTime());
        if (refused != null) {
            next.refuse(refused);
            return;
        }
        int streams = m.streams().count();
        log.info("migration {}: BACKGROUND stream {} of {} from {}, {} pages to stream, {}{}", m.id(),
                Integer.toUnsignedString(hello.getStreamIndex()), streams, remote(ctx), m.sent().unsent(),
                config.maxBackgroundBytesPerSec() == 0 ? "uncapped"
                        : "capped at " + config.maxBackgroundBytesPerSec() + " bytes/s" + (streams > 1 ? " over all streams" : ""),
                m.streams().attached() < streams ? "; streaming starts once all " + streams + " are here" : "");
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
        Duration linkTimeout = context.config().reliability().linkTimeout();
        Duration helloTimeout = linkTimeout.isZero() ? Reliability.DEFAULT_LINK_TIMEOUT : linkTimeout;
        helloTimer = ctx.executor().schedule(() -> {
            if (awaitingHello && !isClosing() && ctx.channel().isActive()) {
                reject(ctx, Error.Code.CODE_BAD_FRAME, "no Hello within " + helloTimeout.toMillis() + " ms of connecting");
            }
        }, helloTimeout.toNanos(), TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
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
        super.channelInactive(ctx);
    }
}
