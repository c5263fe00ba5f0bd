package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A 16 MiB migration through the {@code source} and {@code dest} commands in this JVM (the
 * background stream capped at 8 MiB/s, 2 vCPUs): the dest command's exit code, what both
 * printed, the destination's JSON summary, and how long the dest command ran as the test
 * measured it.
 */
record CommandMigration(int code, String transcript, String destOut, JsonNode summary, long destWallNs) {
    /** How long the dest command may run before the test calls it hung. */
    static final Duration DEST_BOUND = Duration.ofSeconds(150);

    /** Runs one with {@code seed}; {@code name} names its files in {@code dir}. Fails the test unless the JSON was written. */
    static CommandMigration run(Path dir, String name, long seed, List<String> sourceArgs, List<String> destArgs)
            throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        StringWriter sourceErr = new StringWriter();
        List<String> s = new ArrayList<>(List.of("source", "--listen", "127.0.0.1:0", "--guest-mem", "16M",
                "--max-bandwidth", "8M", "--seed", Long.toString(seed)));
        s.addAll(sourceArgs);
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr, s.toArray(String[]::new));
        String listening = sourceOut.line().get(60, TimeUnit.SECONDS);
        Path token = dir.resolve(name + ".token");
        Files.writeString(token, SourceDestInJvmTest.printedToken(sourceOut.toString()) + "\n");
        Path json = dir.resolve(name + ".json");
        List<String> d = new ArrayList<>(List.of("dest", "--connect",
                listening.substring("listening on ".length()).trim(), "--token-file", token.toString(), "--vcpus", "2",
                "--seed", Long.toString(seed), "--json", json.toString()));
        d.addAll(destArgs);
        StringWriter destOut = new StringWriter();
        StringWriter destErr = new StringWriter();
        long t0 = System.nanoTime();
        int code = assertTimeoutPreemptively(DEST_BOUND, () -> CliRun.execute(destOut, destErr, d.toArray(String[]::new)),
                "the destination hung");
        long destWallNs = System.nanoTime() - t0;
        sourceExit.get(120, TimeUnit.SECONDS);
        String transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        assertTrue(Files.size(json) > 0, transcript);
        JsonNode summary = SummaryPrinter.JSON.readTree(json.toFile());
        return new CommandMigration(code, transcript + "--- json ---\n" + summary.toPrettyString(), destOut.toString(),
                summary, destWallNs);
    }

    /** {@link #run} with seed 7, failing the test unless the dest command exits with {@code destExit}. */
    static CommandMigration expecting(int destExit, Path dir, String name, List<String> sourceArgs, List<String> destArgs)
            throws Exception {
        CommandMigration m = run(dir, name, 7, sourceArgs, destArgs);
        assertEquals(destExit, m.code(), m.transcript());
        return m;
    }
}
