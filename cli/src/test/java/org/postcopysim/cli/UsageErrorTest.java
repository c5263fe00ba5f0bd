package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.protocol.VcpuCount;
import picocli.CommandLine.ExitCode;

/**
 * Usage errors: exit code 2, a one-line reason first on stderr, then (after picocli's suggestions
 * for a mistyped name, if any) one line pointing to the command's --help, not the whole usage;
 * nothing on stdout, no stack trace, and nothing started (no guest memory generated, no socket opened).
 */
class UsageErrorTest {

    private static CliRun assertUsageError(String expectedInFirstLine, String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
        List<String> lines = run.err().lines().toList();
        String firstLine = lines.isEmpty() ? "" : lines.get(0);
        assertTrue(firstLine.contains(expectedInFirstLine), () -> "first stderr line lacks '" + expectedInFirstLine + "'\n" + run);
        picocli.CommandLine cl = Main.commandLine();
        for (String arg : args) {
            if (!cl.getSubcommands().containsKey(arg)) break;
            cl = cl.getSubcommands().get(arg);
        }
        String command = cl.getCommandSpec().qualifiedName();
        assertEquals("Try '" + command + " --help' for more information.", lines.get(lines.size() - 1), run::toString);
        assertTrue(lines.size() <= 3, () -> "a usage error is the reason and the hint, not the usage\n" + run);
        assertFalse(run.err().contains("Usage:"), () -> "the whole usage after a usage error\n" + run);
        assertFalse(run.err().contains("Exception"), () -> "stack trace instead of a message\n" + run);
        assertFalse(run.err().contains("\tat "), () -> "stack trace instead of a message\n" + run);
        assertEquals("", run.out(), run::toString);
        return run;
    }

    /** The kernel backend runs what a real userfaultfd can: anything else is refused before anything starts. */
    @Test
    void theKernelBackendRefusesWhatItCannotRun() {
        for (String command : List.of("dest", "demo")) {
            String[] head = command.equals("dest") ? new String[] {"dest", "--connect", "127.0.0.1:1"} : new String[] {"demo"};
            assertUsageError("Invalid value for option '--backend': expected model or kernel, got 'sim'",
                    concat(head, "--backend", "sim"));
            assertUsageError("--backend kernel runs --fault-mode uffd only", concat(head, "--backend", "kernel"));
            assertUsageError("--backend kernel runs --fault-mode uffd only",
                    concat(head, "--backend", "kernel", "--fault-mode", "uffd+kvm-userfault"));
            assertUsageError("--backend kernel runs --fault-mode uffd only",
                    concat(head, "--backend", "kernel", "--fault-mode", "exit-on-missing"));
            assertUsageError("--backend kernel cannot run --host-events",
                    concat(head, "--backend", "kernel", "--fault-mode", "uffd", "--host-events", "reclaim:10"));
            assertUsageError("--backend kernel cannot run --notify-upgrades",
                    concat(head, "--backend", "kernel", "--fault-mode", "uffd", "--notify-upgrades"));
            assertUsageError("--private-fraction: fault mode uffd cannot see faults on private memory",
                    concat(head, "--backend", "kernel", "--fault-mode", "uffd", "--private-fraction", "0.5"));
        }
    }

    @Test
    void aStreamNicenessOutsideZeroToNineteenIsRefusedOnEverySide() {
        String want = "Invalid value for option '--stream-nice': a stream's niceness is 0..19 (0: as every other thread), got ";
        assertUsageError(want + "20", "dest", "--connect", "127.0.0.1:1", "--stream-nice", "20");
        assertUsageError(want + "-1", "source", "--stream-nice", "-1");
        assertUsageError(want + "20", "demo", "--stream-nice", "20");
        assertUsageError(want + "-3", "bench", "latency", "--stream-nice", "-3");
    }

    @Test
    void aMigrationRefusesFaultModeNone() {
        assertUsageError("--fault-mode none resolves faults in the host kernel", "dest", "--connect", "127.0.0.1:1",
                "--fault-mode", "none");
        assertUsageError("--fault-mode none resolves faults in the host kernel", "demo", "--fault-mode", "none");
    }

