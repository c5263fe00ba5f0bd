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
        assertTrue(stderr.toString().contains("Usage: postcopy-sim compare"), context);
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
        assertUsageError("Invalid value for option '--vcpus': vcpus must be within 1..4096", "--modes", "uffd", "--vcpus", "0,1");
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
    void badPassthroughValuesAreUsageErrors() {
        assertUsageError("Invalid value for option '--uffd-scope'", "--modes", "uffd", "--vcpus", "1", "--uffd-scope", "global");
        assertUsageError("Invalid value for option '--access'", "--modes", "uffd", "--vcpus", "1", "--access", "random");
        assertUsageError("Invalid value for option '--guest-mem'", "--modes", "uffd", "--vcpus", "1", "--guest-mem", "1000");
        assertUsageError("Invalid value for option '--workload'", "--modes", "uffd", "--vcpus", "1", "--workload", "nope");
        assertUsageError("Invalid value for option '--uffd-readers'", "--modes", "uffd", "--vcpus", "1", "--uffd-readers", "0");
    }
}
