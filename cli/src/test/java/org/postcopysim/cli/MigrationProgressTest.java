package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.DestMetrics;

/**
 * The destination's progress: a bar that is gone, erased, before the summary is printed (and
 * never drawn after it), that logs step around, or lines for a parent process.
 */
class MigrationProgressTest {
    /** Long enough for a draw the bar library still had scheduled to land (several of its refreshes). */
    static final long SETTLE_MS = 4L * TerminalBar.REFRESH_MS;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong present = new AtomicLong();
    private final StringWriter screen = new StringWriter();
    private final PrintWriter out = new PrintWriter(screen, true);
    private final PrintWriter err = new PrintWriter(screen, true);

    MigrationProgressTest() {
        Gauge.builder(DestMetrics.PAGES_TOTAL, () -> 4096).register(registry);
        Gauge.builder(DestMetrics.PAGES_PRESENT, present::get).register(registry);
    }

    private void awaitScreenContains(String text) throws InterruptedException {
        for (int i = 0; i < 100 && !screen.toString().contains(text); i++) Thread.sleep(50);
        assertTrue(screen.toString().contains(text), screen::toString);
    }

    @Test
    void theBarIsErasedBeforeTheSummaryAndNeverDrawnAfterIt() throws Exception {
        MigrationProgress p = MigrationProgress.start(MigrationProgress.When.ALWAYS, registry, out, err);
        assertNotNull(p);
        present.set(1024);
        awaitScreenContains("pages present");
        System.err.println("12:00:00.000 [main] INFO DestVm - all 4096 pages present"); // a log while the bar is up
        present.set(4096);
        p.close();
        out.println("migration verified: 4096/4096 pages match the source, 0 mismatches");
        out.println("  stage-2   8 huge mappings rebuilt when KVM_MEM_USERFAULT was cleared");
        Thread.sleep(SETTLE_MS);
        List<String> lines = VirtualScreen.render(screen.toString());
        assertEquals(List.of("12:00:00.000 [main] INFO DestVm - all 4096 pages present",
                "migration verified: 4096/4096 pages match the source, 0 mismatches",
                "  stage-2   8 huge mappings rebuilt when KVM_MEM_USERFAULT was cleared"), lines, screen::toString);
    }

    @Test
    void aCloseFromAnInterruptedThreadStillWaitsForTheLastDraw() throws Exception {
        MigrationProgress p = MigrationProgress.start(MigrationProgress.When.ALWAYS, registry, out, err);
        present.set(2048);
        awaitScreenContains("pages present");
        Thread.currentThread().interrupt();
        try {
            p.close();
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
        } finally {
            Thread.interrupted();
        }
        out.println("summary");
        Thread.sleep(SETTLE_MS);
        assertEquals(List.of("summary"), VirtualScreen.render(screen.toString()), screen::toString);
    }

    @Test
    void linesModePrintsEachChangeOnStdoutAndDrawsNoBar() throws Exception {
        MigrationProgress p = MigrationProgress.start(MigrationProgress.When.LINES, registry, out, err);
        present.set(100);
        awaitScreenContains("progress: 100/4096 pages");
        present.set(4096);
        awaitScreenContains("progress: 4096/4096 pages");
        p.close();
        assertFalse(screen.toString().contains("\r"), screen::toString);
        assertTrue(screen.toString().lines().allMatch(l -> MigrationProgress.parseLine(l) != null), screen::toString);
        assertEquals(4096, MigrationProgress.parseLine("progress: 4096/4096 pages")[0]);
    }

    @Test
    void neverAndAutoOffATerminalShowNothing() {
        assertEquals(null, MigrationProgress.start(MigrationProgress.When.NEVER, registry, out, err));
        assertEquals(null, MigrationProgress.start(MigrationProgress.When.AUTO, registry, out, err));
    }
}
