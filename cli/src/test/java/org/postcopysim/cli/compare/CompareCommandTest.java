package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The orchestration with a fake executor in place of child JVMs: order, seeds, outputs, exit codes. */
class CompareCommandTest {
    @TempDir
    Path tmp;

    private final List<RunPlan.Run> executed = new ArrayList<>();
    private final StringWriter stdout = new StringWriter();
    private final StringWriter stderr = new StringWriter();

    private int compare(RunExecutor fake, String... args) {
        CommandLine cl = new CommandLine(new CompareCommand(run -> {
            executed.add(run);
            return fake.execute(run);
        }));
        cl.setOut(new PrintWriter(stdout, true));
        cl.setErr(new PrintWriter(stderr, true));
        return cl.execute(args);
    }

    private String context() {
        return "--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
    }

    private static RunOutcome finishes(RunPlan.Run run) {
        return RunOutcome.finished(RunRecord.fromChild(Bench.FAULT, run,
                SyntheticRecords.faultSummary(run.mode(), run.vcpus(), 1000.0 * run.vcpus(), 5000, true), 10), null);
    }

    @Test
    void runsThePlanInOrderPrintsSeedsAndWritesEveryOutput() throws Exception {
        Path out = tmp.resolve("out");
        int code = compare(CompareCommandTest::finishes, "--modes", "uffd,kvm-userfault", "--vcpus", "1,2", "--repeat", "2",
                "--seed", "77", "--out", out.toString());

        assertEquals(0, code, this::context);
        assertEquals(RunPlan.of(Bench.FAULT, List.of("uffd", "kvm-userfault"), List.of(1, 2), 2, 77).runs(), executed);
        String text = stdout.toString();
        assertTrue(text.startsWith("compare: seed 77; 8 runs of `fault-bench` (fault bench)"), this::context);
        assertTrue(text.contains("repeat 1 seed " + RunPlan.seedFor(77, 2, 1)), this::context);
        assertTrue(text.contains("compare: [8/8] kvm-userfault, 2 vCPUs, repeat 1 (seed " + RunPlan.seedFor(77, 2, 1) + "): 2.0 k pages/s"),
                this::context);
        assertTrue(text.lines().anyMatch(l -> l.matches("uffd\\s+2\\s+2/2\\s+2\\.0 k\\s+1\\.00x\\s+5 us\\s+50 us\\s+500 us")), this::context);
        assertEquals(9, Files.readAllLines(out.resolve("results.csv")).size());
        assertEquals(8, CsvAndJson.readJson(out).size());
        assertTrue(Files.size(out.resolve("pages-per-sec.png")) > 0);
        assertTrue(Files.size(out.resolve("fault-latency-cdf.png")) > 0);
    }

    @Test
    void aFailedRunMakesExitOneListsItAndTheOthersAreStillWritten() throws Exception {
        Path out = tmp.resolve("out");
        int code = compare(run -> run.mode().equals("uffd") && run.vcpus() == 2
                        ? RunOutcome.failed(run, 3, "exit code 3", out.resolve("runs").resolve(run.fileStem() + ".log"))
                        : finishes(run),
                "--modes", "kvm-userfault,uffd", "--vcpus", "1,2", "--seed", "5", "--out", out.toString());

        assertEquals(1, code, this::context);
        String text = stdout.toString();
        assertTrue(text.contains("compare: FAILED: 1 of 4 runs did not finish (seed 5):"), this::context);
        assertTrue(text.contains("  uffd, 2 vCPUs, repeat 0 (seed " + RunPlan.seedFor(5, 2, 0) + "): exit code 3; output in "),
                this::context);
        assertTrue(text.lines().anyMatch(l -> l.matches("uffd\\s+2\\s+0/1\\s+-\\s+-\\s+-\\s+-\\s+-")), this::context);
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(4, csv.size(), csv::toString);
        JsonNode json = CsvAndJson.readJson(out);
        assertEquals(3, json.size());
        for (JsonNode r : json) assertTrue(!(r.path("mode").asText().equals("uffd") && r.path("vcpus").asInt() == 2));
    }

    @Test
    void whenEveryRunFailedNoPlotIsDrawnAndAnOldOneIsNotLeftBehind() throws Exception {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("pages-per-sec.png"), "from an earlier comparison");
        Files.writeString(out.resolve("fault-latency-cdf.png"), "from an earlier comparison");
        int code = compare(run -> RunOutcome.failed(run, 2, "exit code 2", null),
                "--modes", "kvm-userfault,uffd", "--vcpus", "1,2", "--seed", "5", "--out", out.toString());

