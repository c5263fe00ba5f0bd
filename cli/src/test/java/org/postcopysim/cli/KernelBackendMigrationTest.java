package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.cli.docs.JsonDoc;
import org.postcopysim.kernel.KernelSupport;
import org.postcopysim.kernel.Uffd;

/**
 * {@code dest --backend kernel}: whole migrations with guest memory registered with this machine's
 * userfaultfd, the vCPU threads asleep in the kernel's wait queue, every page that arrives
 * checked and then copied in by UFFDIO_COPY, every guest read checked and every page verified
 * with the source. Also: a corrupted page is refused before it is copied in and fetched again, a
 * dropped link is resumed, and a link that stays down fails the run instead of leaving the vCPU
 * threads asleep in the kernel. Skipped, with the kernel's reason, where userfaultfd is not available.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class KernelBackendMigrationTest {
    static final long PAGES = SourceDestInJvmTest.GUEST_PAGES;

    @TempDir
    Path tmp;

    @BeforeAll
    static void kernelHasUserfaultfd() {
        String why = KernelSupport.unavailableReason(Uffd.Registration.MISSING);
        assumeTrue(why == null, () -> "kernel backend unavailable here: " + why);
    }

    record Run(int code, String transcript, String destOut, JsonNode json) {}

    private Run migrate(String name, List<String> sourceArgs, List<String> destArgs) throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        StringWriter sourceErr = new StringWriter();
        List<String> s = new ArrayList<>(List.of("source", "--listen", "127.0.0.1:0", "--guest-mem", "16M",
                "--max-bandwidth", "8M", "--seed", "21"));
        s.addAll(sourceArgs);
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr, s.toArray(String[]::new));
        String listening = sourceOut.line().get(60, TimeUnit.SECONDS);
        Path token = tmp.resolve(name + ".token");
        Files.writeString(token, SourceDestInJvmTest.printedToken(sourceOut.toString()) + "\n");
        Path json = tmp.resolve(name + ".json");
        List<String> d = new ArrayList<>(List.of("dest", "--connect", listening.substring("listening on ".length()).trim(),
                "--token-file", token.toString(), "--vcpus", "2", "--seed", "21", "--json", json.toString()));
        d.addAll(destArgs);
        StringWriter destOut = new StringWriter();
        StringWriter destErr = new StringWriter();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(150), () -> CliRun.execute(destOut, destErr, d.toArray(String[]::new)),
                "the destination hung (vCPU threads asleep in the kernel?)");
        sourceExit.get(120, TimeUnit.SECONDS);
        String transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        JsonNode summary = SummaryPrinter.JSON.readTree(json.toFile());
        return new Run(code, transcript + "--- json ---\n" + summary.toPrettyString(), destOut.toString(), summary);
    }

    /** What every verified kernel-backend run must show: the kernel's faults, each page installed once, all verified. */
    private static void assertVerifiedOnTheKernel(Run r) {
        JsonNode s = r.json();
        String c = r.transcript();
        assertEquals(0, r.code(), c);
        assertEquals("kernel", s.path("backend").asText(), c);
        assertEquals("uffd", s.path("mode").asText(), c);
        assertTrue(s.path("verified").asBoolean(), c);
        assertEquals(PAGES, s.path("pagesVerified").asLong(), c);
        assertEquals(0, s.path("pageMismatches").asLong(), c);
        assertEquals(0, s.path("staleReads").asLong(), c);
        assertTrue(s.path("guestReads").asLong() > 0, c);
        assertEquals(PAGES, s.path("backgroundPages").asLong() + s.path("demandPages").asLong(),
                "every page installed exactly once\n" + c);
        JsonNode u = s.path("uffd");
        assertTrue(u.path("reads").asLong() > 0, "faults went through the real userfaultfd\n" + c);
        assertEquals(u.path("reads").asLong(), u.path("faultsSlept").asLong(), c);
        assertTrue(u.path("reads").asLong() <= s.path("hostFaults").asLong(), "a fault message per vCPU touch at most\n" + c);
        assertTrue(u.path("wakes").asLong() >= PAGES, "a UFFDIO_WAKE per page made present\n" + c);
        assertTrue(u.path("eexist").isIntegralNumber() && u.path("eexist").asLong() >= 0, c);
        assertTrue(u.path("waitersVisitedPerWake").isNull(), "not observable on the kernel: null, not made up\n" + c);
        assertTrue(s.path("pageRequests").asLong() > 0, c);
        assertTrue(r.destOut().contains(", mode uffd, backend kernel, "), c);
        assertTrue(r.destOut().contains(" faults read from the kernel's userfaultfd "), c);
    }

    @Test
    void aMigrationOnTheRealKernelVerifiesEveryPageAndWritesTheDocumentedJson() throws Exception {
        Run kernel = migrate("kernel", List.of(), List.of("--fault-mode", "uffd", "--backend", "kernel", "--uffd-readers", "2"));
        assertVerifiedOnTheKernel(kernel);
        assertEquals(2, kernel.json().path("readers").asInt(), kernel.transcript());
        assertTrue(kernel.json().path("guestWrites").asLong() > 0, "guest writes on present pages, undone by the digest\n"
                + kernel.transcript());
        // The same migration on the model: the fields documented for both, the object the kernel leaves null included.
        Run model = migrate("model", List.of(), List.of("--fault-mode", "uffd"));
        assertEquals(0, model.code(), model.transcript());
        assertEquals("model", model.json().path("backend").asText(), model.transcript());
        assertFalse(model.destOut().contains("backend"), model.transcript());
        JsonDoc.assertDocumented(JsonDoc.dest(), kernel.json(), model.json());
    }

    @Test
    void perVcpuUffdsOnTheKernelWithPartitionedAccess() throws Exception {
        Run r = migrate("per-vcpu", List.of(), List.of("--fault-mode", "uffd", "--backend", "kernel",
                "--uffd-scope", "per-vcpu", "--access", "partitioned", "--write-fraction", "0"));
        assertVerifiedOnTheKernel(r);
        assertEquals("per-vcpu", r.json().path("uffdScope").asText(), r.transcript());
        assertEquals(0, r.json().path("guestWrites").asLong(), r.transcript());
    }

    /** Negative control of the order check-then-copy: a copy that fails its CRC32C is never copied in, and is fetched again. */
    @Test
    void aCorruptedPageIsRefusedBeforeUffdioCopyAndFetchedAgain() throws Exception {
        Run r = migrate("corrupt", List.of("--chaos", "corrupt:0.02"), List.of("--fault-mode", "uffd", "--backend", "kernel"));
        assertVerifiedOnTheKernel(r); // a corrupted copy installed would have made its page differ, or a read stale
        assertTrue(r.json().path("crcFailures").asLong() > 0, "the chaos corrupted some pages\n" + r.transcript());
    }

    @Test
    void aLinkDroppedMidMigrationIsResumedWhileTheVcpusSleepInTheKernel() throws Exception {
        Run r = migrate("resume", List.of("--chaos", "disconnect@40%", "--link-timeout", "2"),
                List.of("--fault-mode", "uffd", "--backend", "kernel", "--link-timeout", "2"));
        assertVerifiedOnTheKernel(r);
        assertEquals(1, r.json().path("recoveries").asLong(), r.transcript());
    }

    @Test
    void aLinkThatStaysDownFailsTheRunAndLeavesNoVcpuAsleepInTheKernel() throws Exception {
        Run r = migrate("down", List.of("--chaos", "disconnect@30%", "--recovery-deadline", "1"),
                List.of("--fault-mode", "uffd", "--backend", "kernel", "--no-reconnect"));
        assertEquals(1, r.code(), r.transcript());
        assertFalse(r.json().path("verified").asBoolean(), r.transcript());
        assertEquals("kernel", r.json().path("backend").asText(), r.transcript());
        assertTrue(r.json().path("pagesMissing").asLong() > 0, r.transcript());
        assertTrue(r.destOut().contains("migration FAILED: "), r.transcript());
    }
}
