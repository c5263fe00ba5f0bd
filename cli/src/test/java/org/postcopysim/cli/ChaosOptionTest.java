package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postcopysim.protocol.chaos.ChaosState;
import picocli.CommandLine.ExitCode;

/** {@code --chaos} on source, dest and demo: bad specs are usage errors; a good one is printed with its seed and runs. */
class ChaosOptionTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "source|bogus:1|unknown chaos term 'bogus:1'",
        "dest|disconnect@150%|'disconnect@150%': percentage must be within 0..100",
        "demo|corrupt:1.5|'corrupt:1.5': rate must be within 0..1",
        "source|duplicate:-0.2|'duplicate:-0.2': rate must be within 0..1",
    })
    void aBadSpecIsAUsageErrorNamingTheTerm(String command, String spec, String expected) {
        CliRun run = command.equals("dest") ? CliRun.of("dest", "--connect", "127.0.0.1:1", "--chaos", spec)
                : CliRun.of(command, "--chaos", spec);
        assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
        String first = run.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("Invalid value for option '--chaos': "), run::toString);
        assertTrue(first.contains(expected), run::toString);
        assertFalse(run.err().contains("\tat "), run::toString);
        assertEquals("", run.out(), run::toString);
    }

    @Test
    void bothSidesPrintTheirSpecAndSeedAndTheMigrationVerifies() throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        StringWriter sourceErr = new StringWriter();
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr, "source", "--listen",
                "127.0.0.1:0", "--guest-mem", "8M", "--max-bandwidth", "4M", "--seed", "42", "--chaos", "corrupt:0.05, delay:1");
        String listening = sourceOut.line().get(60, TimeUnit.SECONDS);
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, SourceDestInJvmTest.printedToken(sourceOut.toString()) + "\n");
        LineWatcher destOut = new LineWatcher("migration verified");
        StringWriter destErr = new StringWriter();
        CompletableFuture<Integer> destExit = CliRun.async("test-dest", destOut, destErr, "dest", "--connect",
                listening.substring("listening on ".length()).trim(), "--token-file", tokenFile.toString(),
                "--vcpus", "2", "--seed", "42", "--chaos", "duplicate:0.1",
                // duplicates of corrupted frames count as bad copies too: room for a few
                "--page-retries", "10");
        int destCode = destExit.get(120, TimeUnit.SECONDS);
        int sourceCode = sourceExit.get(120, TimeUnit.SECONDS);
        String transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        assertEquals(0, destCode, transcript);
        assertEquals(0, sourceCode, transcript);
        long chaosSeed = ChaosState.seedOf(42);
        assertTrue(sourceOut.toString().contains("chaos: delay:1,corrupt:0.05 (seed " + chaosSeed + ")"), transcript);
        assertTrue(sourceOut.toString().contains("source: chaos delay:1,corrupt:0.05 (seed " + chaosSeed + "): "), transcript);
        assertTrue(destOut.toString().contains("chaos: duplicate:0.1 (seed " + chaosSeed + ")"), transcript);
        assertTrue(destOut.toString().contains("  chaos     duplicate:0.1 (seed " + chaosSeed + "): "), transcript);
    }

}
