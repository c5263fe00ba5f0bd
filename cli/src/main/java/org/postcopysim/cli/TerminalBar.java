package org.postcopysim.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on a {@link StatusLine}: the progressbar library renders it (rate, ETA) on its
 * own refresh thread; the status line draws it, so lines printed through {@link #println} or
 * {@link #linesTo} step around it. {@link #close} returns only once the bar is erased for good.
 */
public final class TerminalBar implements AutoCloseable {
    /** Time between two redraws of a bar (ms). */
    public static final int REFRESH_MS = 200;

    private final StatusLine line;
    private final ProgressBar bar;
    private boolean closed;

    private TerminalBar(StatusLine line, ProgressBar bar) {
        this.line = line;
        this.bar = bar;
    }

    /** A bar named {@code task} from 0 to {@code max} {@code unit}s ("pages"), drawn on {@code terminal}. */
    public static TerminalBar open(PrintWriter terminal, String task, long max, String unit) {
        return open(new StatusLine(terminal), task, max, unit);
    }

    /** The same bar, drawn on {@code line}; closing the bar closes the line. */
    public static TerminalBar open(StatusLine line, String task, long max, String unit) {
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(REFRESH_MS).setUnit(" " + unit, 1)
                .continuousUpdate().setConsumer(new DelegatingProgressBarConsumer(line::show)).build();
        return new TerminalBar(line, bar);
    }

    public void stepTo(long n) {
        bar.stepTo(n);
    }

    public void setExtraMessage(String message) {
        bar.setExtraMessage(message);
    }

    /** Prints {@code text} on {@code target} on a clean line above the bar. */
    public void println(PrintWriter target, String text) {
        line.println(target, text);
    }

    /** A writer whose complete lines go to {@code target} above the bar. */
    public PrintWriter linesTo(PrintWriter target) {
        return line.linesTo(target);
    }

    /** Routes System.err (the logs) above the bar until the handle is closed; see {@link StatusLine#routeSystemErr}. */
    public StatusLine.SystemErrRoute routeSystemErr(PrintWriter terminal) {
        return line.routeSystemErr(terminal);
    }

    /**
     * Draws the bar a last time and erases it. The library's close waits for that last draw,
     * but returns at once, leaving it to come later, when the calling thread is interrupted; so
     * the interrupt is held back meanwhile, and the line is closed (nothing draws on it again).
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        boolean interrupted = Thread.interrupted();
        try {
            bar.close();
        } finally {
            line.close();
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
