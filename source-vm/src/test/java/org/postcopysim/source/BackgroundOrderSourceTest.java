package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.PageBatch;
import org.postcopysim.source.policy.BackgroundOrder;

/**
 * The real source streams in the order it is configured with, and its verdict tells the
 * destination the order and how many requested pages the background had not sent. Real
 * loopback sockets; the follow-faults default is DemandTest's.
 */
class BackgroundOrderSourceTest {
    /** 4 MiB (gfn = page index), 16-page batches capped at 2 MiB/s: the whole stream takes about 2 s. */
    private static SourceConfig config(BackgroundOrder order) {
        return SourceConfig.builder().guestBytes(4L << 20).maxBackgroundBytesPerSec(2L << 20).pagesPerBatch(16).seed(5)
                .backgroundOrder(order).build();
    }

    /**
     * After the first background batch, requests gfn 3 (sent) and gfn 500 (not sent), then
     * returns the pages of the next four background batches, and finally streams the rest and
     * checks the verdict's order and pages fetched on demand (1: gfn 500).
     */
    private static List<Long> pagesAfterARequest(BackgroundOrder order) throws Exception {
        SourceConfig config = config(order);
        try (SourceVm vm = SourceVm.start(config, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            ExpectedPages expected = new ExpectedPages(config);
            Handshake h = Sessions.demandHello(demand, 1);
            Sessions.backgroundHello(background, h.getMigrationId());
            BitSet seen = new BitSet();
            receive(background, expected, seen); // gfns 0..15
            demand.sendRequest(1, 3); // first, so that the last request, the one follow-faults moves to, is 500
            demand.sendRequest(2, 500);
            for (int i = 0; i < 2; i++) demand.next(FrameType.FRAME_TYPE_PAGE_BATCH).parse(PageBatch.parser());
            seen.set(500);
            List<Long> next = new ArrayList<>();
            for (int i = 0; i < 4; i++) next.addAll(receive(background, expected, seen));
            expected.receiveAllPages(background, seen);
            CompletionResult r = Sessions.digest(demand, Sessions.expectedCrcs(expected), expected.totalPages(), 1);
            assertEquals(expected.totalPages(), r.getPagesVerified());
            assertEquals(order.toString(), r.getBackgroundOrder(), "the verdict names the order");
            assertEquals(1, r.getPagesFetchedOnDemand(), "gfn 500 was fetched on demand; gfn 3 had been streamed");
            SourceResult result = vm.completion().get(TestDestination.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(result.verified(), result.error());
            assertEquals(expected.totalPages(), result.backgroundPagesSent() + result.demandPagesSent()
                    - result.duplicatePagesSent(), "every page sent once, first by the background or on demand");
            return next;
        }
    }

    private static List<Long> receive(TestDestination background, ExpectedPages expected, BitSet seen) {
        PageBatch b = background.next(FrameType.FRAME_TYPE_PAGE_BATCH).parse(PageBatch.parser());
        List<Long> gfns = new ArrayList<>();
        for (ReceivedPage p : ReceivedPage.of(b)) {
            expected.assertPage(p);
            assertTrue(!seen.get((int) p.getGfn()), "gfn " + p.getGfn() + " sent twice");
            seen.set((int) p.getGfn());
            gfns.add(p.getGfn());
        }
        return gfns;
    }

    static void assertGfnOrderFrom16(List<Long> next) {
        for (int i = 0; i < next.size(); i++) assertEquals(16L + i, next.get(i), "gfn order from where the scan was: " + next);
    }

    static void assertWindowFirst(List<Long> next) {
        // Batches claimed before the request came may still be ahead of the window (gfn order from 16).
        int at = next.indexOf(501L);
        assertTrue(at >= 0 && at % 16 == 0, "a batch starts with the window: " + next);
        assertEquals(List.of(501L, 499L, 502L, 498L, 503L, 497L, 504L, 496L), next.subList(at, at + 8), next.toString());
        for (int i = 0; i < at; i++) assertEquals(16L + i, next.get(i), "before it only batches claimed earlier: " + next);
    }

    @Test
    void linearGoesOnInGfnOrderAfterARequest() throws Exception {
        assertGfnOrderFrom16(pagesAfterARequest(BackgroundOrder.LINEAR));
    }

    @Test
    void prepageSendsTheNeighboursOfTheRequestedPageFirst() throws Exception {
        assertWindowFirst(pagesAfterARequest(BackgroundOrder.prepage(8)));
    }

    @Test
    void negativeControlTheChecksTellTheOrdersApart() throws Exception {
        List<Long> follow = pagesAfterARequest(BackgroundOrder.FOLLOW_FAULTS);
        assertThrows(AssertionFailedError.class, () -> assertGfnOrderFrom16(follow), "follow-faults jumps to 501: " + follow);
        assertThrows(AssertionFailedError.class, () -> assertWindowFirst(follow), "follow-faults sends no window: " + follow);
    }
}
