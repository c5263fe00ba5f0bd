package org.postcopysim.cli;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintWriter;
import java.util.Locale;
import org.postcopysim.dest.DestMetrics;

/**
 * Progress of a migration (pages present), read from the registry's gauges so it needs no hook
 * into the migration: a bar on stderr (only on a terminal, unless told otherwise), or lines on
 * stdout for a parent process ({@code demo} draws its own bar from them). {@link #close} returns
 * once nothing more will be drawn: the bar is erased, the last line printed.
 */
final class MigrationProgress implements AutoCloseable {
    /** The start of each progress line: "progress: 1234/65536 pages". */
    static final String LINE_PREFIX = "progress: ";

    /** When to show progress: a bar on a terminal only (auto), a bar always, never, or as lines on stdout. */
    enum When { AUTO, ALWAYS, NEVER, LINES }

    private final MeterRegistry registry;
    private final When when;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Thread poller;
    /** Bar modes: the line the bar is drawn on, which the logs (System.err) step around meanwhile. */
    private final StatusLine line;
    private final StatusLine.SystemErrRoute logs;
    private volatile boolean done;
    /** Made by the poller once the migration knows its page count; closed by {@link #close} after the poller ended. */
    private volatile TerminalBar bar;
    private long printed = -1;

    private MigrationProgress(When when, MeterRegistry registry, PrintWriter out, PrintWriter err) {
        this.when = when;
        this.registry = registry;
        this.out = out;
        this.err = err;
        line = when == When.LINES ? null : new StatusLine(err);
        logs = line == null ? null : line.routeSystemErr(err);
        this.poller = new Thread(this::run, "progress");
        poller.setDaemon(true);
        poller.start();
    }

    /** Starts showing progress if {@code when} says so; otherwise returns null. Bars go to {@code err}, lines to {@code out}. */
    static MigrationProgress start(When when, MeterRegistry registry, PrintWriter out, PrintWriter err) {
        boolean show = when == When.ALWAYS || when == When.LINES || (when == When.AUTO && Terminal.stderrIsTerminal());
        return show ? new MigrationProgress(when, registry, out, err) : null;
    }

    /** The present and total page counts of a progress line, or null when {@code line} is none. */
    static long[] parseLine(String line) {
        if (!line.startsWith(LINE_PREFIX) || !line.endsWith(" pages")) return null;
        String[] parts = line.substring(LINE_PREFIX.length(), line.length() - " pages".length()).split("/");
        try {
            return parts.length == 2 ? new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])} : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void run() {
        try {
            while (!done) {
                Gauge total = registry.find(DestMetrics.PAGES_TOTAL).gauge();
                Gauge present = registry.find(DestMetrics.PAGES_PRESENT).gauge();
                if (total != null && present != null) show((long) present.value(), (long) total.value());
                Thread.sleep(TerminalBar.REFRESH_MS);
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private void show(long present, long total) {
        if (when == When.LINES) {
            if (present == printed) return;
            printed = present;
            synchronized (out) {
                out.printf(Locale.ROOT, "%s%d/%d pages%n", LINE_PREFIX, present, total);
                out.flush();
            }
            return;
        }
        if (bar == null) bar = TerminalBar.open(line, "pages present", total, "pages");
        bar.stepTo(present);
    }

    /**
     * Stops the poller, hands System.err back, then erases the bar; returns once nothing more will
     * be drawn or printed.
     */
    @Override
    public void close() {
        done = true;
        poller.interrupt();
        boolean interrupted = false;
        while (poller.isAlive()) {
            try {
                poller.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (line != null) {
            logs.close();
            TerminalBar b = bar;
            if (b != null) b.close();
            line.close();
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