    @Test
    void hostEventsAndPrivateMemoryAreCheckedBeforeAnythingStarts() {
        for (String command : List.of("dest", "demo")) {
            String[] head = command.equals("dest") ? new String[] {"dest", "--connect", "127.0.0.1:1"} : new String[] {"demo"};
            assertUsageError("Invalid value for option '--host-events': unknown host event kind 'swap'",
                    concat(head, "--host-events", "swap:10"));
            assertUsageError("Invalid value for option '--host-events': host event 'reclaim' has no rate",
                    concat(head, "--host-events", "reclaim"));
            assertUsageError("--host-events: convert flips pages between private and shared, which needs guest_memfd",
                    concat(head, "--host-events", "convert:10"));
            assertUsageError("Invalid value for option '--private-fraction': private fraction must be within 0..1",
                    concat(head, "--private-fraction", "1.5"));
            assertUsageError("--private-fraction: fault mode uffd cannot see faults on private memory",
                    concat(head, "--private-fraction", "0.5", "--fault-mode", "uffd"));
            assertUsageError("--private-fraction: fault mode exit-on-missing cannot see faults on private memory",
                    concat(head, "--private-fraction", "0.5", "--fault-mode", "exit-on-missing"));
        }
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    @Test
    void aMistypedOptionGetsPicocliSuggestionsBeforeTheHint() {
        CliRun run = assertUsageError("Unknown options: '--vcpu', '2'", "dest", "--connect", "127.0.0.1:1", "--vcpu", "2");
        assertTrue(run.err().contains("Possible solutions: --vcpus"), run::toString);
    }

    @Test
    void everyVcpuOptionSharesOneLimitAndIsNamedWhenItIsWrong() {
        for (String[] args : List.of(new String[] {"fault-bench", "--vcpus", "0"}, new String[] {"fault-bench", "--vcpus", "4097"},
                new String[] {"demo", "--vcpus", "0"}, new String[] {"dest", "--connect", "127.0.0.1:1", "--vcpus", "4097"})) {
            assertUsageError("Invalid value for option '--vcpus': the vCPU count must be within 1.." + VcpuCount.MAX, args);
        }
        assertUsageError("Invalid value for option '--vcpus': the vCPU count must be within 1.." + VcpuCount.MAX,
                "compare", "--modes", "uffd", "--vcpus", "1,4097", "--out", "unused");
    }

    @Test
    void faultBenchNamesTheOptionAtFault() {
        assertUsageError("Invalid value for option '--write-fraction'", "fault-bench", "--write-fraction", "2");
        assertUsageError("Invalid value for option '--fetch-delay-us'", "fault-bench", "--fetch-delay-us", "-1");
        assertUsageError("Invalid value for option '--fetch-delay-us'", "fault-bench", "--fetch-delay-us", "9223372036854775807");
        assertUsageError("Invalid value for option '--mem-per-vcpu'", "fault-bench", "--mem-per-vcpu", "1000");
    }

    @Test
    void aJsonFileThatCannotBeWrittenIsAUsageErrorBeforeAnythingRuns() {
        String bad = "/proc/no-such-dir/summary.json"; // no one may create a directory in /proc, not even root
        assertUsageError("Invalid value for option '--json': cannot write " + bad, "dest", "--connect", "127.0.0.1:1", "--json", bad);
        assertUsageError("Invalid value for option '--json': cannot write " + bad, "demo", "--json", bad);
        assertUsageError("Invalid value for option '--json': cannot write " + bad, "fault-bench", "--json", bad);
        assertUsageError("Invalid value for option '--json': cannot write " + bad, "bench", "latency", "--json", bad);
    }

    @Test
    void progressLinesAreForDestOnly() {
        assertUsageError("Invalid value for option '--progress': lines is for dest", "demo", "--progress", "lines");
        assertUsageError("Invalid value for option '--progress'", "dest", "--connect", "127.0.0.1:1", "--progress", "sometimes");
    }

    @Test
    void demoChecksTheGuestThatMemPerVcpuMakes() {
        assertUsageError("Invalid value for option '--mem-per-vcpu'", "demo", "--mem-per-vcpu", "8000T", "--vcpus", "4096");
    }

    @Test
    void noSubcommandIsAUsageError() {
        assertUsageError("a subcommand is required");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertUsageError("Unknown option: '--bogus'", "dest", "--connect", "127.0.0.1:1", "--bogus");
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        // picocli answers an unknown subcommand with the nearest ones instead of the usage
        CliRun run = CliRun.of("frobnicate");
        assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().lines().findFirst().orElse("").contains("Unmatched argument"), run::toString);
        assertTrue(run.err().contains("Did you mean") || run.err().contains("Usage: postcopy-sim"), run::toString);
        assertFalse(run.err().contains("\tat "), run::toString);
        assertEquals("", run.out(), run::toString);
    }

