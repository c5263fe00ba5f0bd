package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.postcopysim.guest.Workload;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.PageBatch;
import org.postcopysim.source.policy.BackgroundOrder;
import org.postcopysim.source.policy.PrecopyPolicy;
import org.postcopysim.time.NanoClock;

/**
 * During precopy the guest still writes its memory, so no precopy batch may be sent straight
 * from it: a stream's first round goes out as frames of their own (copied, each page's checksum
 * from its copy), though its batches are runs of consecutive pages that postcopy would send from
 * memory. Sending them with the postcopy encoder (checked by hand) fails it.
 */
class PrecopyFramesCopiedTest {
    @Test
    void precopyBatchesAreCopiedIntoTheirFrames() throws Exception {
        GuestLayout layout = GuestLayout.contiguous(64 * GuestLayout.PAGE_SIZE_BYTES, 1);
        SourceGuest guest = SourceGuest.generate(layout, 3, 1);
        Migration m = new Migration("m-test", 0, guest, new EmbeddedChannel(), new SourceMetrics(new SimpleMeterRegistry()),
                new CompletableFuture<>(), Duration.ofSeconds(30), BackgroundOrder.DEFAULT);
        try {
            BackgroundStreams streams = new BackgroundStreams(m, 1, 16, 0);
            m.attachStreams(streams);
            m.attachPrecopy(new Precopy(m.id(), guest, PrecopyPolicy.rounds(3), m.policy(), 1, Workload.parse("uniform", 0.5),
                    1000, 1, NanoClock.SYSTEM, m::fail)); // the guest is not started: no thread runs
            EmbeddedChannel stream = new EmbeddedChannel();
            assertEquals(null, m.attachBackground(0, new BackgroundStreamer(stream, guest, m, streams, 16), 0));
            stream.runPendingTasks();
            int frames = 0;
            int pages = 0;
            for (ByteBuf f; (f = stream.readOutbound()) != null; f.release()) {
                assertFalse(f instanceof CompositeByteBuf, "a precopy frame is a copy, not guest memory");
                PageBatch b = PageBatch.parseFrom(f.nioBuffer(FrameDescriptor.HEADER_BYTES, f.readableBytes() - FrameDescriptor.HEADER_BYTES));
                assertEquals(1, b.getPrecopyRound());
                for (ReceivedPage p : ReceivedPage.of(b)) {
                    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                    crc.update(p.getContents().asReadOnlyByteBuffer());
                    assertEquals((int) crc.getValue(), p.getCrc32C());
                }
                frames++;
                pages += b.getPageGfnCount();
            }
            assertEquals(64, pages, "round 1 sends every page");
            assertTrue(frames >= 4, "batches of at most 16 pages: " + frames);
            stream.finishAndReleaseAll();
        } finally {
            m.stopGuest();
            guest.close();
        }
    }
}
