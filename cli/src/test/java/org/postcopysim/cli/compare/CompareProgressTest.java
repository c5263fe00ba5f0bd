package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.cli.TerminalBar;
import org.postcopysim.cli.VirtualScreen;

/** compare's bar: the children's logs go above it, and it is gone before the table. */
class CompareProgressTest {
    @Test
    void childLogsStepAroundTheBarAndTheTableStartsOnACleanScreen() throws Exception {
        StringWriter screen = new StringWriter();
        PrintWriter out = new PrintWriter(screen, true);
        PrintWriter err = new PrintWriter(screen, true);
        CompareProgress p = CompareProgress.start(true, 2, err);
        p.starting("uffd, 1 vCPU, repeat 0");
        for (int i = 0; i < 50 && !screen.toString().contains("compare"); i++) Thread.sleep(20);
        p.childStderr().accept("12:00:00.000 [main] WARN DestVm - a child's warning");
        p.step(1);
        p.close();
        out.println("mode  vCPUs  runs");
        Thread.sleep(4L * TerminalBar.REFRESH_MS);
        assertTrue(screen.toString().contains("compare"), "the bar was drawn: " + screen);
        assertEquals(List.of("12:00:00.000 [main] WARN DestVm - a child's warning", "mode  vCPUs  runs"),
                VirtualScreen.render(screen.toString()), screen::toString);
    }

    @Test
    void offATerminalNothingIsDrawnAndChildrenKeepOurStderr() {
        CompareProgress p = CompareProgress.start(false, 2, new PrintWriter(new StringWriter()));
        assertNull(p.childStderr());
        p.close();
    }
}
