package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demo}: a source and a destination as two child JVMs started from this JVM's java and class path. */
class DemoTwoProcessTest {
    @TempDir
    Path tmp;

    @Test
    void demoMigratesBetweenTwoChildJvmsEchoesBothAndWritesVerifiedJson() throws Exception {
        Path json = tmp.resolve("demo.json");
        CliRun run = assertTimeoutPreemptively(Duration.ofMinutes(3), () -> CliRun.of("demo", "--guest-mem", "16M",
                "--vcpus", "2", "--seed", "5", "--json", json.toString()));
        assertEquals(0, run.exitCode(), run::toString);
        String out = run.out();
        assertTrue(out.startsWith("demo: seed 5; migrating a 16 MiB guest with 2 vCPUs (uniform, kvm-userfault)"), run::toString);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("source| listening on 127.0.0.1:")), run::toString);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("source| source: migration verified")), run::toString);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("dest  | migration verified: 4096/4096")), run::toString);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("demo: VERIFIED. 4096/4096 pages verified")), run::toString);

        JsonNode s = new ObjectMapper().readTree(json.toFile());
        String context = run + "--- json ---\n" + s.toPrettyString();
        assertEquals(0, s.path("sourceExitCode").asInt(-1), context);
        assertEquals(0, s.path("destExitCode").asInt(-1), context);
        assertEquals(5, s.path("seed").asLong(), context);
        assertEquals(s.path("pagesTotal").asLong(), s.path("pagesVerified").asLong(), context);
        SourceDestInJvmTest.assertSaneVerifiedSummary(s, 2, context);
        org.postcopysim.cli.docs.JsonDoc.assertDocumented(org.postcopysim.cli.docs.JsonDoc.demo(), s);
    }

    /** demo --backend kernel: the destination child runs on the real userfaultfd, and says so. */
    @Test
    void demoOnTheKernelBackendMigratesWithTheDestinationChildOnTheRealUserfaultfd() throws Exception {
        String why = org.postcopysim.kernel.KernelSupport.unavailableReason(org.postcopysim.kernel.Uffd.Registration.MISSING);
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, () -> "kernel backend unavailable here: " + why);
        Path json = tmp.resolve("demo-kernel.json");
        CliRun run = assertTimeoutPreemptively(Duration.ofMinutes(3), () -> CliRun.of("demo", "--guest-mem", "16M",
                "--vcpus", "2", "--seed", "8", "--fault-mode", "uffd", "--backend", "kernel", "--json", json.toString()));
        assertEquals(0, run.exitCode(), run::toString);
        String out = run.out();
        assertTrue(out.startsWith("demo: seed 8; migrating a 16 MiB guest with 2 vCPUs (uniform, uffd, kernel backend)"),
                run::toString);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("dest  |   guest     16 MiB in 2 memslots, 2 vCPUs, workload uniform, "
                + "mode uffd, backend kernel")), run::toString);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("dest  |   uffd      ") && l.contains("faults read from the kernel's")),
                run::toString);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("demo: VERIFIED. 4096/4096 pages verified")), run::toString);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        String context = run + "--- json ---\n" + s.toPrettyString();
        assertEquals("kernel", s.path("backend").asText(), context);
        assertEquals(0, s.path("destExitCode").asInt(-1), context);
        assertEquals(4096, s.path("pagesVerified").asLong(), context);
        assertEquals(4096, s.path("backgroundPages").asLong() + s.path("demandPages").asLong(), context);
        assertTrue(s.path("uffd").path("reads").asLong() > 0, context);
        assertTrue(s.path("uffd").path("waitersVisitedPerWake").isNull(), context);
    }

    @Test
    void demoSaysWhatItIsDoingAndItsBarNeverCoversOrGluesOntoALine() throws Exception {
        StringWriter screen = new StringWriter(); // stdout and stderr in one stream, as on a terminal
        int code = assertTimeoutPreemptively(Duration.ofMinutes(3), () -> CliRun.execute(screen, screen, "demo",
                "--guest-mem", "16M", "--vcpus", "2", "--seed", "6", "--max-bandwidth", "8M", "--progress", "always"));
        Thread.sleep(MigrationProgressTest.SETTLE_MS);
        String raw = screen.toString();
        List<String> lines = VirtualScreen.render(raw);
        String context = raw.replace("\r", "<CR>") + "\n--- screen ---\n" + String.join("\n", lines);
        assertEquals(0, code, context);
        assertTrue(SourceDestInJvmTest.BAR.matcher(raw).find(), () -> "the bar was drawn\n" + context);
        assertTrue(lines.stream().noneMatch(l -> SourceDestInJvmTest.BAR.matcher(l).find()), () -> "a bar left or glued\n" + context);
        List<String> steps = List.of("demo: starting the source...", "source| generating 16 MiB of guest memory...",
                "source| listening on 127.0.0.1:", "demo: starting the destination...", "dest  | migration verified: 4096/4096",
                "demo: VERIFIED.");
        // The two children's last lines race each other: the source's verdict may come before or after the
        // destination's summary, but after the destination was started and before demo's own verdict.
        int destStarted = lines.indexOf("demo: starting the destination...");
        int sourceVerified = -1;
        for (int i = 0; i < lines.size() && sourceVerified < 0; i++) {
            if (lines.get(i).startsWith("source| source: migration verified")) sourceVerified = i;
        }
        int demoVerdict = -1;
        for (int i = 0; i < lines.size() && demoVerdict < 0; i++) if (lines.get(i).startsWith("demo: VERIFIED.")) demoVerdict = i;
        assertTrue(destStarted >= 0 && sourceVerified > destStarted && sourceVerified < demoVerdict,
                () -> "the source's verdict between the destination's start and demo's verdict\n" + context);
        int at = -1;
        for (String step : steps) {
            int from = at + 1;
            int found = -1;
            for (int i = from; i < lines.size() && found < 0; i++) if (lines.get(i).startsWith(step)) found = i;
            assertTrue(found >= 0, () -> "no line starting with '" + step + "' after line " + from + "\n" + context);
            at = found;
        }
    }
}
