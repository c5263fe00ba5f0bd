package org.postcopysim.cli;

import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * Everything {@code demo} shows, from itself and from its two children, on one console: each
 * child's stdout echoed with its name, their stderr (logs) passed on, and, when progress is shown,
 * one bar of pages present drawn from the destination's progress lines, which every other line
 * steps around (see {@link StatusLine}). The bar ends, erased, at the destination's first line
 * after it (its summary), so no result is ever printed on or under it.
 */
final class DemoRelay implements AutoCloseable {
    private final PrintWriter out;
    private final PrintWriter err;
    /** Null when no progress is shown: then lines are printed as they come. */
    private final StatusLine line;
    private TerminalBar bar;
    private boolean barEnded;

    /** @param showProgress whether to draw the bar (on {@code err}) */
    DemoRelay(PrintWriter out, PrintWriter err, boolean showProgress) {
        this.out = out;
        this.err = err;
        this.line = showProgress ? new StatusLine(err) : null;
    }

    /** Prints one of demo's own lines. */
    void say(String text) {
        println(out, text);
    }

    /** The sink of the source's stdout. */
    Consumer<String> sourceOut() {
        return text -> println(out, ChildJvm.prefixed("source", text));
    }

    /** The sink of the destination's stdout: progress lines move the bar, every other line is echoed. */
    Consumer<String> destOut() {
        return text -> {
            long[] progress = MigrationProgress.parseLine(text);
            if (progress != null) {
                progress(progress[0], progress[1]);
            } else {
                endBarIfShown(); // its summary: the migration is over
                println(out, ChildJvm.prefixed("dest", text));
            }
        };
    }

    /** The sink of either child's stderr (their logs). */
    Consumer<String> childErr() {
        return text -> println(err, text);
    }

    private synchronized void progress(long present, long total) {
        if (line == null || barEnded) return;
        if (bar == null) bar = TerminalBar.open(line, "pages present", total, "pages");
        bar.stepTo(present);
    }

    private synchronized void endBarIfShown() {
        if (bar != null) endBar();
    }

    private synchronized void endBar() {
        if (bar != null && !barEnded) bar.close();
        barEnded = true;
    }

    private void println(PrintWriter target, String text) {
        if (line != null) {
            line.println(target, text);
            return;
        }
        synchronized (target) {
            target.println(text);
            target.flush();
        }
    }

    /** Erases the bar for good (before the demo's own summary). */
    @Override
    public void close() {
        endBar();
        if (line != null) line.close();
    }
}
