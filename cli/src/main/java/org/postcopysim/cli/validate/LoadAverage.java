package org.postcopysim.cli.validate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This machine's load average as /proc/loadavg gives it (1, 5, 15 minutes), or "unknown". */
final class LoadAverage {
    private LoadAverage() {
    }

    static String text() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
