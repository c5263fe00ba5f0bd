package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A 16 MiB migration through the {@code source} and {@code dest} commands in this JVM (the
 * background stream capped at 8 MiB/s, 2 vCPUs, seed 7): the destination's JSON summary, and
 * how long the dest command ran as the test measured it.
 */
record CommandMigration(JsonNode summary, long destWallNs) {
    /**
     * Runs one; {@code name} names its files in {@code dir}. Fails the test unless the dest command
     * exits with {@code destExit} and writes its JSON.
     */
    static CommandMigration run(Path dir, String name, List<String> sourceArgs, List<String> destArgs, int destExit)
            throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        StringWriter sourceErr = new StringWriter();
        List<String> s = new ArrayList<>(List.of("source", "--listen", "127.0.0.1:0", "--guest-mem", "16M",
                "--max-bandwidth", "8M", "--seed", "7"));
        s.addAll(sourceArgs);
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr, s.toArray(String[]::new));
        String listening = sourceOut.line().get(60, TimeUnit.SECONDS);
        Path token = dir.resolve(name + ".token");
        Files.writeString(token, SourceDestInJvmTest.printedToken(sourceOut.toString()) + "\n");
        Path json = dir.resolve(name + ".json");
        List<String> d = new ArrayList<>(List.of("dest", "--connect",
                listening.substring("listening on ".length()).trim(), "--token-file", token.toString(), "--vcpus", "2",
                "--seed", "7", "--json", json.toString()));
        d.addAll(destArgs);
        StringWriter destOut = new StringWriter();
        StringWriter destErr = new StringWriter();
        long t0 = System.nanoTime();
        int code = CliRun.execute(destOut, destErr, d.toArray(String[]::new));
        long destWallNs = System.nanoTime() - t0;
        sourceExit.get(120, TimeUnit.SECONDS);
        String transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        assertEquals(destExit, code, transcript);
        assertTrue(Files.size(json) > 0, transcript);
        JsonNode summary = SummaryPrinter.JSON.readTree(json.toFile());
        assertNotNull(summary, transcript);
        return new CommandMigration(summary, destWallNs);
    }
}
