package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.PageBatch;

/** Demand requests on the DEMAND connection: answered at once, uncapped, ahead of the bulk stream. Real loopback sockets. */
class DemandTest {
    /** 16 MiB; background capped at 128 KiB/s in 16-page batches: the whole stream would take about 2 minutes. */
    private static final SourceConfig SLOW_BACKGROUND = SourceConfig.builder().guestBytes(16L << 20)
            .maxBackgroundBytesPerSec(128L << 10).pagesPerBatch(16).seed(7).build();

    @Test
    void requestIsAnsweredAtOnceWhileTheBackgroundStreamIsCappedAndTheScanMovesNextToIt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SourceVm vm = SourceVm.start(SLOW_BACKGROUND, registry);
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            ExpectedPages expected = new ExpectedPages(SLOW_BACKGROUND);
            Handshake h = Sessions.demandHello(demand, 2);
            Sessions.backgroundHello(background, h.getMigrationId());
            PageBatch first = background.next(FrameType.FRAME_TYPE_PAGE_BATCH).parse(PageBatch.parser());
            assertEquals(0, first.getPageGfn(0));
            assertEquals(16, first.getPageGfnCount());

            // gfn 10 came with the first background batch (a duplicate), then 999 pages the stream has not reached.
            long[] gfns = new long[1000];
            gfns[0] = 10;
            for (int i = 1; i < gfns.length; i++) gfns[i] = 2000 + i - 1;
            // That the answer does not wait for the cap, on a clock the test moves: SourceTimersTest.
            demand.sendRequest(7, gfns);
            List<Long> answered = new ArrayList<>();
            int frames = 0;
            while (answered.size() < gfns.length) {
                PageBatch b = demand.next(FrameType.FRAME_TYPE_PAGE_BATCH).parse(PageBatch.parser());
                assertEquals(7, b.getRequestId(), "request id echoed");
                frames++;
                for (ReceivedPage p : ReceivedPage.of(b)) {
                    expected.assertPage(p);
                    answered.add(p.getGfn());
                }
            }
            for (int i = 0; i < gfns.length; i++) assertEquals(gfns[i], answered.get(i), "pages in request order");
            assertTrue(frames >= 4, "1000 pages need several frames of at most 1 MiB, got " + frames);

            assertEquals(1, registry.get(SourceMetrics.PAGE_REQUESTS).counter().count());
            assertEquals(1000, registry.get(SourceMetrics.PAGES_SENT).tag("channel", "demand").counter().count());
            assertEquals(1, registry.get(SourceMetrics.DUPLICATE_PAGES).counter().count());

            // The scan resumes just after the last requested page (batches already claimed may come first).
            boolean resumed = false;
            for (int i = 0; i < 3 && !resumed; i++) {
                PageBatch b = background.next(FrameType.FRAME_TYPE_PAGE_BATCH).parse(PageBatch.parser());
                resumed = b.getPageGfn(0) == 2999;
                if (resumed) {
                    for (ReceivedPage p : ReceivedPage.of(b)) assertTrue(p.getGfn() >= 2999 && p.getGfn() < 3015);
                }
            }
            assertTrue(resumed, "no background batch resumed at gfn 2999");
        }
    }

    @Test
    void outOfRangeGfnIsRefusedWithPageOutOfRangeAndNothingIsSent() {
        SourceConfig config = SourceConfig.builder().guestBytes(4L << 20).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SourceVm vm = SourceVm.start(config, registry);
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            Sessions.demandHello(demand, 1);
            demand.sendRequest(3, 5, 1024 + 17); // 1024 pages: gfns 0..1023
            Error e = demand.expectError(Error.Code.CODE_PAGE_OUT_OF_RANGE);
            assertTrue(e.getText().contains("1041"), e.getText());
            demand.awaitClosed();
            assertEquals(0, registry.get(SourceMetrics.PAGES_SENT).tag("channel", "demand").counter().count());
            assertFalse(vm.completion().join().verified());
        }
    }

    @Test
    void requestIdZeroIsABadFrame() {
        try (SourceVm vm = SourceVm.start(SourceConfig.builder().guestBytes(4L << 20).build(), new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            Sessions.demandHello(demand, 1);
            demand.sendRequest(0, 5);
            demand.expectError(Error.Code.CODE_BAD_FRAME);
            demand.awaitClosed();
        }
    }
}
