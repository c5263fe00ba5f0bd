package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.Reliability;
import picocli.CommandLine;
import picocli.CommandLine.ExitCode;

class RecoveryOptionsTest {
    private static RecoveryOptions parse(String... args) {
        RecoveryOptions o = new RecoveryOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    @Test
    void defaultsReconnectWithinSixtySecondsAndWatchForTenSecondStallsAndTenSecondSilences() {
        Reliability r = parse().apply(Reliability.DEFAULT);
        assertTrue(r.reconnect());
        assertEquals(Duration.ofSeconds(60), r.recoveryDeadline());
        assertEquals(Duration.ofSeconds(10), r.stallTimeout());
        assertEquals(Duration.ofSeconds(10), r.linkTimeout());
        assertEquals(Reliability.DEFAULT, r, "the options' defaults are the library's");
    }

    @Test
    void optionsSetTheReliabilityRecordAndKeepItsOtherFields() {
        Reliability base = Reliability.DEFAULT.withChaos("delay:5", 9);
        Reliability r = parse("--no-reconnect", "--recovery-deadline", "2.5", "--stall-timeout", "0.3",
                "--link-timeout", "0.75").apply(base);
        assertFalse(r.reconnect());
        assertEquals(Duration.ofMillis(2500), r.recoveryDeadline());
        assertEquals(Duration.ofMillis(300), r.stallTimeout());
        assertEquals(Duration.ofMillis(750), r.linkTimeout());
        assertEquals("delay:5", r.chaos());
        assertEquals(9, r.chaosSeed());
    }

    @Test
    void theDemoPassesTheOptionsOnToItsChildren() {
        RecoveryOptions o = parse("--no-reconnect", "--recovery-deadline", "5", "--stall-timeout", "1", "--link-timeout", "0");
        assertEquals(List.of("--no-reconnect", "--recovery-deadline", "5.0", "--link-timeout", "0.0", "--stall-timeout", "1.0"),
                o.asArgs());
        assertEquals(List.of("--recovery-deadline", "5.0", "--link-timeout", "0.0"), o.sourceArgs());
        Reliability again = parse(o.asArgs().toArray(String[]::new)).apply(Reliability.DEFAULT);
        assertEquals(o.apply(Reliability.DEFAULT), again);
    }

    @Test
    void badValuesAreUsageErrorsNamingTheOption() {
        CliRun run = CliRun.of("dest", "--connect", "127.0.0.1:1", "--recovery-deadline", "-1");
        assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Invalid value for option '--recovery-deadline'"), run::toString);
        run = CliRun.of("dest", "--connect", "127.0.0.1:1", "--stall-timeout", "0");
        assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Invalid value for option '--stall-timeout'"), run::toString);
        run = CliRun.of("source", "--recovery-deadline", "-3");
        assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Invalid value for option '--recovery-deadline'"), run::toString);
        run = CliRun.of("source", "--link-timeout", "0.001");
        assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Invalid value for option '--link-timeout'"), run::toString);
        run = CliRun.of("demo", "--link-timeout", "-1");
        assertEquals(ExitCode.USAGE, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Invalid value for option '--link-timeout'"), run::toString);
    }

    @Test
    void helpListsTheRecoveryOptions() {
        String dest = CliRun.of("dest", "--help").out();
        assertTrue(dest.contains("--no-reconnect") && dest.contains("--recovery-deadline") && dest.contains("--stall-timeout"), dest);
        String demo = CliRun.of("demo", "--help").out();
        assertTrue(demo.contains("--no-reconnect") && demo.contains("--stall-timeout"), demo);
        String source = CliRun.of("source", "--help").out();
        assertTrue(source.contains("--recovery-deadline") && source.contains("--link-timeout")
                && !source.contains("--no-reconnect"), source);
        assertTrue(dest.contains("--link-timeout") && demo.contains("--link-timeout"), dest + demo);
    }
}
