package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.cli.Main;
import org.postcopysim.sim.cost.Cost;
import picocli.CommandLine;

class SimulateCommandTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesCompareStyleResultsMarkedSimulatedAndTheSameSeedGivesTheSameTrace(@TempDir Path dir) throws Exception {
        String[] args = {"simulate", "--modes", "kvm-userfault,uffd", "--uffd-readers", "1,vcpus", "--vcpus", "2,4",
            "--mem-per-vcpu", "1M", "--seed", "9", "--out", dir.resolve("a").toString()};
        Run r = run(args);
        assertEquals(0, r.exit, r.out + r.err);
        assertTrue(r.out.contains("uffd:vcpus"), r.out);
        for (String f : new String[] {"results.csv", "results.json", "pages-per-sec.png", "fault-latency-cdf.png"}) {
            assertTrue(Files.size(dir.resolve("a").resolve(f)) > 0, f);
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("a/results.json").toFile());
        assertEquals(6, json.size(), "2 vCPU counts x (kvm-userfault, uffd:1, uffd:vcpus)");
        for (JsonNode rec : json) {
            assertTrue(rec.path("simulated").asBoolean(), rec.toString());
            for (String field : new String[] {"mode", "vcpus", "readers", "uffdScope", "pagesPerSecOverall",
                "pagesPerSecPerVcpu", "faultLatencyNs", "waitersVisitedPerWake", "events", "traceHash", "wallMs"}) {
                assertTrue(rec.has(field), field + " missing in " + rec);
            }
            for (String p : new String[] {"p50", "p90", "p99", "p999", "max"}) assertTrue(rec.path("faultLatencyNs").has(p));
            assertTrue(rec.path("pagesPerSecOverall").asDouble() > 0, rec.toString());
        }
        JsonNode uffdAll = json.get(5);
        assertEquals("uffd", uffdAll.path("mode").asText());
        assertEquals(4, uffdAll.path("readers").asInt(), "readers = vCPUs");

        args[args.length - 1] = dir.resolve("b").toString();
        assertEquals(0, run(args).exit);
        JsonNode again = new ObjectMapper().readTree(dir.resolve("b/results.json").toFile());
        for (int i = 0; i < json.size(); i++) {
            assertEquals(json.get(i).path("traceHash").asText(), again.get(i).path("traceHash").asText(), "record " + i);
        }
    }

    @Test
    void printCostsListsEveryCostWithItsUnitAndOrigin() {
        Run r = run("simulate", "--print-costs", "--host-cpus", "8");
        assertEquals(0, r.exit, r.err);
        for (Cost c : Cost.values()) assertTrue(r.out.contains(c.key() + " = "), c.key());
        assertTrue(r.out.contains("host-cpus = 8"), r.out);
        assertTrue(r.out.contains("set by --host-cpus"), r.out);
    }

    @Test
    void aCostFileOverridesCostsAndABadLineIsAUsageErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.costs");
        Files.writeString(good, "# a comment\nuffd-wake-per-waiter = 77\n");
        Run r = run("simulate", "--print-costs", "--cost-file", good.toString());
        assertEquals(0, r.exit, r.err);
        assertTrue(r.out.contains("uffd-wake-per-waiter = 77"), r.out);
        Path bad = dir.resolve("bad.costs");
        Files.writeString(bad, "uffd-wake-per-waiter = 77\nno-such-cost = 1\n");
        Run e = run("simulate", "--print-costs", "--cost-file", bad.toString());
        assertEquals(2, e.exit);
        assertTrue(e.err.contains("bad.costs:2") && e.err.contains("unknown cost 'no-such-cost'"), e.err);
        assertFalse(e.err.contains("\tat "), e.err);
    }

    @Test
    void refusesWhatItCannotRunBeforeRunningAnything(@TempDir Path dir) {
        String out = dir.toString();
        assertUsage("unknown mode 'bogus'", "simulate", "--modes", "bogus", "--out", out);
        assertUsage("none fetches nothing", "simulate", "--bench", "migration", "--modes", "none,uffd", "--out", out);
        assertUsage("neither 1..1024 nor 'vcpus'", "simulate", "--uffd-readers", "many", "--out", out);
        assertUsage("--out DIR is required", "simulate", "--modes", "uffd");
        assertUsage("outside 1..", "simulate", "--vcpus", "0", "--out", out);
        assertUsage("1 or 2", "simulate", "--bench", "migration", "--channels", "3", "--out", out);
    }

    private static void assertUsage(String expected, String... args) {
        Run r = run(args);
        assertEquals(2, r.exit, r.out + r.err);
        assertTrue(r.err.contains(expected), "expected '" + expected + "' in:\n" + r.err);
        assertFalse(r.err.contains("\tat "), r.err);
    }

    @Test
    void aMigrationRunsTheDefaultModesWithoutNone(@TempDir Path dir) throws Exception {
        Run r = run("simulate", "--bench", "migration", "--vcpus", "2", "--mem-per-vcpu", "256K", "--seed", "1",
                "--out", dir.toString());
        assertEquals(0, r.exit, r.out + r.err);
        JsonNode json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
        assertEquals(4, json.size(), "kvm-userfault, exit-on-missing, uffd, uffd+kvm-userfault");
        for (JsonNode rec : json) {
            assertEquals("migration", rec.path("bench").asText());
            assertTrue(rec.path("verified").asBoolean(), rec.toString());
            assertEquals(rec.path("pagesTotal").asLong(), rec.path("demandPages").asLong() + rec.path("backgroundPages").asLong(),
                    "every page installed once: " + rec);
        }
    }
}
