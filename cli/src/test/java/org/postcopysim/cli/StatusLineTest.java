package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusLineTest {
    private final StringWriter screen = new StringWriter();
    private final PrintWriter out = new PrintWriter(screen, true);
    private final PrintWriter err = new PrintWriter(screen, true);

    @Test
    void linesPrintedMeanwhileStepAroundTheStatusAndCloseErasesIt() {
        StatusLine line = new StatusLine(err);
        line.show("[=====     ] 50%");
        line.println(out, "source| source: migration verified");
        assertEquals(List.of("source| source: migration verified", "[=====     ] 50%"), VirtualScreen.render(screen.toString()));
        line.show("[==] 9%"); // a shorter status leaves nothing of the longer one
        assertEquals(List.of("source| source: migration verified", "[==] 9%"), VirtualScreen.render(screen.toString()));
        line.close();
        line.show("[==========] 100%"); // a late draw after close is ignored
        out.println("summary");
        assertEquals(List.of("source| source: migration verified", "summary"), VirtualScreen.render(screen.toString()));
    }

    @Test
    void writersAndStreamsPassCompleteLines() {
        StatusLine line = new StatusLine(err);
        line.show("bar");
        PrintWriter lines = line.linesTo(out);
        lines.print("half a ");
        lines.println("line");
        java.io.PrintStream logs = line.lineStream(err);
        logs.print("12:00 WARN a log ");
        logs.println("line");
        line.close();
        assertEquals(List.of("half a line", "12:00 WARN a log line"), VirtualScreen.render(screen.toString()));
    }
}