    @Test
    void anUnknownBackgroundOrderIsAUsageErrorNamingTheOrders() {
        assertUsageError("Invalid value for option '--background-order': unknown background order 'random' (expected "
                + "linear, follow-faults, prepage:W", "source", "--background-order", "random");
        assertUsageError("Invalid value for option '--background-order': prepage needs its window", "demo",
                "--background-order", "prepage");
        assertUsageError("the pre-paging window must be within 1..", "demo", "--background-order", "prepage:0");
    }

    @Test
    void destWithoutConnectIsAUsageError() {
        assertUsageError("Missing required option: '--connect=HOST:PORT'", "dest");
    }

    @Test
    void guestMemThatIsNotASizeIsAUsageError() {
        assertUsageError("Invalid value for option '--guest-mem': not a size: 'banana'", "source", "--guest-mem", "banana");
    }

    @Test
    void demoGuestMemThatIsNotASizeIsAUsageError() {
        assertUsageError("Invalid value for option '--guest-mem'", "demo", "--guest-mem", "banana");
    }

    @Test
    void negativeGuestMemIsAUsageError() {
        assertUsageError("size must not be negative", "source", "--guest-mem", "-16M");
    }

    @Test
    void guestMemNotAMultipleOfThePageSizeIsAUsageError() {
        assertUsageError("Invalid value for option '--guest-mem': guest memory must be a positive multiple of 4 KiB", "source", "--listen", "127.0.0.1:0", "--guest-mem", "1000");
    }

    @Test
    void zeroMemslotsIsAUsageError() {
        assertUsageError("Invalid value for option '--memslots'", "source", "--listen", "127.0.0.1:0", "--guest-mem", "16M", "--memslots", "0");
    }

    @Test
    void demoValidatesTheGuestBeforeStartingAnyProcess() {
        assertUsageError("multiple of 4 KiB", "demo", "--guest-mem", "1000");
    }

    @Test
    void precopyOptionsAreCheckedBeforeAnythingStarts() {
        assertUsageError("Invalid value for option '--precopy-rounds': precopy rounds must be >= 0", "source",
                "--listen", "127.0.0.1:0", "--precopy-rounds", "-1");
        assertUsageError("--precopy-until needs at least one round; --precopy-rounds is 0", "source",
                "--listen", "127.0.0.1:0", "--precopy-until", "4M", "--precopy-rounds", "0");
        assertUsageError("Invalid value for option '--precopy-until'", "demo", "--precopy-until", "lots");
        assertUsageError("precopy rounds must be >= 0", "demo", "--precopy-rounds", "-2");
    }

    @Test
    void connectWithoutPortIsAUsageError() {
        assertUsageError("Invalid value for option '--connect'", "dest", "--connect", "localhost");
    }

    @Test
    void connectWithPortOutOfRangeIsAUsageError() {
        assertUsageError("port out of range", "dest", "--connect", "127.0.0.1:70000");
    }

    @Test
    void nonNumericVcpusIsAUsageError() {
        assertUsageError("Invalid value for option '--vcpus'", "dest", "--connect", "127.0.0.1:1", "--vcpus", "two");
    }

    @Test
    void unknownWorkloadIsAUsageErrorNotAStackTrace() {
        assertUsageError("Invalid value for option '--workload': unknown workload 'nope'", "dest", "--connect", "127.0.0.1:1", "--workload", "nope");
    }

