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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench latency} end to end: a ping-pong server JVM, a two-process migration, the report. */
class LatencyBenchCommandTest {
    private static final Duration BOUND = Duration.ofMinutes(2);

    @TempDir
    Path tmp;

    @Test
    void shortRunMeasuresRoundTripAndFaultsAndWritesPositiveLatenciesAndRatios() throws Exception {
        Path json = tmp.resolve("latency.json");
        BenchRun run = assertTimeoutPreemptively(BOUND, () -> BenchRun.of("bench", "latency", "--iterations", "200",
                "--warmup", "50", "--guest-mem", "16M", "--saturated-guest-mem", "0", "--seed", "7", "--json", json.toString()));
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("raw 4 KiB round trip, caller parked")), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("demand fault (simulator)")), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("fault / raw round trip (parked)")), run::toString);
        assertTrue(run.err().lines().anyMatch(l -> l.startsWith("pong  | listening on 127.0.0.1:")), run::toString);

        JsonNode s = new ObjectMapper().readTree(json.toFile());
        String context = run + "--- json ---\n" + s.toPrettyString();
        assertEquals(7, s.path("seed").asLong(), context);
        assertEquals(200, s.path("raw").path("roundTripNs").path("count").asLong(), context);
        assertEquals(200, s.path("raw").path("eventLoopRoundTripNs").path("count").asLong(), context);
        assertEquals(100, s.path("raw").path("roundTripBeforeMigrationNs").path("count").asLong(), context);
        assertEquals(100, s.path("raw").path("roundTripAfterMigrationNs").path("count").asLong(), context);
        assertTrue(s.path("simulator").path("verified").asBoolean(), context);
        assertTrue(s.path("simulator").path("demandFaults").asLong() > 0, context);
        for (String p : new String[] {"p50", "p90", "p99"}) {
            assertTrue(s.path("raw").path("roundTripNs").path(p).asLong() > 0, p + "\n" + context);
            assertTrue(s.path("simulator").path("faultLatencyNs").path(p).asLong() > 0, p + "\n" + context);
            assertTrue(s.path("ratio").path(p).asDouble() > 0, p + "\n" + context);
            assertTrue(s.path("ratioToEventLoop").path(p).asDouble() > 0, p + "\n" + context);
        }
        assertFalse(s.path("transport").path("benchClient").asText().isEmpty(), context);
        assertTrue(s.path("withinMaxRatio").asBoolean(), context);
        assertTrue(s.path("saturated").isNull(), "--saturated-guest-mem 0 skips the saturated case\n" + context);
    }

    @Test
    void theSaturatedCaseFaultsWhileTheStreamRunsUncappedAndItsGateExitsOne() throws Exception {
        Path json = tmp.resolve("latency.json");
        BenchRun run = assertTimeoutPreemptively(BOUND, () -> BenchRun.of("bench", "latency", "--iterations", "100",
                "--warmup", "20", "--guest-mem", "4M", "--saturated-guest-mem", "64M", "--max-saturated-ratio", "0.0001",
                "--seed", "9", "--json", json.toString()));
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.out().contains("exceeds --max-saturated-ratio"), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("demand fault, stream saturated")), run::toString);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        String context = run + "--- json ---\n" + s.toPrettyString();
        JsonNode q = s.path("saturated");
        assertEquals(2, q.path("vcpus").asInt(), context);
        assertEquals(0, q.path("maxBackgroundBytesPerSec").asLong(), context);
        assertEquals(10, q.path("streamNice").asInt(), "the default --stream-nice\n" + context);
        assertTrue(q.path("verified").asBoolean(), context);
        assertTrue(q.path("demandFaults").asLong() > 0 && q.path("backgroundPages").asLong() > 0,
                "both demand faults and the stream\n" + context);
        for (String p : new String[] {"p50", "p90", "p99"}) {
            assertTrue(q.path("faultLatencyNs").path(p).asLong() > 0, p + "\n" + context);
            assertEquals((double) q.path("faultLatencyNs").path(p).asLong() / s.path("raw").path("roundTripNs").path(p).asLong(),
                    q.path("ratio").path(p).asDouble(), 1e-9, p + "\n" + context);
        }
        assertFalse(s.path("withinMaxSaturatedRatio").asBoolean(), context);
        assertTrue(s.path("withinMaxRatio").asBoolean(), "no --max-ratio: only the saturated gate failed\n" + context);
    }

    @Test
    void exitsOneWhenTheP50RatioExceedsMaxRatio() throws Exception {
        Path json = tmp.resolve("latency.json");
        BenchRun run = assertTimeoutPreemptively(BOUND, () -> BenchRun.of("bench", "latency", "--iterations", "50",
                "--warmup", "10", "--guest-mem", "1M", "--saturated-guest-mem", "0", "--seed", "8", "--max-ratio", "0.0001",
                "--json", json.toString()));
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.out().contains("exceeds --max-ratio"), run::toString);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        assertFalse(s.path("withinMaxRatio").asBoolean(), run::toString);
        assertEquals(0.0001, s.path("maxRatio").asDouble(), 0.0, run::toString);
    }

    @Test
    void rejectsNonPositiveMaxRatioAndZeroIterationsAsUsageErrorsBeforeStartingAnything() {
        BenchRun ratio = BenchRun.of("bench", "latency", "--max-ratio", "0");
        assertEquals(2, ratio.exitCode(), ratio::toString);
        assertTrue(ratio.err().contains("--max-ratio must be positive"), ratio::toString);
        BenchRun iterations = BenchRun.of("bench", "latency", "--iterations", "0");
        assertEquals(2, iterations.exitCode(), iterations::toString);
        BenchRun bench = BenchRun.of("bench");
        assertEquals(2, bench.exitCode(), bench::toString);
        assertFalse(Files.exists(tmp.resolve("latency.json")));
    }
}
