package org.postcopysim.source;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.PagesHeld;
import org.postcopysim.protocol.PagesHeldChunks;
import org.postcopysim.protocol.ResumeAck;
import org.postcopysim.protocol.sched.StreamPriority;

/**
 * A DEMAND connection resuming a paused migration (postcopy recovery): it receives the pages
 * the destination holds (PagesHeld chunks) until the last; once every connection of the old link
 * has closed, every page not held is unsent again, ResumeAck goes out, and the connection is the
 * migration's DEMAND connection ({@link DemandHandler}) again.
 */
final class ResumeHandler extends SourceConnection {
    /** The pages the destination holds (PagesHeld, merged); null once the last chunk arrived. */
    private long[] held;
    /** Connections of the old link, closing. */
    private final List<ChannelFuture> oldLinkCloses;

    ResumeHandler(SourceContext context, Migration migration, List<ChannelFuture> oldLinkCloses) {
        super(context, migration);
        this.oldLinkCloses = oldLinkCloses;
        this.held = new long[PagesHeldChunks.wordsFor(context.guest().totalPages())];
    }

    @Override
    String role() {
        return "RESUMING";
    }

    @Override
    StreamPriority.Role loopRole() {
        return StreamPriority.Role.DEMAND;
    }

    @Override
    void onFrame(ChannelHandlerContext ctx, FrameType type, ByteBuf frame) {
        if (type == FrameType.FRAME_TYPE_PAGES_HELD && held != null) onPagesHeld(ctx, frame);
        else if (type == FrameType.FRAME_TYPE_ERROR) onPeerError(ctx, frame);
        else unexpected(ctx, type, frame, "on a resuming DEMAND connection (PagesHeld until ResumeAck)");
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
        // The old link's streamers and responder run on their own event loops and stop once their
        // channels are closed; only then may pages be marked unsent (never claimed for a dead link).
        Runnable complete = () -> {
            if (isClosing() || !ctx.channel().isActive()) return;
            long toResend = migration.completeResume(ctx.channel(), heldWords);
            if (toResend < 0) {
                reject(ctx, Error.Code.CODE_UNKNOWN_MIGRATION, "migration " + migration.id()
                        + " was taken over or ended while resuming");
                return;
            }
            becomes(ctx, new DemandHandler(context, migration));
            ctx.channel().writeAndFlush(Frames.encode(ctx.alloc(), FrameType.FRAME_TYPE_RESUME_ACK,
                    ResumeAck.newBuilder().setPagesToResend(toResend).build()));
        };
        AtomicInteger pending = new AtomicInteger(oldLinkCloses.size() + 1);
        Runnable oneClosed = () -> {
            if (pending.decrementAndGet() == 0) ctx.executor().execute(complete);
        };
        for (ChannelFuture f : oldLinkCloses) f.channel().closeFuture().addListener(x -> oneClosed.run());
        oneClosed.run();
    }
}
