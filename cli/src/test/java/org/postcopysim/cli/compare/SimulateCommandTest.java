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
import java.util.List;
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
    void backgroundOrdersAreADimensionOfAMigrationWithTheirMeasuresInEveryOutput(@TempDir Path dir) throws Exception {
        String[] args = {"simulate", "--bench", "migration", "--modes", "uffd", "--uffd-scope", "per-vcpu", "--vcpus", "4",
            "--mem-per-vcpu", "2M", "--workload", "sequential", "--background-order", "linear,prepage:16", "--seed", "3",
            "--out", dir.resolve("a").toString()};
        Run r = run(args);
        assertEquals(0, r.exit, r.out + r.err);
        assertTrue(r.out.contains("background linear: "), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("uffd [prepage:16]") && l.matches(".*\\d+\\.\\d%\\s+\\d+\\s+\\S+ (ns|us|ms|s)")),
                r.out);
        assertTrue(r.out.contains("net-bound"), r.out);
        JsonNode json = new ObjectMapper().readTree(dir.resolve("a/results.json").toFile());
        assertEquals(2, json.size());
        assertEquals(List.of("linear", "prepage:16"), List.of(json.get(0).path("backgroundOrder").asText(),
                json.get(1).path("backgroundOrder").asText()));
        for (JsonNode rec : json) {
            assertTrue(rec.path("pagesTouched").asLong() > 0, rec.toString());
            long nb = rec.path("networkBoundFaults").asLong();
            assertTrue(nb <= rec.path("pageRequests").asLong(), rec.toString());
            assertEquals((double) nb / rec.path("pagesTouched").asLong(), rec.path("networkBoundFraction").asDouble(), 1e-12);
        }
        assertTrue(json.get(0).path("networkBoundFaults").asLong() > json.get(1).path("networkBoundFaults").asLong(),
                "in gfn order three of the four vCPUs page on demand: " + json);
        List<String> csv = Files.readAllLines(dir.resolve("a/results.csv"));
        assertTrue(csv.get(0).endsWith(String.join(",", CsvWriter.ORDER_COLUMNS)), csv.get(0));
        assertTrue(csv.get(1).contains(",linear,"), csv.get(1));
        assertTrue(csv.get(2).startsWith("migration,uffd [prepage:16],"), csv.get(2));

        args[args.length - 1] = dir.resolve("b").toString();
        assertEquals(0, run(args).exit);
        JsonNode again = new ObjectMapper().readTree(dir.resolve("b/results.json").toFile());
        for (int i = 0; i < json.size(); i++) {
            assertEquals(json.get(i).path("traceHash").asText(), again.get(i).path("traceHash").asText(), "record " + i);
            assertEquals(json.get(i).path("networkBoundFaults"), again.get(i).path("networkBoundFaults"));
        }
    }

    @Test
    void badBackgroundOrdersAreUsageErrors(@TempDir Path dir) {
        String out = dir.resolve("x").toString();
        assertUsage("unknown background order 'random'", "simulate", "--bench", "migration", "--background-order", "random",
                "--out", out);
        assertUsage("'lots' is not a whole number", "simulate", "--bench", "migration", "--background-order", "prepage:lots",
                "--out", out);
        assertUsage("--background-order applies to --bench migration only", "simulate", "--background-order", "linear",
                "--out", out);
        assertUsage("an order is listed twice", "simulate", "--bench", "migration", "--background-order", "linear,linear",
                "--out", out);
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

    static final String[] MMU_FIELDS = {"hostEvents", "invalidations", "stage2Zapped", "localRefaults",
        "pfnCacheInvalidations", "pfnCacheRefreshes", "retriedFaults", "lazyUpgrades", "refetchedArrivedPages"};

    @Test
    void hostEventsAreInjectedCountedInEveryOutputAndReplayFromTheSeed(@TempDir Path dir) throws Exception {
        String[] args = {"simulate", "--bench", "migration", "--modes", "kvm-userfault,uffd", "--vcpus", "4",
            "--mem-per-vcpu", "4M", "--host-events", "reclaim:20000,migrate:5000,mprotect-ro:5000,mprotect-rw:5000",
            "--seed", "3", "--out", dir.resolve("a").toString()};
        Run r = run(args);
        assertEquals(0, r.exit, r.out + r.err);
        assertTrue(r.out.contains("MMU invariants hold"), r.out);
        JsonNode json = new ObjectMapper().readTree(dir.resolve("a/results.json").toFile());
        assertEquals(2, json.size());
        for (JsonNode rec : json) {
            assertTrue(rec.path("verified").asBoolean(), rec.toString());
            for (String f : MMU_FIELDS) assertTrue(rec.has(f), f + " missing in " + rec);
            assertEquals("reclaim:20000,migrate:5000,mprotect-ro:5000,mprotect-rw:5000", rec.path("hostEventSpec").asText());
            assertTrue(rec.path("hostEvents").asLong() > 0, rec.toString());
            assertTrue(rec.path("invalidations").asLong() > 0, rec.toString());
            assertTrue(rec.path("stage2Zapped").asLong() > 0, rec.toString());
            assertTrue(rec.path("localRefaults").asLong() > 0, "reclaimed arrived pages refaulted inside KVM: " + rec);
            assertEquals(0, rec.path("refetchedArrivedPages").asLong(), rec.toString());
            assertEquals(0, rec.path("mmuViolations").size(), rec.toString());
        }
        List<String> csv = Files.readAllLines(dir.resolve("a/results.csv"));
        List<String> header = List.of(csv.get(0).split(","));
        for (String f : MMU_FIELDS) assertTrue(header.contains(f), f + " not a column: " + header);
        List<String> row = List.of(csv.get(1).split(",", -1));
        assertEquals(json.get(0).path("hostEvents").asText(), row.get(header.indexOf("hostEvents")));

        args[args.length - 1] = dir.resolve("b").toString();
        assertEquals(0, run(args).exit);
        JsonNode again = new ObjectMapper().readTree(dir.resolve("b/results.json").toFile());
        for (int i = 0; i < json.size(); i++) {
            assertEquals(json.get(i).path("traceHash").asText(), again.get(i).path("traceHash").asText(), "record " + i);
            for (String f : MMU_FIELDS) assertEquals(json.get(i).path(f), again.get(i).path(f), f);
        }
    }

    @Test
    void theFaultBenchTakesHostEventsAndPrivateMemory(@TempDir Path dir) throws Exception {
        Run r = run("simulate", "--modes", "kvm-userfault", "--vcpus", "4", "--mem-per-vcpu", "2M", "--host-events",
                "reclaim:200000,convert:50000", "--private-fraction", "0.25", "--notify-upgrades", "--seed", "2",
                "--out", dir.toString());
        assertEquals(0, r.exit, r.out + r.err);
        JsonNode rec = new ObjectMapper().readTree(dir.resolve("results.json").toFile()).get(0);
        assertEquals("fault", rec.path("bench").asText());
        assertTrue(rec.path("hostEvents").asLong() > 0 && rec.path("invalidations").asLong() > 0, rec.toString());
        assertEquals(0.25, rec.path("privateFraction").asDouble());
        assertTrue(rec.path("notifyUpgrades").asBoolean());
        assertEquals(0, rec.path("mmuViolations").size(), rec.toString());
    }

    @Test
    void internalAccessesExerciseThePfnCacheInSimulationAndReplayFromTheSeed(@TempDir Path dir) throws Exception {
        String[] args = {"simulate", "--bench", "migration", "--modes", "kvm-userfault,uffd+kvm-userfault", "--vcpus", "4",
            "--mem-per-vcpu", "4M", "--internal-access-fraction", "0.2", "--host-events",
            "reclaim:20000,mprotect-ro:20000,mprotect-rw:20000", "--seed", "1", "--out", dir.resolve("a").toString()};
        Run r = run(args);
        assertEquals(0, r.exit, r.out + r.err);
        assertTrue(r.out.contains("internal accesses") && r.out.contains("MMU invariants hold (checked"), r.out);
        JsonNode json = new ObjectMapper().readTree(dir.resolve("a/results.json").toFile());
        assertEquals(2, json.size());
        JsonNode exits = json.get(0);
        JsonNode both = json.get(1);
        assertEquals("uffd+kvm-userfault", both.path("mode").asText());
        assertTrue(both.path("verified").asBoolean(), both.toString());
        assertEquals(0.2, both.path("internalAccessFraction").asDouble());
        assertTrue(both.path("internalAccesses").asLong() > 0, both.toString());
        assertTrue(both.path("pfnCacheRefreshes").asLong() > 0, both.toString());
        assertTrue(both.path("pfnCacheInvalidations").asLong() > 0, "host events invalidated cached translations: " + both);
        assertTrue(both.path("mmuChecks").asLong() > 0, both.toString());
        assertEquals(0, both.path("mmuViolations").size(), both.toString());
        // The fraction applies to the mode that has KVM-internal accesses only.
        assertEquals("kvm-userfault", exits.path("mode").asText());
        assertEquals(0.0, exits.path("internalAccessFraction").asDouble());
        assertEquals(0, exits.path("internalAccesses").asLong());
        assertEquals(0, exits.path("pfnCacheRefreshes").asLong());
        List<String> csv = Files.readAllLines(dir.resolve("a/results.csv"));
        List<String> header = List.of(csv.get(0).split(","));
        List<String> row = List.of(csv.get(2).split(",", -1));
        assertEquals(both.path("pfnCacheRefreshes").asText(), row.get(header.indexOf("pfnCacheRefreshes")));
        assertEquals(both.path("pfnCacheInvalidations").asText(), row.get(header.indexOf("pfnCacheInvalidations")));

        args[args.length - 1] = dir.resolve("b").toString();
        assertEquals(0, run(args).exit);
        JsonNode again = new ObjectMapper().readTree(dir.resolve("b/results.json").toFile());
        for (int i = 0; i < json.size(); i++) {
            assertEquals(json.get(i).path("traceHash").asText(), again.get(i).path("traceHash").asText(), "record " + i);
            for (String f : MMU_FIELDS) assertEquals(json.get(i).path(f), again.get(i).path(f), f);
        }
    }

    @Test
    void anInternalAccessFractionWithoutUffdPlusKvmUserfaultOrOutsideZeroToOneIsAUsageError(@TempDir Path dir) {
        String out = dir.toString();
        assertUsage("--internal-access-fraction applies to uffd+kvm-userfault only", "simulate", "--modes",
                "kvm-userfault,uffd", "--internal-access-fraction", "0.2", "--out", out);
        assertUsage("--internal-access-fraction applies to uffd+kvm-userfault only", "simulate", "--bench", "migration",
                "--modes", "exit-on-missing", "--internal-access-fraction", "0.5", "--out", out);
        assertUsage("Invalid value for option '--internal-access-fraction': internal access fraction must be within 0..1",
                "simulate", "--modes", "uffd+kvm-userfault", "--internal-access-fraction", "1.5", "--out", out);
        assertUsage("Invalid value for option '--internal-access-fraction'", "simulate", "--modes", "uffd+kvm-userfault",
                "--internal-access-fraction", "lots", "--out", out);
        assertFalse(java.nio.file.Files.exists(dir.resolve("results.json")), "nothing ran");
    }

    @Test
    void badHostEventSpecsAndMmuOptionsAreUsageErrors(@TempDir Path dir) {
        String out = dir.toString();
        assertUsage("Invalid value for option '--host-events': unknown host event kind 'bogus'", "simulate",
                "--host-events", "bogus:1", "--out", out);
        assertUsage("Invalid value for option '--host-events': host event 'reclaim': rate 'x' is not a number",
                "simulate", "--host-events", "reclaim:x", "--out", out);
        assertUsage("has no rate above 0", "simulate", "--host-events", "reclaim:0", "--out", out);
        assertUsage("convert flips pages between private and shared, which needs guest_memfd memory", "simulate", "--host-events", "convert:10", "--out", out);
        assertUsage("Invalid value for option '--private-fraction': private fraction must be within 0..1", "simulate",
                "--private-fraction", "2", "--out", out);
        assertUsage("--private-fraction: fault mode uffd cannot see faults on private memory", "simulate", "--modes", "kvm-userfault,uffd", "--private-fraction",
                "0.5", "--out", out);
    }
}
