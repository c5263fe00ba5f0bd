package org.postcopysim.protocol.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.NettyLeakCheck;
import org.postcopysim.protocol.PageBatchCodec;
import org.postcopysim.protocol.chaos.ChaosHandler.Side;

/** The fault injection on EmbeddedChannels, with the event loop's clock frozen and advanced by hand. */
@ExtendWith(NettyLeakCheck.class)
class ChaosHandlerTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final long SEED = 42;

    // ---- frames

    /** A whole PAGE_BATCH frame ([length][type][body]) of {@code pages} pages from {@code firstGfn}. */
    static ByteBuf pageFrame(long firstGfn, int pages) {
        PageBatchCodec.Writer w = new PageBatchCodec.Writer();
        ByteBuf frame = w.begin(ALLOC, 0, 0, pages, true);
        for (int i = 0; i < pages; i++) {
            byte[] contents = pageContents(firstGfn + i);
            w.page(i, firstGfn + i, crc(contents));
            w.contents(i, ByteBuffer.wrap(contents));
        }
        return w.finish();
    }

    static byte[] pageContents(long gfn) {
        byte[] contents = new byte[GuestLayout.PAGE_SIZE_BYTES];
        for (int b = 0; b < contents.length; b++) contents[b] = (byte) (gfn * 31 + b);
        return contents;
    }

    static int crc(byte[] contents) {
        CRC32C crc = new CRC32C();
        crc.update(contents);
        return (int) crc.getValue();
    }

    /**
     * The frame as the source sends a batch straight from guest memory: the header, then the
     * contents as a read-only slice of {@code memory} (which holds the pages from {@code firstGfn}).
     */
    static ByteBuf pageFrameOver(ByteBuffer memory, long firstGfn, int pages) {
        PageBatchCodec.Writer w = new PageBatchCodec.Writer();
        ByteBuf header = w.begin(ALLOC, 0, 0, pages, false);
        for (int i = 0; i < pages; i++) {
            byte[] contents = new byte[GuestLayout.PAGE_SIZE_BYTES];
            memory.get(i * GuestLayout.PAGE_SIZE_BYTES, contents);
            w.page(i, firstGfn + i, crc(contents));
        }
        w.finish();
        return ALLOC.compositeDirectBuffer(2).addComponent(true, header)
                .addComponent(true, io.netty.buffer.Unpooled.wrappedBuffer(memory.asReadOnlyBuffer()));
    }

    /** The same frame as the destination's decoder emits it: from the type byte on. */
    static ByteBuf decodedPageFrame(long firstGfn, int pages) {
        ByteBuf f = pageFrame(firstGfn, pages);
        f.skipBytes(FrameDescriptor.LENGTH_FIELD_BYTES);
        return f;
    }

    static ByteBuf controlFrame() {
        return Frames.encode(ALLOC, FrameType.FRAME_TYPE_HELLO, Hello.newBuilder().setVcpus(3).build());
    }

    /** What a received page frame holds: its first gfn and how many pages fail their CRC32C. */
    record Seen(long firstGfn, int pages, int badCrcs) {}

    static Seen inspect(ByteBuf frame, Side side) {
        int body = side == Side.OUTBOUND ? FrameDescriptor.HEADER_BYTES : 1;
        long[] first = {-1};
        int[] bad = {0};
        int n = new PageBatchCodec.Reader().read(frame, frame.readerIndex() + body, frame.readableBytes() - body,
                (requestId, gfn, crc32c, buf, index, length) -> {
                    if (first[0] < 0) first[0] = gfn;
                    CRC32C c = new CRC32C();
                    c.update(buf.nioBuffer(index, length));
                    if ((int) c.getValue() != crc32c) bad[0]++;
                    return true;
                });
        frame.release();
        return new Seen(first[0], n, bad[0]);
    }

    static List<Long> drainFirstGfns(EmbeddedChannel ch, Side side) {
        List<Long> out = new ArrayList<>();
        for (ByteBuf f; (f = side == Side.OUTBOUND ? ch.readOutbound() : ch.readInbound()) != null; ) {
            out.add(inspect(f, side).firstGfn());
        }
        return out;
    }

    static ChaosState state(String spec) {
        return new ChaosState(ChaosSpec.parse(spec), SEED);
    }

    static EmbeddedChannel outbound(ChaosState state) {
        EmbeddedChannel ch = new EmbeddedChannel(new ChaosHandler(state, Side.OUTBOUND));
        ch.freezeTime();
        return ch;
    }

    static EmbeddedChannel inbound(ChaosState state) {
        EmbeddedChannel ch = new EmbeddedChannel(new ChaosHandler(state, Side.INBOUND));
        ch.freezeTime();
        return ch;
    }

    static void advanceMs(EmbeddedChannel ch, long ms) {
        ch.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        ch.runPendingTasks();
        ch.runScheduledPendingTasks();
    }

    // ---- tests

    @Test
    void controlFramesPassUntouchedEvenUnderEveryFault() {
        ChaosState state = state("delay:50,duplicate:1,reorder:1,corrupt:1,slow-source:1K");
        EmbeddedChannel ch = outbound(state);
        ByteBuf hello = controlFrame();
        ByteBuf expected = hello.copy();
        ch.writeAndFlush(hello);
        ByteBuf out = ch.readOutbound();
        assertTrue(ByteBufUtil.equals(expected, out), "a control frame passes at once and unchanged");
        assertNull(ch.readOutbound(), "and only once");
        out.release();
        expected.release();
        assertEquals(0, state.framesDelayed() + state.framesDuplicated() + state.framesReordered() + state.framesCorrupted());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void corruptFlipsTheLastByteOfTheLastPageSoOnlyItsChecksumFails() {
        for (Side side : Side.values()) {
            ChaosState state = state("corrupt:1");
            EmbeddedChannel ch = side == Side.OUTBOUND ? outbound(state) : inbound(state);
            if (side == Side.OUTBOUND) ch.writeAndFlush(pageFrame(100, 3));
            else ch.writeInbound(decodedPageFrame(100, 3));
            ByteBuf f = side == Side.OUTBOUND ? ch.readOutbound() : ch.readInbound();
            assertEquals(new Seen(100, 3, 1), inspect(f, side), side + ": exactly one page (the last) fails its CRC32C");
            assertEquals(1, state.framesCorrupted());
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    @Test
    void corruptionNeverWritesTheSendersBuffer() {
        // The source sends batches straight from its guest memory, read-only: the damage goes to a copy.
        ByteBuffer memory = ByteBuffer.allocateDirect(3 * GuestLayout.PAGE_SIZE_BYTES);
        for (int i = 0; i < 3; i++) memory.put(pageContents(200 + i));
        memory.clear();
        ByteBuffer before = ByteBuffer.allocate(memory.capacity()).put(memory.duplicate()).flip();
        for (String spec : new String[] {"corrupt:1", "corrupt:1,duplicate:1"}) {
            ChaosState state = state(spec);
            EmbeddedChannel ch = outbound(state);
            ch.writeAndFlush(pageFrameOver(memory, 200, 3));
            assertEquals(new Seen(200, 3, 1), inspect(ch.readOutbound(), Side.OUTBOUND), spec + ": the damaged copy");
            if (spec.contains("duplicate")) {
                assertEquals(new Seen(200, 3, 0), inspect(ch.readOutbound(), Side.OUTBOUND), spec + ": the original, intact");
            }
            assertNull(ch.readOutbound());
            assertEquals(before, memory.duplicate().clear(), spec + ": the sender's memory is unchanged");
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    @Test
    void duplicateSendsAnIntactSecondCopyRightAfterTheOriginal() {
        ChaosState state = state("duplicate:1,corrupt:1");
        EmbeddedChannel ch = inbound(state);
        ch.writeInbound(decodedPageFrame(7, 2));
        assertEquals(new Seen(7, 2, 1), inspect(ch.readInbound(), Side.INBOUND), "the original, damaged");
        assertEquals(new Seen(7, 2, 0), inspect(ch.readInbound(), Side.INBOUND), "the copy, intact");
        assertNull(ch.readInbound());
        assertEquals(1, state.framesDuplicated());
        assertEquals(2, state.pagesSeen(), "a copy's pages are not counted twice");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void delayHoldsEachFrameOnTheEventLoopKeepsOrderAndRepeatsTheFlush() {
        ChaosState state = state("delay:5");
        EmbeddedChannel ch = outbound(state);
        ch.writeAndFlush(pageFrame(1, 1));
        advanceMs(ch, 2);
        ch.writeAndFlush(pageFrame(2, 1));
        ch.writeAndFlush(controlFrame()); // behind the held page frames, though not delayed itself
        assertNull(ch.readOutbound(), "nothing leaves before its 5 ms");
        advanceMs(ch, 3);
        assertEquals(List.of(1L), drainFirstGfns(ch, Side.OUTBOUND), "the first frame leaves at 5 ms, flushed");
        advanceMs(ch, 2);
        assertEquals(List.of(2L), List.of(inspect(ch.readOutbound(), Side.OUTBOUND).firstGfn()));
        ByteBuf control = ch.readOutbound();
        assertEquals(FrameType.FRAME_TYPE_HELLO_VALUE, control.getUnsignedByte(FrameDescriptor.TYPE_OFFSET), "then the control frame");
        control.release();
        assertEquals(2, state.framesDelayed());

        ch.write(pageFrame(3, 1)); // written but never flushed by its writer
        advanceMs(ch, 5);
        assertNull(ch.readOutbound(), "a held frame whose writer did not flush is not flushed for it");
        ch.flush();
        assertEquals(List.of(3L), drainFirstGfns(ch, Side.OUTBOUND));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void jitterAddsARandomBoundedHoldAndKeepsOrder() {
        ChaosState state = state("jitter:10");
        EmbeddedChannel ch = inbound(state);
        for (int i = 0; i < 20; i++) ch.writeInbound(decodedPageFrame(i, 1));
        List<Long> seen = new ArrayList<>(drainFirstGfns(ch, Side.INBOUND));
        assertTrue(seen.size() < 20, "some frames are held");
        advanceMs(ch, 10);
        seen.addAll(drainFirstGfns(ch, Side.INBOUND));
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 20; i++) expected.add(i);
        assertEquals(expected, seen, "all within 10 ms, in order");
        assertTrue(state.framesDelayed() > 0 && state.framesDelayed() <= 20);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void reorderSwapsAFrameWithTheNextOneOrReleasesItAfterTheHoldBound() {
        ChaosState state = state("reorder:1");
        EmbeddedChannel ch = outbound(state);
        for (long g = 1; g <= 4; g++) ch.writeAndFlush(pageFrame(g, 1));
        assertEquals(List.of(2L, 1L, 4L, 3L), drainFirstGfns(ch, Side.OUTBOUND));
        assertEquals(2, state.framesReordered());
        ch.writeAndFlush(pageFrame(5, 1));
        assertNull(ch.readOutbound(), "waits for a frame to swap with");
        advanceMs(ch, TimeUnit.NANOSECONDS.toMillis(ChaosHandler.REORDER_MAX_HOLD_NS));
        assertEquals(List.of(5L), drainFirstGfns(ch, Side.OUTBOUND), "released unswapped after the bound, flushed");
        ch.writeAndFlush(pageFrame(6, 1));
        ch.writeAndFlush(controlFrame());
        assertEquals(List.of(6L), List.of(inspect(ch.readOutbound(), Side.OUTBOUND).firstGfn()),
                "a control frame releases a waiting frame first");
        ((ByteBuf) ch.readOutbound()).release();
        assertEquals(2, state.framesReordered());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void slowSourcePacesFramesAndHeldBytesMakeTheChannelUnwritable() {
        ChaosState state = state("slow-source:1M");
        EmbeddedChannel ch = outbound(state);
        int pages = 64;
        long frameBytes;
        ByteBuf probe = pageFrame(0, pages);
        frameBytes = probe.readableBytes();
        probe.release();
        for (int i = 0; i < 4; i++) ch.writeAndFlush(pageFrame(i * pages, pages));
        assertFalse(ch.isWritable(), "a megabyte held counts against the write buffer");
        long perFrameMs = frameBytes * 1000 / (1 << 20); // ~254 ms per 64-page frame at 1 MiB/s
        int out = 0;
        for (int step = 1; step <= 4; step++) {
            advanceMs(ch, perFrameMs + 1);
            out += drainFirstGfns(ch, Side.OUTBOUND).size();
            assertEquals(step, out, "one frame per " + perFrameMs + " ms");
        }
        assertTrue(ch.isWritable());
        assertEquals(4, state.framesThrottled());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void disconnectClosesEveryRegisteredConnectionExactlyOnceAtThePercentage() {
        ChaosState state = state("disconnect@50%");
        int[] closes = new int[3];
        EmbeddedChannel[] chs = new EmbeddedChannel[3];
        for (int i = 0; i < 2; i++) chs[i] = withCloseCounter(state, closes, i);
        for (int i = 0; i < 6; i++) chs[0].writeInbound(decodedPageFrame(i * 10, 10));
        assertTrue(chs[0].isOpen() && chs[1].isOpen(), "no disconnect before the page total is known");
        for (ByteBuf f; (f = chs[0].readInbound()) != null; ) f.release();

        state.pagesTotal(200); // 60 pages seen of 100 needed
        assertTrue(chs[0].isOpen());
        for (int i = 0; i < 3; i++) chs[0].writeInbound(decodedPageFrame(600 + i * 10, 10));
        assertTrue(chs[0].isOpen() && chs[1].isOpen(), "90 of 200 pages");
        chs[1].writeInbound(decodedPageFrame(900, 10));
        assertFalse(chs[0].isOpen(), "100 of 200 pages: every connection dropped");
        assertFalse(chs[1].isOpen());
        assertEquals(1, closes[0]);
        assertEquals(1, closes[1]);
        assertEquals(2, state.disconnects());
        assertTrue(state.hasDisconnected());

        chs[2] = withCloseCounter(state, closes, 2); // a reconnection
        for (int i = 0; i < 20; i++) chs[2].writeInbound(decodedPageFrame(i, 10));
        assertTrue(chs[2].isOpen(), "after a reconnection no second disconnect");
        assertEquals(0, closes[2]);
        assertEquals(2, state.disconnects());
        for (EmbeddedChannel ch : chs) ch.finishAndReleaseAll();
    }

    @Test
    void aPageTotalLearnedLateDisconnectsAtOnceWhenThePercentageHasPassed() {
        ChaosState state = state("disconnect@10%");
        int[] closes = new int[1];
        EmbeddedChannel ch = withCloseCounter(state, closes, 0);
        ch.writeInbound(decodedPageFrame(0, 20));
        assertTrue(ch.isOpen());
        state.pagesTotal(100);
        assertFalse(ch.isOpen());
        assertEquals(1, closes[0]);
        ch.finishAndReleaseAll();
    }

    @Test
    void closingReleasesHeldOutboundFramesAndDeliversHeldInboundOnes() {
        ChaosState state = state("delay:100,reorder:1");
        EmbeddedChannel out = outbound(state);
        ByteBuf a = pageFrame(1, 1);
        ByteBuf b = pageFrame(2, 1);
        ByteBuf c = pageFrame(3, 1);
        ChannelPromise pa = out.newPromise();
        out.writeAndFlush(a, pa);
        out.writeAndFlush(b);
        out.writeAndFlush(c); // waits for a swap partner
        out.close();
        assertEquals(0, a.refCnt() + b.refCnt() + c.refCnt(), "every held buffer released once");
        assertTrue(pa.isDone() && !pa.isSuccess(), "the held write's promise failed");
        assertNull(out.readOutbound());

        EmbeddedChannel in = inbound(state);
        in.writeInbound(decodedPageFrame(10, 1));
        in.writeInbound(decodedPageFrame(11, 1));
        in.writeInbound(decodedPageFrame(12, 1));
        assertNull(in.readInbound());
        in.close();
        assertEquals(List.of(11L, 10L, 12L), drainFirstGfns(in, Side.INBOUND), "what had arrived is delivered, in order");
        assertFalse(in.finishAndReleaseAll());
        out.finishAndReleaseAll();
    }

    @Test
    void theSameSeedMakesTheSameChoices() {
        List<List<Long>> runs = new ArrayList<>();
        for (long seed : new long[] {5, 5, 6}) {
            ChaosState state = new ChaosState(ChaosSpec.parse("duplicate:0.3,reorder:0.3,corrupt:0.3"), seed);
            EmbeddedChannel ch = inbound(state);
            List<Long> seen = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                ch.writeInbound(decodedPageFrame(i, 1));
                for (ByteBuf f; (f = ch.readInbound()) != null; ) {
                    Seen s = inspect(f, Side.INBOUND);
                    seen.add(s.firstGfn() * 2 + s.badCrcs());
                }
            }
            advanceMs(ch, 10);
            seen.addAll(drainFirstGfns(ch, Side.INBOUND));
            runs.add(seen);
            ch.finishAndReleaseAll();
        }
        assertEquals(runs.get(0), runs.get(1), "seed 5 twice: the same frames, copies, swaps and damage");
        assertNotEquals(runs.get(0), runs.get(2), "another seed, other choices");
    }

    private static EmbeddedChannel withCloseCounter(ChaosState state, int[] closes, int index) {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
                closes[index]++;
                super.close(ctx, promise);
            }
        }, new ChaosHandler(state, Side.INBOUND));
        return ch;
    }
}
