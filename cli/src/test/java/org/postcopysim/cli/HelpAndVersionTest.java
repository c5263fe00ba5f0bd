package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Help and version output: exit 0, on stdout, naming every documented option. */
class HelpAndVersionTest {

    private static void assertHelpMentions(CliRun run, List<String> words) {
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("Usage: postcopy-sim"), run::toString);
        for (String w : words) assertTrue(run.out().contains(w), () -> "help lacks " + w + "\n" + run);
        assertEquals("", run.err(), run::toString);
    }

    @Test
    void rootHelpListsStandardOptionsAndEverySubcommand() {
        assertHelpMentions(CliRun.of("--help"), List.of("--help", "--version", "demo", "source", "dest", "help"));
    }

    @Test
    void destHelpListsEveryDestinationOption() {
        assertHelpMentions(CliRun.of("dest", "--help"), List.of("--connect", "--timeout", "--vcpus", "--workload",
                "--write-fraction", "--access-rate", "--no-huge-recovery", "--vcpu-spin-us", "--page-retries", "--json",
                "--seed", "--metrics-listen", "--help", "--version"));
    }

    @Test
    void sourceHelpListsEverySourceOption() {
        assertHelpMentions(CliRun.of("source", "--help"), List.of("--listen", "--guest-mem", "--memslots",
                "--max-bandwidth", "--pages-per-batch", "--seed", "--metrics-listen", "--help", "--version"));
    }

    @Test
    void demoHelpListsGuestVcpuSeedJsonAndBandwidthOptions() {
        assertHelpMentions(CliRun.of("demo", "--help"), List.of("--guest-mem", "--memslots", "--vcpus", "--workload",
                "--write-fraction", "--no-huge-recovery", "--seed", "--json", "--max-bandwidth"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "dest", "compare"})
    void everyWorkloadKindIsListedWhereAWorkloadIsTaken(String sub) {
        String help = CliRun.of(sub, "--help").out().replaceAll("\\s+", " ");
        String workload = help.substring(help.lastIndexOf("--workload=KIND")); // the option list, after the synopsis
        for (org.postcopysim.guest.Workload.Kind k : org.postcopysim.guest.Workload.Kind.values()) {
            String name = k.name().toLowerCase(java.util.Locale.ROOT);
            assertTrue(workload.substring(0, Math.min(workload.length(), 200)).contains(name), () -> sub + " --help omits " + name + ": " + workload);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "source", "dest"})
    void helpSubcommandPrintsTheSubcommandsUsage(String sub) {
        CliRun run = CliRun.of("help", sub);
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("Usage: postcopy-sim " + sub), run::toString);
    }

    @Test
    void versionExitsZeroAndNamesBuildProtocolAndTransport() {
        CliRun run = CliRun.of("--version");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("postcopy-sim "), run::toString);
        assertTrue(run.out().contains("protocol version "), run::toString);
        assertTrue(run.out().contains("transport "), run::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "source", "dest"})
    void subcommandVersionPrintsTheSameVersionAsTheRoot(String sub) {
        CliRun run = CliRun.of(sub, "--version");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(CliRun.of("--version").out(), run.out(), run::toString);
    }
}
