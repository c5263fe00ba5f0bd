package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ExitCode;

/** {@code --memslot-gap} on {@code source} and {@code demo}: refused unless whole pages, and a gapped guest migrates. */
class MemslotGapCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aGapThatIsNotWholePagesIsAUsageError() {
        for (String[] args : new String[][] {
            {"source", "--listen", "127.0.0.1:0", "--memslot-gap", "4097"},
            {"source", "--listen", "127.0.0.1:0", "--memslot-gap", "2T"},
            {"demo", "--memslot-gap", "6K"},
        }) {
            CliRun run = CliRun.of(args);
            assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
            String first = run.err().lines().findFirst().orElse("");
            assertTrue(first.contains("'--memslot-gap'") && first.contains("multiple of 4 KiB"), run::toString);
            assertEquals("", run.out(), run::toString);
        }
    }

    @Test
    void bothCommandsSayWhatTheGapIs() {
        for (String command : new String[] {"source", "demo"}) {
            CliRun run = CliRun.of(command, "--help");
            assertTrue(run.out().contains("--memslot-gap=SIZE"), run::toString);
        }
    }

    @Test
    void aSourceWithGapsBetweenItsMemslotsMigratesToTheDestCommandAndVerifies() throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        StringWriter sourceErr = new StringWriter();
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr, "source", "--listen",
                "127.0.0.1:0", "--guest-mem", "8M", "--memslots", "3", "--memslot-gap", "1076K", "--seed", "8",
                "--max-bandwidth", "4M");
        String listening = sourceOut.line().get(60, TimeUnit.SECONDS);
        String address = listening.substring("listening on ".length()).trim();
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, SourceDestInJvmTest.printedToken(sourceOut.toString()) + "\n");
        Path json = tmp.resolve("gapped.json");
        LineWatcher destOut = new LineWatcher("migration verified");
        StringWriter destErr = new StringWriter();
        CompletableFuture<Integer> destExit = CliRun.async("test-dest", destOut, destErr, "dest", "--connect", address,
                "--token-file", tokenFile.toString(), "--vcpus", "2", "--seed", "8", "--json", json.toString());
        int destCode = destExit.get(120, TimeUnit.SECONDS);
        int sourceCode = sourceExit.get(120, TimeUnit.SECONDS);
        String transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        assertEquals(0, destCode, transcript);
        assertEquals(0, sourceCode, transcript);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        assertTrue(s.path("verified").asBoolean(), transcript);
        assertEquals(3, s.path("memslots").asInt(), transcript);
        assertEquals(2048, s.path("pagesVerified").asLong(), transcript);
        assertEquals(0, s.path("staleReads").asLong(), transcript);
    }

}
