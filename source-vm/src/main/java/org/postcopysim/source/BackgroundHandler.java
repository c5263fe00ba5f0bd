package org.postcopysim.source;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.sched.StreamPriority;

/**
 * One BACKGROUND stream of a migration once its Hello is accepted: the stream itself runs in its
 * {@link BackgroundStreamer}, which this handler resumes when the connection drains; the
 * destination sends nothing on it but an Error.
 */
final class BackgroundHandler extends SourceConnection {
    private final BackgroundStreamer streamer;
    private ChannelHandlerContext ctx;

    BackgroundHandler(SourceContext context, Migration migration, BackgroundStreamer streamer) {
        super(context, migration);
        this.streamer = streamer;
    }

    @Override
    String role() {
        return "BACKGROUND";
    }

    @Override
    StreamPriority.Role loopRole() {
        return StreamPriority.Role.STREAM;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        super.handlerAdded(ctx);
        this.ctx = ctx;
    }

    /** The migration would not bind this stream ({@code why}): refused, and closed. */
    void refuse(String why) {
        reject(ctx, Error.Code.CODE_BAD_FRAME, why);
    }

    @Override
    void onFrame(ChannelHandlerContext ctx, FrameType type, ByteBuf frame) {
        if (type == FrameType.FRAME_TYPE_ERROR) onPeerError(ctx, frame);
        else unexpected(ctx, type, frame, "on the BACKGROUND connection");
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        streamer.onWritabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }
}
