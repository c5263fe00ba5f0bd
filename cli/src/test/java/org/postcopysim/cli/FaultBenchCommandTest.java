package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultBenchCommandTest {
    @Test
    void writesTheSummaryWithTheIssuesFields(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("fb.json");
        CliRun run = CliRun.of("fault-bench", "--fault-mode", "uffd", "--vcpus", "2", "--mem-per-vcpu", "2M",
                "--uffd-readers", "2", "--warmup-mem", "0", "--seed", "3", "--json", json.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("fault-bench uffd (model backend): 2 vCPUs"), run::toString);
        JsonNode r = SummaryPrinter.JSON.readTree(json.toFile());
        for (String f : new String[] {"mode", "vcpus", "readers", "uffdScope", "pagesPerSecOverall", "pagesPerSecPerVcpu",
                "faultLatencyNs", "faultLatencyLog2Us", "blocktime", "redundantFaults", "uffd", "populates", "exitsPerVcpu"}) {
            assertTrue(r.has(f), "missing " + f);
        }
        assertEquals("uffd", r.path("mode").asText());
        assertEquals("model", r.path("backend").asText());
        assertEquals(2, r.path("readers").asInt());
        assertEquals("shared", r.path("uffdScope").asText());
        assertTrue(r.path("uffd").path("waitersVisitedPerWake").path("max").asLong() >= 1, r.toPrettyString());
        assertTrue(r.path("uffd").path("wakes").asLong() > 0, r.toPrettyString());
        assertEquals(2, r.path("pagesPerSecPerVcpu").size());
        assertTrue(r.path("pagesPerSecOverall").asDouble() > 0);
        for (String p : new String[] {"p50", "p90", "p99", "p999", "max"}) {
            assertTrue(r.path("faultLatencyNs").path(p).asLong() > 0, p);
        }
        assertTrue(r.path("verified").asBoolean());
    }

    @Test
    void theWarmUpAndTheMeasuredRunLogTheirRatesEachLabelled() {
        CapturedStderr.Result<CliRun> r = CapturedStderr.during(() -> CliRun.of("fault-bench", "--vcpus", "1",
                "--mem-per-vcpu", "256K", "--warmup-mem", "256K", "--seed", "4"));
        assertEquals(0, r.value().exitCode(), r.value()::toString);
        List<String> rates = r.stderr().lines().filter(l -> l.contains("pages/s")).toList();
        assertEquals(2, rates.size(), r.stderr());
        assertTrue(rates.get(0).contains("fault-bench warm-up (discarded) run: kvm-userfault (model), 1 vCPU, "), r.stderr());
        assertTrue(rates.get(1).contains("fault-bench measured run: kvm-userfault (model), 1 vCPU, "), r.stderr());
    }

    @Test
    void oneVcpuAndOneReaderAreSingular() {
        CliRun run = CliRun.of("fault-bench", "--fault-mode", "uffd", "--vcpus", "1", "--uffd-readers", "1",
                "--mem-per-vcpu", "256K", "--warmup-mem", "0", "--seed", "4");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("fault-bench uffd (model backend): 1 vCPU, 256 KiB per vCPU, partitioned access, 1 reader per uffd"), run::toString);
        assertTrue(run.out().contains("with the only vCPU blocked at once"), run::toString);
    }

    @Test
    void withoutAWarmUpOnlyTheMeasuredRunIsLogged() {
        CapturedStderr.Result<CliRun> r = CapturedStderr.during(() -> CliRun.of("fault-bench", "--mem-per-vcpu", "256K",
                "--warmup-mem", "0", "--seed", "4"));
        assertEquals(0, r.value().exitCode(), r.value()::toString);
        List<String> rates = r.stderr().lines().filter(l -> l.contains("pages/s")).toList();
        assertEquals(1, rates.size(), r.stderr());
        assertTrue(rates.get(0).contains("fault-bench measured run: "), r.stderr());
    }

    @Test
    void perVcpuUffdScopeWithOverlappedAccessIsAUsageError() {
        CliRun run = CliRun.of("fault-bench", "--fault-mode", "uffd", "--uffd-scope", "per-vcpu", "--access", "overlapped");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("--uffd-scope per-vcpu needs --access partitioned"), run::toString);
    }

    @Test
    void unknownFaultModesAndInternalAccessesOutsideTheirModeAreUsageErrors() {
        CliRun bad = CliRun.of("fault-bench", "--fault-mode", "uffd2");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("unknown fault mode 'uffd2'"), bad::toString);
        CliRun internal = CliRun.of("dest", "--connect", "127.0.0.1:1", "--fault-mode", "uffd", "--internal-access-fraction", "0.5");
        assertEquals(2, internal.exitCode());
        assertTrue(internal.err().contains("applies to uffd+kvm-userfault only"), internal::toString);
    }

    @Test
    void theKernelBackendRunsOnThisMachinesUserfaultfdAndSaysSo(@TempDir Path dir) throws Exception {
        String why = org.postcopysim.kernel.KernelSupport.unavailableReason(org.postcopysim.kernel.Uffd.Registration.MISSING);
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, () -> "kernel backend unavailable: " + why);
        Path json = dir.resolve("kernel.json");
        CliRun run = CliRun.of("fault-bench", "--backend", "kernel", "--fault-mode", "uffd", "--vcpus", "2",
                "--mem-per-vcpu", "2M", "--uffd-wake", "separate", "--warmup-mem", "0", "--seed", "3", "--json", json.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("fault-bench uffd (kernel backend): 2 vCPUs"), run::toString);
        assertTrue(run.out().contains("the kernel does not say how many waiters each visited"), run::toString);
        JsonNode r = SummaryPrinter.JSON.readTree(json.toFile());
        assertEquals("kernel", r.path("backend").asText());
        assertTrue(r.path("verified").asBoolean(), r.toPrettyString());
        assertEquals(1024, r.path("hostFaults").asLong(), "every page faulted through the real uffd once");
        assertEquals(1024, r.path("uffd").path("wakes").asLong(), "one UFFDIO_WAKE per DONTWAKE copy");
        assertTrue(r.path("uffd").path("waitersVisitedPerWake").isNull(), r.toPrettyString());
        CliRun placed = CliRun.of("fault-bench", "--backend", "kernel", "--fault-mode", "uffd", "--vcpus", "2",
                "--mem-per-vcpu", "1M", "--warmup-mem", "0", "--seed", "3", "--record-placement");
        assertEquals(0, placed.exitCode(), placed::toString);
        assertTrue(placed.out().matches("(?s).*placement \\d+% of the wake-ups on the waker's CPU: of 512 faults, \\d+ read by "
                + "a reader on the faulting thread's CPU, \\d+ resumed on the resolving reader's CPU; the reader's placement in \\d+ runs .*"), placed::toString);
        assertTrue(placed.out().matches("(?s).*\\n  threads   vcpu-0 cpu\\d+ \\d+.*; vcpu-1 cpu\\d+ \\d+.*; uffd-reader-0 .*"),
                placed::toString);
        // Each kind of run timed: runs, time per fault and per run, or "-" for a kind that never occurred.
        assertTrue(placed.out().matches("(?s).*\\n  runs      placed: \\d+ runs, (-|[\\d.]+ us) per fault, (-|[\\d.]+ us) per "
                + "run; spread: \\d+ runs, (-|[\\d.]+ us) per fault, (-|[\\d.]+ us) per run .*"), placed::toString);
    }

    @Test
    void theSimBackendRunsInVirtualTimeWithTheGivenCosts(@TempDir Path dir) throws Exception {
        Path slow = dir.resolve("slow.costs");
        java.nio.file.Files.writeString(slow, "thread-wakeup = 300000\n");
        double fast = simRate(dir, "fast", List.of());
        double slowed = simRate(dir, "slow", List.of("--cost-file", slow.toString()));
        assertTrue(slowed < fast / 5, "a 100x thread wake-up cost slows the simulated uffd: " + fast + " vs " + slowed);
    }

    private static double simRate(Path dir, String name, List<String> more) throws Exception {
        Path json = dir.resolve(name + ".json");
        List<String> args = new java.util.ArrayList<>(List.of("fault-bench", "--backend", "sim", "--fault-mode", "uffd",
                "--vcpus", "2", "--host-cpus", "2", "--mem-per-vcpu", "1M", "--seed", "3", "--json", json.toString()));
        args.addAll(more);
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("(sim backend)"), run::toString);
        JsonNode r = SummaryPrinter.JSON.readTree(json.toFile());
        assertEquals("sim", r.path("backend").asText());
        assertTrue(r.path("verified").asBoolean(), r.toPrettyString());
        assertEquals(512, r.path("pagesInstalled").asLong());
        return r.path("pagesPerSecOverall").asDouble();
    }

    @Test
    void backendOptionsOutsideTheirBackendAndModesTheKernelHasNotGotAreUsageErrors() {
        CliRun register = CliRun.of("fault-bench", "--uffd-register", "minor");
        assertEquals(2, register.exitCode(), register::toString);
        assertTrue(register.err().contains("--uffd-register applies to --backend kernel only"), register::toString);
        CliRun costs = CliRun.of("fault-bench", "--backend", "kernel", "--fault-mode", "uffd", "--host-cpus", "4");
        assertEquals(2, costs.exitCode(), costs::toString);
        assertTrue(costs.err().contains("--host-cpus applies to --backend sim only"), costs::toString);
        CliRun mode = CliRun.of("fault-bench", "--backend", "kernel", "--fault-mode", "kvm-userfault", "--warmup-mem", "0");
        assertEquals(2, mode.exitCode(), mode::toString);
        assertTrue(mode.err().contains("upstream kernel has not got"), mode::toString);
        CliRun missing = CliRun.of("fault-bench", "--backend", "sim", "--cost-file", "/nonexistent/host.costs");
        assertEquals(2, missing.exitCode(), missing::toString);
        assertTrue(missing.err().contains("Invalid value for option '--cost-file': cannot read cost file /nonexistent/host.costs"),
                missing::toString);
        CliRun placement = CliRun.of("fault-bench", "--record-placement"); // refused before the warm-up runs
        assertEquals(2, placement.exitCode(), placement::toString);
        assertTrue(placement.err().contains("--record-placement needs --backend kernel, --fault-mode uffd and --access "
                + "partitioned"), placement::toString);
        assertTrue(!placement.out().contains("warm-up"), placement::toString);
        CliRun backend = CliRun.of("fault-bench", "--backend", "qemu");
        assertEquals(2, backend.exitCode(), backend::toString);
        assertTrue(backend.err().contains("expected model, kernel or sim, got 'qemu'"), backend::toString);
    }
}