        assertEquals(1, code, this::context);
        assertTrue(stdout.toString().contains("compare: no run finished, so no plots were drawn"), this::context);
        assertFalse(Files.exists(out.resolve("pages-per-sec.png")), this::context);
        assertFalse(Files.exists(out.resolve("fault-latency-cdf.png")), this::context);
        assertFalse(stdout.toString().contains(".png"), this::context);
    }

    @Test
    void backgroundOrdersAreADimensionOfAMigrationComparisonAndReachTheChildren() throws Exception {
        Path out = tmp.resolve("out");
        int code = compare(run -> {
            ObjectNode j = SyntheticRecords.faultSummary(run.mode(), run.vcpus(), 1000, 5000, false);
            boolean linear = run.mode().endsWith("[linear]");
            j.put("migrationTimeMs", 100).put("pagesTotal", 1000).put("pageRequests", linear ? 300 : 200)
                    .put("backgroundOrder", linear ? "linear" : "prepage:64").put("pagesTouched", 500)
                    .put("networkBoundFaults", linear ? 250 : 50).put("networkBoundFraction", linear ? 0.5 : 0.1);
            j.putObject("blocktime").put("allVcpusNs", linear ? 40_000_000 : 10_000_000);
            j.put("blockedNsTotal", linear ? 90_000_000 : 30_000_000);
            return RunOutcome.finished(RunRecord.fromChild(Bench.MIGRATION, run, j, 10), null);
        }, "--bench", "migration", "--modes", "uffd", "--vcpus", "2", "--background-order", "linear,PREPAGE:64",
                "--seed", "3", "--out", out.toString());

        assertEquals(0, code, this::context);
        assertEquals(List.of("uffd [linear]", "uffd [prepage:64]"), executed.stream().map(RunPlan.Run::mode).toList());
        assertEquals(executed.get(0).seed(), executed.get(1).seed(), "the orders of one cell replay the same guest");
        String text = stdout.toString();
        assertTrue(text.lines().anyMatch(l -> l.matches("uffd \\[linear\\]\\s+2\\s+1/1\\s.*\\s50\\.0%\\s+300\\s+40\\.0 ms")),
                this::context);
        assertTrue(text.lines().anyMatch(l -> l.matches("uffd \\[prepage:64\\]\\s+2\\s+1/1\\s.*\\s10\\.0%\\s+200\\s+10\\.0 ms")),
                this::context);
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        List<String> header = List.of(csv.get(0).split(","));
        int at = header.indexOf("backgroundOrder");
        assertEquals(CsvWriter.ORDER_COLUMNS, header.subList(at, at + CsvWriter.ORDER_COLUMNS.size()), csv.get(0));
        assertEquals(List.of("prepage:64", "500", "50", "0.1", "200", "10000000", "30000000"),
                List.of(csv.get(2).split(",")).subList(at, at + CsvWriter.ORDER_COLUMNS.size()), csv.get(2));

        ChildRunner runner = new ChildRunner(Bench.MIGRATION,
                Series.of(List.of("uffd"), null, List.of(), List.of("linear", "prepage:64"))::childArgs, List.of(), tmp,
                false, 1000, null);
        List<String> args = runner.childArgs(executed.get(1), tmp.resolve("x.json"));
        assertEquals(List.of("demo", "--fault-mode", "uffd", "--background-order", "prepage:64"), args.subList(0, 5));
    }

    @Test
    void passthroughOptionsAreGivenToTheChildOnlyWhenSet() {
        ChildRunner none = new ChildRunner(Bench.MIGRATION, m -> List.of("--fault-mode", m), List.of(), tmp, false, 1000, null);
        RunPlan.Run run = RunPlan.of(Bench.MIGRATION, List.of("uffd"), List.of(4), 1, 9).runs().get(0);
        assertEquals(List.of("demo", "--fault-mode", "uffd", "--vcpus", "4", "--seed", Long.toString(run.seed()), "--json",
                tmp.resolve("x.json").toString()), none.childArgs(run, tmp.resolve("x.json")));

        PassthroughOptions p = new PassthroughOptions();
        new CommandLine(p).parseArgs("--guest-mem", "8M", "--uffd-scope", "per-vcpu", "--fetch-delay-us", "20");
        assertEquals(List.of("--fetch-delay-us", "20", "--uffd-scope", "per-vcpu", "--guest-mem", Long.toString(8L << 20)), p.args());
        ChildRunner some = new ChildRunner(Bench.FAULT, m -> List.of("--fault-mode", m), p.args(), tmp, false, 1000, null);
        List<String> args = some.childArgs(run, tmp.resolve("x.json"));
        assertEquals("fault-bench", args.get(0));
        assertEquals(p.args(), args.subList(args.size() - 6, args.size()));
    }
}
