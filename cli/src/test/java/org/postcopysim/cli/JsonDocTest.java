package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.cli.docs.JsonDoc;

/**
 * The JSON that {@code dest} and {@code fault-bench} write has exactly the fields docs/json.md
 * lists for them (demo's and compare's are checked where those run: DemoTwoProcessTest,
 * CompareEndToEndTest), and the fault-path configuration a summary reports is the run's.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class JsonDocTest {
    @TempDir
    Path tmp;

    @Test
    void destWritesTheDocumentedFieldsWhenItVerifiesAndWhenItFails() throws Exception {
        // A uffd run that verifies, and a run whose link drops with reconnecting off (missing pages named).
        JsonNode verified = migrate("verified", List.of(), List.of("--fault-mode", "uffd", "--uffd-readers", "2"), 0);
        JsonNode failed = migrate("failed", List.of("--chaos", "disconnect@30%", "--recovery-deadline", "1"),
                List.of("--no-reconnect"), 1);
        assertFalse(failed.path("verified").asBoolean(), failed::toPrettyString);
        assertTrue(failed.path("missingGfnRanges").size() > 0, failed::toPrettyString);
        // Precopy first: the rounds are listed.
        JsonNode precopy = migrate("precopy", List.of("--precopy-rounds", "2"), List.of("--access-rate", "20000"), 0);
        assertEquals(2, precopy.path("precopyRoundStats").size(), precopy::toPrettyString);
        JsonDoc.assertDocumented(JsonDoc.dest(), verified, failed, precopy);
    }

    @Test
    void destReportsItsFaultPathConfigurationAsFaultBenchDoes() throws Exception {
        JsonNode dest = migrate("uffd", List.of(), List.of("--fault-mode", "uffd", "--uffd-readers", "2",
                "--uffd-scope", "per-vcpu", "--access", "partitioned"), 0);
        JsonNode bench = faultBench("uffd", "--uffd-readers", "2", "--uffd-scope", "per-vcpu");
        for (JsonNode s : List.of(dest, bench)) {
            assertEquals("uffd", s.path("mode").asText(), s::toPrettyString);
            assertEquals(2, s.path("readers").asInt(), s::toPrettyString);
            assertEquals("per-vcpu", s.path("uffdScope").asText(), s::toPrettyString);
            assertEquals("partitioned", s.path("access").asText(), s::toPrettyString);
            assertTrue(s.path("uffd").path("wakes").asLong() > 0, s::toPrettyString);
            assertTrue(s.path("uffd").path("waitersVisitedPerWake").path("max").asLong() >= 1, s::toPrettyString);
        }
    }

    @Test
    void faultBenchWritesTheDocumentedFieldsInEveryKindOfMode() throws Exception {
        java.util.List<JsonNode> outputs = new java.util.ArrayList<>(List.of(faultBench("uffd"), faultBench("kvm-userfault"),
                faultBench("uffd", "--backend", "sim")));
        if (org.postcopysim.kernel.KernelSupport.unavailableReason(org.postcopysim.kernel.Uffd.Registration.MISSING) == null) {
            outputs.add(faultBench("uffd", "--backend", "kernel"));
        }
        JsonDoc.assertDocumented(JsonDoc.faultBench(), outputs.toArray(JsonNode[]::new));
    }

    private JsonNode faultBench(String mode, String... more) throws Exception {
        Path json = tmp.resolve("bench-" + mode + "-" + String.join("", more).replace("-", "") + ".json");
        List<String> args = new java.util.ArrayList<>(List.of("fault-bench", "--fault-mode", mode, "--vcpus", "2",
                "--mem-per-vcpu", "2M", "--warmup-mem", "0", "--seed", "3", "--json", json.toString()));
        args.addAll(List.of(more));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run::toString);
        return SummaryPrinter.JSON.readTree(json.toFile());
    }

    /** A 16 MiB migration through the source and dest commands; the destination's JSON summary. */
    private JsonNode migrate(String name, List<String> sourceArgs, List<String> destArgs, int destExit) throws Exception {
        return CommandMigration.expecting(destExit, tmp, name, sourceArgs, destArgs).summary();
    }
}
