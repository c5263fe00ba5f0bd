package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guest memory lives off the Java heap: a 1 GiB guest migrates with every JVM (the demo and its
 * two children, which inherit JAVA_OPTS) capped at a 256 MiB heap.
 */
class OffHeapGuestTest {
    @Test
    void aOneGibGuestMigratesWithEveryJvmAtXmx256m(@TempDir Path dir) throws IOException, InterruptedException {
        Path json = dir.resolve("summary.json");
        Path output = dir.resolve("out.txt");
        ProcessBuilder pb = new ProcessBuilder(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "demo", "--guest-mem", "1G", "--vcpus", "2", "--max-bandwidth", "0", "--seed", "9",
                "--json", json.toString()))
                .redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().put("JAVA_OPTS", "-Xmx256m");
        Process p = pb.start();
        boolean done = p.waitFor(180, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly().waitFor();
        String out = Files.readString(output, StandardCharsets.UTF_8);
        assertTrue(done, "demo did not finish in 180 s:\n" + out);
        assertEquals(0, p.exitValue(), out);
        var summary = SummaryPrinter.JSON.readTree(json.toFile());
        assertEquals(262144, summary.path("pagesVerified").asLong(), out);
        assertEquals(1L << 30, summary.path("guestBytes").asLong());
        assertEquals(0, summary.path("pageMismatches").asLong());
    }
}
