package org.postcopysim.cli.compare;

import java.io.PrintWriter;
import java.util.function.Consumer;
import org.postcopysim.cli.TerminalBar;

/**
 * One step per finished run, drawn on stderr only on a terminal; does nothing otherwise. The
 * children's logs are printed above the bar, never glued onto it.
 */
final class CompareProgress implements AutoCloseable {
    private final TerminalBar bar;
    private final PrintWriter err;

    private CompareProgress(TerminalBar bar, PrintWriter err) {
        this.bar = bar;
        this.err = err;
    }

    /** A bar of {@code runs} steps on {@code err} when {@code show}, else one that draws nothing. */
    static CompareProgress start(boolean show, int runs, PrintWriter err) {
        return new CompareProgress(show ? TerminalBar.open(err, "compare", runs, "runs") : null, err);
    }

    /** Whether a bar is drawn (then the per-run lines on stdout are left out). */
    boolean shown() {
        return bar != null;
    }

    /** Where the children's stderr lines go: above the bar, or null (straight to ours) without one. */
    Consumer<String> childStderr() {
        return bar == null ? null : line -> bar.println(err, line);
    }

    /** Names the run now starting. */
    void starting(String label) {
        if (bar != null) bar.setExtraMessage(label);
    }

    void step(int done) {
        if (bar != null) bar.stepTo(done);
    }

    /** Erases the bar; returns once it is gone, before the table is printed. */
    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
