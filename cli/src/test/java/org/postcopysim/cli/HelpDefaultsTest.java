package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.dest.DestConfig;
import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.source.SourceConfig;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What --help says an option defaults to is what a run without the option uses: every default
 * is stated through ${DEFAULT-VALUE} (no default written by hand), the values picocli applies
 * match the core modules' own defaults, and fault-bench, whose --access default differs from the
 * other commands', runs with the default its help states.
 */
class HelpDefaultsTest {
    /** "Default: X." in a rendered help text whose lines were joined. */
    private static final Pattern STATED_DEFAULT = Pattern.compile("Default: (\\S+?)\\.(?:\\s|$)");

    private static List<CommandLine> everyCommand(CommandLine cl) {
        List<CommandLine> all = new ArrayList<>(List.of(cl));
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandName().equals("help")) continue;
            all.addAll(everyCommand(sub));
        }
        return all;
    }

    private static boolean isFlag(OptionSpec o) {
        return o.usageHelp() || o.versionHelp() || o.type() == boolean.class || o.type() == Boolean.class;
    }

    /** The default picocli applies to {@code o} (a command's default value provider first), or null for none. */
    private static String defaultOf(CommandLine cl, OptionSpec o) throws Exception {
        CommandLine.IDefaultValueProvider provider = cl.getCommandSpec().defaultValueProvider();
        String fromProvider = provider == null ? null : provider.defaultValue(o);
        return fromProvider != null ? fromProvider : o.defaultValue();
    }

    @Test
    void everyOptionWithADefaultStatesThatDefaultInItsHelp() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (CommandLine cl : everyCommand(Main.commandLine())) {
            for (OptionSpec o : cl.getCommandSpec().options()) {
                if (isFlag(o)) continue;
                String d = defaultOf(cl, o);
                String help = String.join(" ", o.description()); // as rendered: ${DEFAULT-VALUE} replaced
                String where = cl.getCommandSpec().qualifiedName() + " " + o.longestName();
                Matcher m = STATED_DEFAULT.matcher(help);
                List<String> stated = new ArrayList<>();
                while (m.find()) stated.add(m.group(1));
                if (d != null && !stated.equals(List.of(d))) {
                    wrong.add(where + ": defaults to " + d + ", its help states " + (stated.isEmpty() ? "no default" : stated));
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    /** The value picocli gives {@code option} of {@code command} when it is not on the command line. */
    private static Object appliedDefault(String command, String option, String... required) {
        CommandLine root = Main.commandLine();
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of(required));
        root.parseArgs(args.toArray(String[]::new));
        return root.getSubcommands().get(command).getCommandSpec().findOption(option).getValue();
    }

    private static void assertDefault(Object expected, String command, String option, String... required) {
        Object applied = appliedDefault(command, option, required);
        if (expected instanceof Number e && applied instanceof Number a) {
            assertEquals(e.doubleValue(), a.doubleValue(), command + " " + option);
        } else {
            assertEquals(String.valueOf(expected), String.valueOf(applied), command + " " + option);
        }
    }

    @Test
    void theDefaultsAppliedAreTheCoreModulesDefaults() {
        DestConfig dest = DestConfig.defaults("127.0.0.1", 0);
        SourceConfig source = SourceConfig.defaults();
        String[] connect = {"--connect", "127.0.0.1:1"};
        for (String[] c : List.of(new String[] {"dest", "--connect", "127.0.0.1:1"}, new String[] {"demo"})) {
            String cmd = c[0];
            String[] req = java.util.Arrays.copyOfRange(c, 1, c.length);
            assertDefault(dest.vcpus(), cmd, "--vcpus", req);
            assertDefault(dest.accessesPerSecPerVcpu(), cmd, "--access-rate", req);
            assertDefault(dest.vcpuSpinNs() / 1000, cmd, "--vcpu-spin-us", req);
            assertDefault(dest.maxPageRetries(), cmd, "--page-retries", req);
            assertDefault(DestConfig.DEFAULT_WRITE_FRACTION, cmd, "--write-fraction", req);
            assertDefault(dest.workload().toString(), cmd, "--workload", req);
            assertDefault(FaultOptions.DEFAULT.mode().cliName(), cmd, "--fault-mode", req);
            assertDefault(FaultOptions.DEFAULT.uffdReaders(), cmd, "--uffd-readers", req);
            assertDefault(FaultOptions.DEFAULT.partitioned() ? "partitioned" : "overlapped", cmd, "--access", req);
            assertDefault(Reliability.DEFAULT_RECOVERY_DEADLINE.toSeconds(), cmd, "--recovery-deadline", req);
            assertDefault(Reliability.DEFAULT_LINK_TIMEOUT.toSeconds(), cmd, "--link-timeout", req);
            assertDefault(Reliability.DEFAULT_STALL_TIMEOUT.toSeconds(), cmd, "--stall-timeout", req);
        }
        assertDefault(dest.connectTimeout().toSeconds(), "dest", "--timeout", connect);
        for (String cmd : List.of("source", "demo")) {
            assertDefault(SourceConfig.DEFAULT_GUEST_BYTES, cmd, "--guest-mem");
            assertDefault(SourceConfig.DEFAULT_MEMSLOTS, cmd, "--memslots");
        }
        assertDefault(source.maxBackgroundBytesPerSec(), "source", "--max-bandwidth");
        for (String cmd : List.of("source", "demo")) {
            assertDefault(source.backgroundOrder().toString(), cmd, "--background-order");
        }
        assertDefault(FrameDescriptor.DEFAULT_PAGES_PER_BATCH, "source", "--pages-per-batch");
        assertDefault(Reliability.DEFAULT_RECOVERY_DEADLINE.toSeconds(), "source", "--recovery-deadline");
        assertDefault(Reliability.DEFAULT_LINK_TIMEOUT.toSeconds(), "source", "--link-timeout");
        assertDefault(FaultBenchConfig.DEFAULT_MEM_PER_VCPU_BYTES, "fault-bench", "--mem-per-vcpu");
        assertDefault(FaultOptions.DEFAULT.mode().cliName(), "fault-bench", "--fault-mode");
    }

    /** What fault-bench's --help says each option defaults to. */
    private static Map<String, String> faultBenchStatedDefaults() {
        CliRun help = CliRun.of("fault-bench", "--help");
        String text = help.out().replaceAll("\\s+", " ");
        Map<String, String> stated = new java.util.HashMap<>();
        Matcher option = Pattern.compile("(--[a-z-]+)=\\S+ (.*?)(?= -[-A-Za-z]|$)").matcher(text.substring(text.indexOf(" --access=")));
        while (option.find()) {
            Matcher d = STATED_DEFAULT.matcher(option.group(2));
            if (d.find()) stated.put(option.group(1), d.group(1));
        }
        return stated;
    }

    @Test
    void faultBenchRunsWithTheDefaultsItsHelpStates(@TempDir Path tmp) throws Exception {
        Map<String, String> stated = faultBenchStatedDefaults();
        Path json = tmp.resolve("fb.json");
        CliRun run = CliRun.of("fault-bench", "--warmup-mem", "0", "--seed", "2", "--json", json.toString());
        assertEquals(0, run.exitCode(), run::toString);
        JsonNode r = SummaryPrinter.JSON.readTree(json.toFile());
        String context = stated + "\n" + r.toPrettyString();
        assertEquals(stated.get("--access"), r.path("access").asText(), context);
        assertEquals(stated.get("--fault-mode"), r.path("mode").asText(), context);
        assertEquals(Integer.parseInt(stated.get("--vcpus")), r.path("vcpus").asInt(), context);
        assertEquals(ByteSize.parse(stated.get("--mem-per-vcpu")), r.path("memPerVcpuBytes").asLong(), context);
        assertEquals(Long.parseLong(stated.get("--fetch-delay-us")), r.path("fetchDelayUs").asLong(), context);
        assertEquals(Double.parseDouble(stated.get("--internal-access-fraction")), r.path("internalAccessFraction").asDouble(), context);
        assertTrue(stated.size() >= 8, context);
    }
}
