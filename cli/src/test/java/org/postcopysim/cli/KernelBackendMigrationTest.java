package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
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

    private CommandMigration migrate(String name, List<String> sourceArgs, List<String> destArgs) throws Exception {
        return CommandMigration.run(tmp, name, 21, sourceArgs, destArgs);
    }

    /** What every verified kernel-backend run must show: the kernel's faults, each page installed once, all verified. */
    private static void assertVerifiedOnTheKernel(CommandMigration r) {
        JsonNode s = r.summary();
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
        CommandMigration kernel = migrate("kernel", List.of(), List.of("--fault-mode", "uffd", "--backend", "kernel", "--uffd-readers", "2"));
        assertVerifiedOnTheKernel(kernel);
        assertEquals(2, kernel.summary().path("readers").asInt(), kernel.transcript());
        assertTrue(kernel.summary().path("guestWrites").asLong() > 0, "guest writes on present pages, undone by the digest\n"
                + kernel.transcript());
        // The same migration on the model: the fields documented for both, the object the kernel leaves null included.
        CommandMigration model = migrate("model", List.of(), List.of("--fault-mode", "uffd"));
        assertEquals(0, model.code(), model.transcript());
        assertEquals("model", model.summary().path("backend").asText(), model.transcript());
        assertFalse(model.destOut().contains("backend"), model.transcript());
        JsonDoc.assertDocumented(JsonDoc.dest(), kernel.summary(), model.summary());
    }

    @Test
    void perVcpuUffdsOnTheKernelWithPartitionedAccess() throws Exception {
        CommandMigration r = migrate("per-vcpu", List.of(), List.of("--fault-mode", "uffd", "--backend", "kernel",
                "--uffd-scope", "per-vcpu", "--access", "partitioned", "--write-fraction", "0"));
        assertVerifiedOnTheKernel(r);
        assertEquals("per-vcpu", r.summary().path("uffdScope").asText(), r.transcript());
        assertEquals(0, r.summary().path("guestWrites").asLong(), r.transcript());
    }

    /** Negative control of the order check-then-copy: a copy that fails its CRC32C is never copied in, and is fetched again. */
    @Test
    void aCorruptedPageIsRefusedBeforeUffdioCopyAndFetchedAgain() throws Exception {
        CommandMigration r = migrate("corrupt", List.of("--chaos", "corrupt:0.02"), List.of("--fault-mode", "uffd", "--backend", "kernel"));
        assertVerifiedOnTheKernel(r); // a corrupted copy installed would have made its page differ, or a read stale
        assertTrue(r.summary().path("crcFailures").asLong() > 0, "the chaos corrupted some pages\n" + r.transcript());
    }

    @Test
    void aLinkDroppedMidMigrationIsResumedWhileTheVcpusSleepInTheKernel() throws Exception {
        CommandMigration r = migrate("resume", List.of("--chaos", "disconnect@40%", "--link-timeout", "2"),
                List.of("--fault-mode", "uffd", "--backend", "kernel", "--link-timeout", "2"));
        assertVerifiedOnTheKernel(r);
        assertEquals(1, r.summary().path("recoveries").asLong(), r.transcript());
    }

    @Test
    void aLinkThatStaysDownFailsTheRunAndLeavesNoVcpuAsleepInTheKernel() throws Exception {
        CommandMigration r = migrate("down", List.of("--chaos", "disconnect@30%", "--recovery-deadline", "1"),
                List.of("--fault-mode", "uffd", "--backend", "kernel", "--no-reconnect"));
        assertEquals(1, r.code(), r.transcript());
        assertFalse(r.summary().path("verified").asBoolean(), r.transcript());
        assertEquals("kernel", r.summary().path("backend").asText(), r.transcript());
        assertTrue(r.summary().path("pagesMissing").asLong() > 0, r.transcript());
        assertTrue(r.destOut().contains("migration FAILED: "), r.transcript());
    }
}
