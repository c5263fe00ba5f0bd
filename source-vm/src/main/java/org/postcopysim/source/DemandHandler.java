package org.postcopysim.source;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import org.postcopysim.protocol.CompletionDigest;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.ReadPauses;
import org.postcopysim.protocol.sched.StreamPriority;
import org.postcopysim.text.Plural;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A migration's DEMAND connection once its Hello (or its resume) is accepted: page requests,
 * answered at once ({@link DemandResponder}), with backpressure; the completion digest, checked
 * against the source's pages ({@link DigestVerifier}), and the verdict that ends the migration.
 */
final class DemandHandler extends SourceConnection {
    private static final Logger log = LoggerFactory.getLogger(DemandHandler.class);

    private final DemandResponder demand;
    private final DigestVerifier digest;

    DemandHandler(SourceContext context, Migration migration) {
        super(context, migration);
        this.demand = new DemandResponder(context.guest(), migration, context.config().maxPagesPerFrame());
        this.digest = new DigestVerifier(context.guest(), context.config().precopy().enabled());
    }

    @Override
    String role() {
        return "DEMAND";
    }

    @Override
    StreamPriority.Role loopRole() {
        return StreamPriority.Role.DEMAND;
    }

    @Override
    void onFrame(ChannelHandlerContext ctx, FrameType type, ByteBuf frame) {
        switch (type) {
            case FRAME_TYPE_PAGE_REQUEST -> onPageRequest(ctx, frame);
            case FRAME_TYPE_COMPLETION_DIGEST -> onDigest(ctx, frame);
            case FRAME_TYPE_ERROR -> onPeerError(ctx, frame);
            default -> unexpected(ctx, type, frame, "on the DEMAND connection");
        }
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
    /** Whether this handler paused reads for backpressure (its reason in {@link ReadPauses}). */
    private boolean readsPaused;

    private void pauseReadingIfUnwritable(Channel ch) {
        ChannelOutboundBuffer queued = ch.unsafe().outboundBuffer();
        if (queued != null) context.metrics().demandOutboundPeakBytes.accumulateAndGet(queued.totalPendingWriteBytes(), Math::max);
        if (!ch.isWritable() && !readsPaused) {
            readsPaused = true;
            ReadPauses.pause(ch);
            context.metrics().demandReadsPaused.increment();
            log.debug("migration {}: DEMAND connection from {} reads faster than it drains; pausing reads", migration.id(),
                    ch.remoteAddress());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && readsPaused) {
            readsPaused = false;
            ReadPauses.resume(ctx.channel()); // drained below the low water mark: read requests again
        }
        ctx.fireChannelWritabilityChanged();
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
}
