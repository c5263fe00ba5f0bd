package org.postcopysim.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** What the code under test wrote to System.err (where slf4j-simple logs) while it ran. */
final class CapturedStderr {
    private CapturedStderr() {}

    /** Runs {@code body} with System.err captured; returns its result and the captured text. */
    static <T> Result<T> during(Supplier<T> body) {
        PrintStream original = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            T value = body.get();
            return new Result<>(value, bytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(original);
        }
    }

    record Result<T>(T value, String stderr) {}
}
