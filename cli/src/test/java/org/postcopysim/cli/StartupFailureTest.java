package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An address that cannot be bound: one line on stderr naming it and why, exit code 1, no stack
 * trace, and found before the expensive setup (a 2 GiB guest takes seconds to generate; the
 * failure must not wait for it).
 */
class StartupFailureTest {
    /** A guest whose generation takes several seconds on any machine (bytes as the CLI takes them). */
    static final String BIG_GUEST = "2G";
    /** Bound on a failure that comes before the guest is generated (ms); generating BIG_GUEST takes longer. */
    static final long FAIL_FAST_MS = 3_000;

    private ServerSocket taken;

    @BeforeEach
    void takeAPort() throws Exception {
        taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void release() throws Exception {
        taken.close();
    }

    private String takenAddress() {
        return "127.0.0.1:" + taken.getLocalPort();
    }

    private static CliRun assertOneLineFailure(String expected, String... args) {
        long t0 = System.nanoTime();
        CliRun run = CliRun.of(args);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertOneLine(expected, run);
        assertTrue(ms < FAIL_FAST_MS, () -> "took " + ms + " ms: the address was bound after the setup\n" + run);
        return run;
    }

    private static void assertOneLine(String expected, CliRun run) {
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(List.of(expected), run.err().lines().toList(), run::toString);
    }

    @Test
    void sourceListenOnAPortInUseFailsInOneLineBeforeGeneratingTheGuest() {
        CliRun run = assertOneLineFailure("postcopy-sim source: cannot listen on " + takenAddress() + ": Address already in use",
                "source", "--listen", takenAddress(), "--guest-mem", BIG_GUEST);
        assertEquals("", run.out(), run::toString);
    }

    @Test
    void sourceMetricsListenOnAPortInUseFailsInOneLineBeforeGeneratingTheGuest() {
        assertOneLineFailure("postcopy-sim source: cannot serve metrics on " + takenAddress() + ": Address already in use",
                "source", "--listen", "127.0.0.1:0", "--metrics-listen", takenAddress(), "--guest-mem", BIG_GUEST);
    }

    @Test
    void destMetricsListenOnAPortInUseFailsInOneLineBeforeConnecting() {
        CliRun run = assertOneLineFailure("postcopy-sim dest: cannot serve metrics on " + takenAddress() + ": Address already in use",
                "dest", "--connect", "127.0.0.1:1", "--metrics-listen", takenAddress());
        assertEquals("", run.out(), "nothing started, nothing printed\n" + run);
    }

    @Test
    void compareNamesAnOutputDirectoryItCannotCreate() {
        CliRun run = CliRun.of("compare", "--modes", "uffd", "--vcpus", "1", "--out", "/proc/no-such-dir");
        assertEquals(1, run.exitCode(), run::toString);
        List<String> err = run.err().lines().toList();
        assertEquals(1, err.size(), run::toString);
        assertTrue(err.get(0).startsWith("postcopy-sim compare: cannot create /proc/no-such-dir/runs: "), run::toString);
    }

    @Test
    void aHostThatDoesNotResolveIsNamed() {
        // not timed: a slow resolver may take its time to say no
        assertOneLine("postcopy-sim source: cannot listen on no-such-host.invalid:0: unknown host",
                CliRun.of("source", "--listen", "no-such-host.invalid:0"));
    }
}
