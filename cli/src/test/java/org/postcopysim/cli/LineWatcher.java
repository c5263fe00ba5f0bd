package org.postcopysim.cli;

import java.io.Writer;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Writer} that keeps everything written to it and completes {@link #line()} with the
 * first complete line that starts with a prefix, so a test can await it with a bound.
 */
final class LineWatcher extends Writer {
    private final String prefix;
    private final CompletableFuture<String> line = new CompletableFuture<>();
    private final StringBuilder all = new StringBuilder();
    private int lineStart;

    LineWatcher(String prefix) {
        this.prefix = prefix;
    }

    /** Completes with the first line starting with the prefix (without its line terminator). */
    CompletableFuture<String> line() {
        return line;
    }

    @Override
    public synchronized void write(char[] cbuf, int off, int len) {
        for (int i = off; i < off + len; i++) {
            char c = cbuf[i];
            all.append(c);
            if (c == '\n') {
                String l = all.substring(lineStart, all.length() - 1);
                if (l.endsWith("\r")) l = l.substring(0, l.length() - 1);
                lineStart = all.length();
                if (l.startsWith(prefix)) line.complete(l);
            }
        }
    }

    /** Waits up to {@code timeoutMs} for a complete line starting with {@code linePrefix}; null when none came. */
    String awaitLine(String linePrefix, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        do {
            String text = toString();
            int end = text.lastIndexOf('\n');
            for (String l : (end < 0 ? "" : text.substring(0, end)).split("\n")) if (l.startsWith(linePrefix)) return l;
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        return null;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    @Override
    public synchronized String toString() {
        return all.toString();
    }
}