    @Test
    void zipfWithNonNumericThetaIsAUsageError() {
        assertUsageError("zipf theta is not a number", "dest", "--connect", "127.0.0.1:1", "--workload", "zipf:x");
    }

    @Test
    void demoRejectsAnUnknownWorkloadBeforeStartingAnyProcess() {
        assertUsageError("unknown workload 'nope'", "demo", "--guest-mem", "16M", "--workload", "nope");
    }

    @Test
    void writeFractionAboveOneIsAUsageError() {
        assertUsageError("Invalid value for option '--write-fraction': write fraction must be within 0..1", "dest", "--connect", "127.0.0.1:1", "--write-fraction", "2");
    }

    @Test
    void zeroVcpusIsAUsageError() {
        assertUsageError("Invalid value for option '--vcpus': the vCPU count must be within 1..4096, got 0", "dest", "--connect", "127.0.0.1:1", "--vcpus", "0");
    }

    @Test
    void negativeAccessRateIsAUsageError() {
        assertUsageError("access rate must not be negative", "dest", "--connect", "127.0.0.1:1", "--access-rate", "-1");
    }

    @Test
    void batchLargerThanAFrameIsAUsageError() {
        assertUsageError("Invalid value for option '--pages-per-batch'", "source", "--listen", "127.0.0.1:0", "--guest-mem", "16M",
                "--pages-per-batch", "1000000");
    }

    @Test
    void zeroGuestMemIsAUsageError() {
        assertUsageError("Invalid value for option '--guest-mem'", "source", "--listen", "127.0.0.1:0", "--guest-mem", "0");
    }

    @Test
    void negativeSpinIsAUsageError() {
        assertUsageError("Invalid value for option '--vcpu-spin-us'", "dest", "--connect", "127.0.0.1:1", "--vcpu-spin-us", "-5");
    }

    @Test
    void negativePageRetriesIsAUsageError() {
        assertUsageError("Invalid value for option '--page-retries'", "dest", "--connect", "127.0.0.1:1", "--page-retries", "-1");
    }

    @Test
    void unbracketedIpv6ConnectAddressIsAUsageError() {
        assertUsageError("needs brackets", "dest", "--connect", "fe80::1:7070");
    }

    @Test
    void tlsOptionsGivenPartiallyAreAUsageErrorOnEverySideNamingWhatIsMissing() {
        assertUsageError("missing --tls-key, --tls-ca", "source", "--listen", "127.0.0.1:0", "--tls-cert", "cert.pem");
        assertUsageError("missing --tls-cert", "dest", "--connect", "127.0.0.1:1", "--tls-key", "key.pem", "--tls-ca", "ca.pem");
        assertUsageError("missing --tls-ca", "demo", "--tls-cert", "cert.pem", "--tls-key", "key.pem");
    }

    @Test
    void unreadableTlsFilesAreAUsageError(@TempDir Path tmp) {
        assertUsageError("Invalid value for option '--tls-cert': cannot read the certificate file", "source",
                "--listen", "127.0.0.1:0", "--tls-cert", tmp.resolve("none.pem").toString(),
                "--tls-key", tmp.resolve("none.key").toString(), "--tls-ca", tmp.resolve("ca.pem").toString());
    }

    @Test
    void aMissingOrEmptyTokenFileIsAUsageError(@TempDir Path tmp) throws Exception {
        assertUsageError("Invalid value for option '--token-file': cannot read the token file", "source",
                "--listen", "127.0.0.1:0", "--token-file", tmp.resolve("absent").toString());
        Path empty = Files.writeString(tmp.resolve("empty"), "  \n");
        assertUsageError("Invalid value for option '--token-file': the token file " + empty + " is empty", "source",
                "--listen", "127.0.0.1:0", "--token-file", empty.toString());
        assertUsageError("Invalid value for option '--token-file': the token file " + empty + " is empty", "dest",
                "--connect", "127.0.0.1:1", "--token-file", empty.toString());
    }

    @Test
    void aTokenAndATokenFileTogetherAreAUsageError(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("token"), "abc\n");
        assertUsageError("give --token or --token-file, not both", "dest", "--connect", "127.0.0.1:1",
                "--token", "abc", "--token-file", file.toString());
    }
}
