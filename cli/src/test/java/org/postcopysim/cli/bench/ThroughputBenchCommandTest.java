package org.postcopysim.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.cli.docs.JsonDoc;

/** {@code bench throughput} end to end: the limit, a two-process migration per round, the report. */
class ThroughputBenchCommandTest {
    private static final Duration BOUND = Duration.ofMinutes(3);

    @TempDir
    Path tmp;

    @Test
    void twoRoundsAgainstTheNettyLimitReportBothRatesAndTheRatioWithTheDocumentedFields() throws Exception {
        Path json = tmp.resolve("throughput.json");
        BenchRun run = assertTimeoutPreemptively(BOUND, () -> BenchRun.of("bench", "throughput", "--guest-mem", "32M",
                "--rounds", "2", "--limit", "netty", "--limit-seconds", "1", "--seed", "5", "--json", json.toString()));
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("median") && l.endsWith("x")), run::toString);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        String context = run + "--- json ---\n" + s.toPrettyString();
        JsonDoc.assertDocumented(JsonDoc.benchThroughput(), s);
        assertEquals("netty", s.path("limit").path("tool").asText(), context);
        assertEquals(2, s.path("stream").path("runs").size(), context);
        for (int i = 0; i < 2; i++) {
            double limit = s.path("limit").path("bytesPerSec").get(i).asDouble();
            JsonNode r = s.path("stream").path("runs").get(i);
            assertTrue(limit > 0 && r.path("bytesPerSec").asDouble() > 0, context);
            assertEquals(8192, r.path("pagesTotal").asLong(), context);
            assertEquals(0, r.path("crcFailures").asLong(), context);
            assertEquals(r.path("bytesPerSec").asDouble() / limit, s.path("ratios").get(i).asDouble(), 1e-9, context);
        }
        assertTrue(s.path("ratio").asDouble() > 0, context);
        assertTrue(s.path("withinMinRatio").asBoolean(), context);
    }

    /** .ci/run installs iperf3; a machine without it skips this (the netty limit above runs everywhere). */
    @Test
    void iperf3IsTheLimitWhenItIsInstalled() throws Exception {
        Assumptions.assumeTrue(Iperf3Limit.find(new ObjectMapper()) != null, "no iperf3 on PATH");
        Path json = tmp.resolve("throughput.json");
        BenchRun run = assertTimeoutPreemptively(BOUND, () -> BenchRun.of("bench", "throughput", "--guest-mem", "8M",
                "--rounds", "1", "--limit-seconds", "1", "--seed", "7", "--json", json.toString()));
        assertEquals(0, run.exitCode(), run::toString);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        assertEquals("iperf3", s.path("limit").path("tool").asText(), run::toString);
        assertTrue(s.path("limit").path("medianBytesPerSec").asDouble() > 0, run::toString);
    }

    @Test
    void exitsOneWhenTheRatioIsBelowMinRatio() throws Exception {
        Path json = tmp.resolve("throughput.json");
        BenchRun run = assertTimeoutPreemptively(BOUND, () -> BenchRun.of("bench", "throughput", "--guest-mem", "8M",
                "--rounds", "1", "--limit", "netty", "--limit-seconds", "1", "--min-ratio", "1000", "--seed", "6",
                "--json", json.toString()));
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.out().contains("is below --min-ratio 1000"), run::toString);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        assertFalse(s.path("withinMinRatio").asBoolean(), run::toString);
        assertEquals(1000, s.path("minRatio").asDouble(), 0.0);
    }

    @Test
    void badOptionsAreUsageErrorsBeforeAnythingRuns() {
        for (String[] bad : new String[][] {{"--rounds", "0"}, {"--limit-seconds", "0"}, {"--min-ratio", "-1"},
                {"--limit", "ping"}, {"--guest-mem", "5000"}}) {
            String[] args = new String[bad.length + 2];
            args[0] = "bench";
            args[1] = "throughput";
            System.arraycopy(bad, 0, args, 2, bad.length);
            BenchRun run = BenchRun.of(args);
            assertEquals(2, run.exitCode(), String.join(" ", bad) + "\n" + run);
        }
        assertFalse(Files.exists(tmp.resolve("throughput.json")));
    }
}
