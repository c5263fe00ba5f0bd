package org.postcopysim.source;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.PageRequestCodec;

/**
 * Answers PAGE_REQUEST frames on one DEMAND connection: validates every gfn, marks the pages
 * sent, moves the background scan next to the last one requested, and writes and flushes the
 * pages at once, never capped. A request answers in one PAGE_BATCH frame, or in several (same
 * request id) when its pages exceed the maximum frame size. Reuses its decoder, index array
 * and encoder: nothing is allocated per page. Single-threaded (the DEMAND event loop).
 */
final class DemandResponder {
    /** Why a request was refused; the connection is then closed with an Error of {@code code}. */
    record Rejection(Error.Code code, String text) {}

    private final SourceGuest guest;
    private final Migration migration;
    private final int maxPagesPerFrame;
    private final SourceGuest.Encoder encoder;
    private final PageRequestCodec.Decoded request = new PageRequestCodec.Decoded();
    private final int[] pageIndexes = new int[PageRequestCodec.MAX_GFNS_PER_REQUEST];

    DemandResponder(SourceGuest guest, Migration migration, int maxPagesPerFrame) {
        this.guest = guest;
        this.migration = migration;
        this.maxPagesPerFrame = maxPagesPerFrame;
        this.encoder = guest.newEncoder();
    }

    /** Answers the PAGE_REQUEST {@code frame} on {@code channel}; returns null, or why it was refused (nothing sent). */
    Rejection answer(Channel channel, ByteBuf frame) {
        PageRequestCodec.Decoded r = request;
        if (!r.decode(frame, Frames.bodyIndex(frame), Frames.bodyLength(frame))) {
            return new Rejection(Error.Code.CODE_BAD_FRAME, "malformed PAGE_REQUEST, or more than "
                    + PageRequestCodec.MAX_GFNS_PER_REQUEST + " gfns in one request");
        }
        if (r.requestId == 0) {
            return new Rejection(Error.Code.CODE_BAD_FRAME, "PAGE_REQUEST with request_id 0 (reserved for background pages)");
        }
        GuestLayout layout = guest.layout();
        for (int i = 0; i < r.count; i++) {
            long p = layout.pageIndexOfGfn(r.gfns[i]);
            if (p < 0) {
                return new Rejection(Error.Code.CODE_PAGE_OUT_OF_RANGE, "requested gfn " + Long.toUnsignedString(r.gfns[i])
                        + " (request " + Long.toUnsignedString(r.requestId) + ") lies outside every memslot");
            }
            pageIndexes[i] = (int) p;
        }
        migration.recordRequest();
        int duplicates = migration.policy().onDemand(pageIndexes, r.count);
        long bytes = 0;
        int from = 0;
        do {
            int to = Math.min(r.count, from + maxPagesPerFrame);
            ByteBuf batch = guest.encodeBatch(channel.alloc(), r.requestId, pageIndexes, from, to, encoder);
            bytes += batch.readableBytes();
            channel.write(batch, channel.voidPromise());
            from = to;
        } while (from < r.count);
        channel.flush();
        migration.recordDemand(r.count, duplicates, bytes);
        return null;
    }
}
