package org.postcopysim.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * The last line of a terminal, kept for a status (a progress bar) that every other line printed
 * meanwhile steps around: the status is erased, the line printed on a clean line, the status drawn
 * again below it. Nothing is ever glued onto the status, and once {@link #close closed} the status
 * is erased for good and never drawn again, so what comes next (a summary) starts on a clean line.
 * The status is redrawn with a carriage return only; it never moves the cursor up, so it cannot
 * overwrite a line printed above it.
 */
public final class StatusLine implements AutoCloseable {
    private final PrintWriter terminal;
    private String status = "";
    /** Characters of the status on the screen now (0: the cursor is at the start of a clean line). */
    private int drawnChars;
    private boolean closed;

    /** A status line drawn on {@code terminal} (stderr). */
    public StatusLine(PrintWriter terminal) {
        this.terminal = terminal;
    }

    /** Draws {@code text} as the status, replacing the one shown; ignored once closed. */
    public synchronized void show(String text) {
        if (closed) return;
        status = text;
        draw();
    }

    /** Prints {@code line} on {@code target} on a clean line above the status. */
    public synchronized void println(PrintWriter target, String line) {
        erase();
        target.println(line);
        target.flush();
        if (!closed) draw();
    }

    /** A writer whose every complete line goes to {@link #println}{@code (target, line)}. */
    public PrintWriter linesTo(PrintWriter target) {
        return new PrintWriter(new LineWriter(this, target), true);
    }

    /**
     * A stream whose every complete line (UTF-8) goes to {@link #println}{@code (target, line)}:
     * set as {@code System.err} while the status is shown, the logs step around it too.
     */
    public PrintStream lineStream(PrintWriter target) {
        return new PrintStream(new LineOutputStream(this, target), true, StandardCharsets.UTF_8);
    }

    /**
     * Sets System.err (where the logs go) to {@link #lineStream}{@code (target)} until the returned
     * handle is closed, which puts the previous one back and prints a last partial line, if any.
     */
    public SystemErrRoute routeSystemErr(PrintWriter target) {
        return new SystemErrRoute(lineStream(target));
    }

    /** System.err through a status line, until closed. */
    public static final class SystemErrRoute implements AutoCloseable {
        private final PrintStream previous = System.err;
        private final PrintStream relay;

        private SystemErrRoute(PrintStream relay) {
            this.relay = relay;
            System.setErr(relay);
        }

        @Override
        public void close() {
            if (System.err == relay) System.setErr(previous);
            relay.close();
        }
    }

    /** Erases the status for good. Idempotent. */
    @Override
    public synchronized void close() {
        erase();
        closed = true;
    }

    private void draw() {
        if (status.isEmpty() && drawnChars == 0) return; // nothing to draw, nothing to wipe
        StringBuilder b = new StringBuilder(1 + Math.max(status.length(), drawnChars)).append('\r').append(status);
        for (int i = status.length(); i < drawnChars; i++) b.append(' '); // what is left of a longer status
        terminal.print(b);
        terminal.flush();
        drawnChars = status.length();
    }

    private void erase() {
        if (drawnChars == 0) return;
        terminal.print("\r" + " ".repeat(drawnChars) + "\r");
        terminal.flush();
        drawnChars = 0;
    }

    /** Collects bytes into lines for {@link #println}. */
    private static final class LineOutputStream extends OutputStream {
        private final StatusLine status;
        private final PrintWriter target;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        LineOutputStream(StatusLine status, PrintWriter target) {
            this.status = status;
            this.target = target;
        }

        @Override
        public synchronized void write(int b) {
            if (b != '\n') {
                pending.write(b);
                return;
            }
            String line = pending.toString(StandardCharsets.UTF_8);
            pending.reset();
            status.println(target, line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        }

        @Override
        public synchronized void close() {
            if (pending.size() > 0) status.println(target, pending.toString(StandardCharsets.UTF_8));
            pending.reset();
        }
    }

    /** Collects characters into lines for {@link #println}. */
    private static final class LineWriter extends Writer {
        private final StatusLine status;
        private final PrintWriter target;
        private final StringBuilder pending = new StringBuilder();

        LineWriter(StatusLine status, PrintWriter target) {
            this.status = status;
            this.target = target;
        }

        @Override
        public synchronized void write(char[] cbuf, int off, int len) {
            for (int i = off; i < off + len; i++) {
                char c = cbuf[i];
                if (c == '\n') {
                    int end = pending.length() > 0 && pending.charAt(pending.length() - 1) == '\r' ? pending.length() - 1 : pending.length();
                    status.println(target, pending.substring(0, end));
                    pending.setLength(0);
                } else {
                    pending.append(c);
                }
            }
        }

        @Override
        public void flush() {
            // a partial line waits for its end: printed now it would be glued to the status
        }

        @Override
        public synchronized void close() {
            if (pending.length() > 0) status.println(target, pending.toString());
            pending.setLength(0);
        }
    }
}
