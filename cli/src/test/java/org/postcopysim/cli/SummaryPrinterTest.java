package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.RecordComponent;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.dest.DestConfig;
import org.postcopysim.dest.DestVm;
import org.postcopysim.dest.MigrationSummary;

/** The human summary's lines for runs that did not end well: no source reached, pages missing, recoveries. */
class SummaryPrinterTest {
    /** A real summary of a destination that found no source: it never resumed. */
    private static MigrationSummary neverResumed() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nobody listens there
        }
        DestConfig config = DestConfig.builder("127.0.0.1", port).vcpus(1).accessesPerSecPerVcpu(1000).maxPageRetries(1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        return DestVm.run(config, new SimpleMeterRegistry());
    }

    /** {@code s} with the named components replaced. */
    private static MigrationSummary with(MigrationSummary s, Map<String, Object> values) throws Exception {
        RecordComponent[] components = MigrationSummary.class.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            args[i] = values.containsKey(components[i].getName()) ? values.get(components[i].getName())
                    : components[i].getAccessor().invoke(s);
        }
        return MigrationSummary.class.getDeclaredConstructor(types).newInstance(args);
    }

    private static String print(MigrationSummary s) {
        StringWriter w = new StringWriter();
        SummaryPrinter.print(new PrintWriter(w), s);
        return w.toString();
    }

    @Test
    void aDestinationThatNeverReachedTheSourcePrintsTheErrorAndNoSummaryOfZeros() throws Exception {
        String out = print(neverResumed());
        List<String> lines = out.lines().toList();
        assertEquals(1, lines.size(), out);
        assertTrue(lines.get(0).startsWith("migration FAILED: cannot connect to the source at 127.0.0.1:"), out);
        assertTrue(lines.get(0).endsWith(": Connection refused"), out);
    }

    @Test
    void theDestCommandSaysWhyInOneLineAndStillWritesTheJson(@TempDir Path tmp) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path json = tmp.resolve("failed.json");
        CliRun run = CliRun.of("dest", "--connect", "127.0.0.1:" + port, "--seed", "9", "--timeout", "2", "--json", json.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(List.of("seed: 9", "migration FAILED: cannot connect to the source at 127.0.0.1:" + port + ": Connection refused"),
                run.out().lines().toList(), run::toString);
        JsonNode j = SummaryPrinter.JSON.readTree(json.toFile());
        assertFalse(j.path("verified").asBoolean(true), j::toPrettyString);
        assertTrue(j.path("error").asText().startsWith("cannot connect to the source"), j::toPrettyString);
        assertEquals(9, j.path("seed").asLong(), j::toPrettyString);
    }

    @Test
    void countsOfOneAreSingular() throws Exception {
        Map<String, Object> ones = new java.util.HashMap<>(Map.of("pagesTotal", 4096L, "vcpus", 1, "memslots", 1,
                "pagesMissing", 1L, "missingGfnRanges", List.of(new MigrationSummary.GfnRange(7, 7)), "pageMismatches", 1L,
                "blocktime", new MigrationSummary.Blocktime(5_000_000, new long[] {5_000_000})));
        ones.putAll(Map.of("exits", 1L, "demandFaults", 1L, "duplicatePages", 1L, "crcFailures", 1L, "guestReads", 1L,
                "guestWrites", 1L, "staleReads", 1L, "hugeMappingsRecovered", 1L,
                "faultLatencyNs", new MigrationSummary.Latency(1, 5, 5, 5, 5, 5, 5, 5)));
        MigrationSummary s = with(neverResumed(), ones);
        String out = print(s);
        assertTrue(out.contains("in 1 memslot, 1 vCPU, workload"), out);
        assertTrue(out.contains("blocktime 5.0 ms with the only vCPU blocked at once"), out);
        assertTrue(out.contains("until the migration stopped with 1 page missing"), out);
        assertTrue(out.contains("missing   1 page in 1 gfn range: 0x7"), out);
        assertTrue(out.contains("verified 0/4096 pages, 1 mismatch"), out);
        assertTrue(out.contains("faults    1 exit: 1 demand request, 0 redundant"), out);
        assertTrue(out.contains("1 duplicate copy dropped (EEXIST), 1 CRC32C failure"), out);
        assertTrue(out.contains("over 1 fault"), out);
        assertTrue(out.contains("guest     1 read checked, 1 write, 1 stale read"), out);
        assertTrue(out.contains("stage-2   1 huge mapping rebuilt"), out);
        assertFalse(out.matches("(?s).*\\b1 [A-Za-z0-9 -]*?(vCPUs|memslots|pages|ranges|mismatches|exits|requests|copies|failures|faults|reads|writes|mappings)\\b.*"), out);
    }

    @Test
    void missingPagesAndRecoveriesAreNamed() throws Exception {
        List<MigrationSummary.GfnRange> ranges = new java.util.ArrayList<>();
        for (long g = 0; g < 20; g++) ranges.add(new MigrationSummary.GfnRange(10 * g, 10 * g + (g % 2)));
        MigrationSummary s = with(neverResumed(), Map.of("pagesTotal", 8192L, "pagesMissing", 30L,
                "missingGfnRanges", ranges, "recoveries", 1L, "pausedMs", 0L, "stalls", 3L));
        String out = print(s);
        assertTrue(out.contains("until the migration stopped with 30 pages missing"), out);
        assertTrue(out.contains("missing   30 pages in 20 gfn ranges: 0x0 0xa-0xb 0x14 "), out);
        assertTrue(out.contains("... (every range in --json)"), out);
        assertTrue(out.contains("recovery  1 link recovery, never paused, 3 vCPU stalls"), out);
    }
}
