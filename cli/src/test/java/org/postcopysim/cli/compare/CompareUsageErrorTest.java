package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.cli.Main;
import picocli.CommandLine;

/** Bad options: exit code 2, the reason on stderr's first line, nothing run and nothing written. */
class CompareUsageErrorTest {
    @TempDir
    Path tmp;

    private void assertUsageError(String expectedInFirstLine, String... options) {
        Path out = tmp.resolve("out");
        String[] args = new String[options.length + 3];
        args[0] = "compare";
        args[1] = "--out";
        args[2] = out.toString();
        System.arraycopy(options, 0, args, 3, options.length);
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(stdout, true));
        cl.setErr(new PrintWriter(stderr, true));
        int code = cl.execute(args);
        String context = "exit " + code + "\n--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
        assertEquals(2, code, context);
        String first = stderr.toString().lines().findFirst().orElse("");
        assertTrue(first.contains(expectedInFirstLine), () -> "first stderr line lacks '" + expectedInFirstLine + "'\n" + context);
        assertTrue(stderr.toString().endsWith("Try 'postcopy-sim compare --help' for more information." + System.lineSeparator()), context);
        assertFalse(stderr.toString().contains("Usage:"), context);
        assertFalse(stderr.toString().contains("\tat "), context);
        assertEquals("", stdout.toString(), context);
        assertFalse(Files.exists(out), "nothing written on a usage error");
    }

    @Test
    void unknownModeIsAUsageError() {
        assertUsageError("Invalid value for option '--modes': unknown fault mode 'userfault'",
                "--modes", "uffd,userfault", "--vcpus", "1");
    }

    @Test
    void backendsTheKernelCannotRunAndSimOptionsWithoutSimAreUsageErrors() {
        assertUsageError("kernel runs modes none and uffd only (kvm-userfault needs KVM Userfault",
                "--modes", "uffd,kvm-userfault", "--backends", "kernel,model", "--vcpus", "1");
        assertUsageError("expected model, kernel or sim, got 'qemu'", "--modes", "uffd", "--backends", "qemu", "--vcpus", "1");
        assertUsageError("'sim' is listed twice", "--modes", "uffd", "--backends", "sim,sim", "--vcpus", "1");
        assertUsageError("--sim-host-cpus': applies to --backends with sim only", "--modes", "uffd", "--backends", "model",
                "--sim-host-cpus", "4", "--vcpus", "1");
        assertUsageError("--backends': applies to --bench fault only", "--modes", "uffd", "--backends", "model",
                "--bench", "migration", "--vcpus", "1");
        assertUsageError("none fetches nothing, so --bench migration cannot run it", "--modes", "none",
                "--bench", "migration", "--vcpus", "1");
    }

    @Test
    void backgroundOrdersNoChildTakesAreUsageErrors() {
        assertUsageError("--background-order': applies to --bench migration only", "--modes", "uffd", "--vcpus", "1",
                "--background-order", "linear");
        assertUsageError("unknown background order 'random'", "--modes", "uffd", "--vcpus", "1", "--bench", "migration",
                "--background-order", "linear,random");
        assertUsageError("prepage needs its window", "--modes", "uffd", "--vcpus", "1", "--bench", "migration",
                "--background-order", "prepage");
        assertUsageError("'prepage:064' is listed twice", "--modes", "uffd", "--vcpus", "1", "--bench", "migration",
                "--background-order", "prepage:64,prepage:064");
    }

    @Test
    void modeListedTwiceIsAUsageError() {
        assertUsageError("'uffd' is listed twice", "--modes", "uffd,kvm-userfault,uffd", "--vcpus", "1");
    }

    @Test
    void emptyModeIsAUsageError() {
        assertUsageError("unknown fault mode ''", "--modes", "uffd,,kvm-userfault", "--vcpus", "1");
    }

    @Test
    void nonNumericVcpusIsAUsageError() {
        assertUsageError("Invalid value for option '--vcpus'", "--modes", "uffd", "--vcpus", "1,two");
    }

    @Test
    void zeroVcpusIsAUsageError() {
        assertUsageError("Invalid value for option '--vcpus': the vCPU count must be within 1..4096, got 0", "--modes", "uffd", "--vcpus", "0,1");
    }

    @Test
    void negativeVcpusIsAUsageError() {
        assertUsageError("Invalid value for option '--vcpus'", "--modes", "uffd", "--vcpus", "-2");
    }

    @Test
    void missingModesIsAUsageError() {
        assertUsageError("Missing required option: '--modes=MODE'", "--vcpus", "1");
    }

    @Test
    void unknownBenchIsAUsageError() {
        assertUsageError("Invalid value for option '--bench'", "--modes", "uffd", "--vcpus", "1", "--bench", "network");
    }

    @Test
    void zeroRepeatIsAUsageError() {
        assertUsageError("Invalid value for option '--repeat'", "--modes", "uffd", "--vcpus", "1", "--repeat", "0");
    }

    @Test
    void anOptionTheBenchCannotUseIsRefusedNamingItAndTheBench() {
        assertUsageError("Option '--workload' cannot be used with --bench fault: its runs are `fault-bench`, which has no "
                + "--workload (it applies to --bench migration)", "--modes", "uffd", "--vcpus", "1", "--workload", "zipf");
        assertUsageError("Option '--guest-mem' cannot be used with --bench fault", "--modes", "uffd", "--vcpus", "1",
                "--guest-mem", "16M");
        assertUsageError("Option '--max-bandwidth' cannot be used with --bench fault", "--modes", "uffd", "--vcpus", "1",
                "--max-bandwidth", "1M");
        assertUsageError("Option '--fetch-delay-us' cannot be used with --bench migration: its runs are `demo`, which has no "
                + "--fetch-delay-us (it applies to --bench fault)", "--modes", "uffd", "--vcpus", "1", "--bench", "migration",
                "--fetch-delay-us", "5");
    }

    @Test
    void badPassthroughValuesAreUsageErrors() {
        assertUsageError("Invalid value for option '--uffd-scope'", "--modes", "uffd", "--vcpus", "1", "--uffd-scope", "global");
        assertUsageError("Invalid value for option '--access'", "--modes", "uffd", "--vcpus", "1", "--access", "random");
        assertUsageError("Invalid value for option '--guest-mem'", "--modes", "uffd", "--vcpus", "1", "--bench", "migration",
                "--guest-mem", "1000");
        assertUsageError("Invalid value for option '--workload'", "--modes", "uffd", "--vcpus", "1", "--bench", "migration",
                "--workload", "nope");
        assertUsageError("Invalid value for option '--uffd-readers'", "--modes", "uffd", "--vcpus", "1", "--uffd-readers", "0");
    }
}
