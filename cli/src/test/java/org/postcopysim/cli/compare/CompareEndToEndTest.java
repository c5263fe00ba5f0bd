package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.cli.Main;
import org.postcopysim.cli.docs.JsonDoc;
import picocli.CommandLine;

/**
 * {@code compare} with real child JVMs. Each test is skipped (not failed) while the child
 * subcommand it needs lacks the contract ({@code demo --fault-mode}, {@code fault-bench}).
 */
class CompareEndToEndTest {
    @TempDir
    Path tmp;

    private static CommandLine subcommand(String name) {
        return Main.commandLine().getSubcommands().get(name);
    }

    private static boolean helpExitsZero(String subcommand) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(new StringWriter()));
        return cl.execute(subcommand, "--help") == 0;
    }

    private record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    private static Run compare(List<String> args) {
        return assertTimeoutPreemptively(Duration.ofMinutes(5), () -> {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args.toArray(String[]::new));
            return new Run(code, out.toString(), err.toString());
        });
    }

    @Test
    void migrationBenchRunsDemoPerVcpuCountAndWritesEveryOutput() throws Exception {
        CommandLine demo = subcommand("demo");
        assumeTrue(demo != null && demo.getCommandSpec().findOption("--fault-mode") != null,
                "demo does not accept --fault-mode yet");
        Path out = tmp.resolve("out");

        Run run = compare(List.of("compare", "--bench", "migration", "--modes", "kvm-userfault", "--vcpus", "1,2",
                "--guest-mem", "8M", "--seed", "3", "--out", out.toString()));

        assertEquals(0, run.code(), run::toString);
        assertTrue(run.out().startsWith("compare: seed 3; 2 runs of `demo` (migration bench)"), run::toString);
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(3, csv.size(), csv::toString);
        JsonNode json = CsvAndJson.readJson(out);
        assertEquals(2, json.size(), json::toPrettyString);
        for (int i = 0; i < 2; i++) {
            JsonNode r = json.get(i);
            assertEquals("migration", r.path("bench").asText(), r::toPrettyString);
            assertEquals(0, r.path("repeat").asInt(-1), r::toPrettyString);
            assertEquals(i + 1, r.path("vcpus").asInt(), r::toPrettyString);
            assertTrue(r.path("verified").asBoolean(), r::toPrettyString);
            assertEquals(RunPlan.seedFor(3, i + 1, 0), r.path("seed").asLong(), r::toPrettyString);
            assertTrue(r.path("pagesPerSecOverall").asDouble() > 0, r::toPrettyString);
            assertEquals(i + 1, r.path("pagesPerSecPerVcpu").size(), r::toPrettyString);
            JsonDoc.assertDocumented(JsonDoc.compareMigration(), r);
        }
        assertPngs(out);
    }

    @Test
    void faultBenchRunsEveryModeAndWritesEveryOutput() throws Exception {
        assumeTrue(subcommand("fault-bench") != null && helpExitsZero("fault-bench"), "fault-bench is not there yet");
        Path out = tmp.resolve("out");
        List<String> args = new ArrayList<>(List.of("compare", "--modes", "kvm-userfault,uffd", "--vcpus", "1,2",
                "--seed", "4", "--out", out.toString()));
        if (subcommand("fault-bench").getCommandSpec().findOption("--mem-per-vcpu") != null) {
            args.addAll(List.of("--mem-per-vcpu", "2M"));
        }

        Run run = compare(args);

        assertEquals(0, run.code(), run::toString);
        JsonNode json = CsvAndJson.readJson(out);
        assertEquals(4, json.size(), json::toPrettyString);
        for (JsonNode r : json) {
            assertEquals("fault", r.path("bench").asText(), r::toPrettyString);
            assertEquals(0, r.path("repeat").asInt(-1), r::toPrettyString);
            assertTrue(r.path("pagesPerSecOverall").asDouble() > 0, r::toPrettyString);
            assertTrue(r.path("faultLatencyNs").path("max").asLong() > 0, r::toPrettyString);
            JsonDoc.assertDocumented(JsonDoc.compareFault(), r);
        }
        assertEquals(5, Files.readAllLines(out.resolve("results.csv")).size());
        assertPngs(out);
    }

    @Test
    void backendsPutTheKernelTheModelAndTheSimulatorSideBySide() throws Exception {
        String why = org.postcopysim.kernel.KernelSupport.unavailableReason(org.postcopysim.kernel.Uffd.Registration.MISSING);
        assumeTrue(why == null, () -> "kernel backend unavailable: " + why);
        Path out = tmp.resolve("backends");
        Run run = compare(List.of("compare", "--modes", "uffd", "--backends", "kernel,model,sim", "--vcpus", "2",
                "--mem-per-vcpu", "2M", "--seed", "4", "--out", out.toString()));

        assertEquals(0, run.code(), run::toString);
        for (String line : List.of("uffd [kernel]      2", "uffd [model]       2", "uffd [sim]         2")) {
            assertTrue(run.out().contains(line), () -> "no table line '" + line + "'\n" + run);
        }
        assertTrue(run.out().contains("vs uffd [kernel]"), run::toString);
        JsonNode json = CsvAndJson.readJson(out);
        assertEquals(3, json.size(), json::toPrettyString);
        List<String> backends = new ArrayList<>();
        for (JsonNode r : json) {
            backends.add(r.path("backend").asText());
            assertTrue(r.path("verified").asBoolean(), r::toPrettyString);
            assertEquals(1024, r.path("pagesInstalled").asLong(), r::toPrettyString);
        }
        assertEquals(List.of("kernel", "model", "sim"), backends);
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertTrue(csv.get(0).endsWith(",backend"), csv.get(0));
        assertTrue(csv.get(1).startsWith("fault,uffd [kernel],2,") && csv.get(1).endsWith(",kernel"), csv.get(1));
        assertTrue(Files.exists(out.resolve("runs").resolve("000-uffd-kernel-v2-r0.json")), "file stems name the backend");
        assertPngs(out);
    }

    private static void assertPngs(Path out) throws Exception {
        for (String name : List.of("pages-per-sec.png", "fault-latency-cdf.png")) {
            var image = ImageIO.read(out.resolve(name).toFile());
            assertNotNull(image, name);
            assertTrue(image.getWidth() > 0, name);
        }
    }
}
