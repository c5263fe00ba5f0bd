package org.postcopysim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether progress may be drawn: bars go to stderr, so stderr must be a terminal. Java only tells
 * whether stdin and stdout are ({@link System#console()}); on Linux {@code /proc/self/fd/2} says
 * where stderr goes, so {@code dest ... 2>dest.log} on a terminal keeps bars out of the log.
 */
public final class Terminal {
    private Terminal() {}

    /** True when this process runs on a terminal and its stderr goes to one. */
    public static boolean stderrIsTerminal() {
        if (System.console() == null) return false;
        try {
            return isTerminalDevice(Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return true; // no /proc: trust the console check
        }
    }

    /** A terminal device path ("/dev/pts/3", "/dev/tty1"), not a file, pipe or socket. */
    static boolean isTerminalDevice(String target) {
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
    }
}
