package org.postcopysim.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.chaos.ChaosSpec;
import org.postcopysim.protocol.chaos.ChaosState;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --chaos SPEC}: seeded fault injection on page frames (see {@link ChaosSpec} for the grammar). */
public final class ChaosOption {
    @Option(names = "--chaos", paramLabel = "SPEC",
            description = "Inject faults into page frames, seeded from --seed so a run replays. A comma-separated "
                    + "list of: disconnect@P%% (drop every connection once P%% of the pages have passed), delay:MS, "
                    + "jitter:MS (extra random [0, MS] per frame), duplicate:RATE, reorder:RATE, corrupt:RATE "
                    + "(damage a page; the CRC32C check must catch it), slow-source:BYTES_PER_SEC (e.g. 32M). "
                    + "Example: --chaos delay:5,corrupt:0.01")
    String spec;

    /** The parsed spec, or null without {@code --chaos}; a bad spec is a usage error (exit 2) naming the term. */
    ChaosSpec resolve(CommandLine cl) {
        if (spec == null) return null;
        ChaosSpec[] parsed = new ChaosSpec[1];
        OptionCheck.check(cl, "--chaos", () -> parsed[0] = ChaosSpec.parse(spec));
        return parsed[0];
    }

    /**
     * {@code reliability} with the fault injection of {@code parsed}, seeded from the run's seed
     * mixed with a constant ({@link ChaosState#seedOf}); unchanged without {@code --chaos}.
     */
    static Reliability apply(Reliability reliability, ChaosSpec parsed, long runSeed) {
        if (parsed == null) return reliability;
        return reliability.withChaos(parsed.toString(), ChaosState.seedOf(runSeed));
    }

    /** Prints {@code chaos: SPEC (seed N)} when {@code reliability} injects faults. */
    static void print(PrintWriter out, Reliability reliability) {
        if (reliability.chaos() != null) {
            out.printf(Locale.ROOT, "chaos: %s (seed %d)%n", reliability.chaos(), reliability.chaosSeed());
        }
    }

    /** The option again, for a child process (none without {@code --chaos}). */
    List<String> asArgs() {
        return spec == null ? List.of() : List.of("--chaos", spec);
    }
}
