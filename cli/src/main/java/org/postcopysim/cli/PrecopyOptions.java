package org.postcopysim.cli;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.source.policy.PrecopyPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Whether the source runs precopy rounds first, and how many. */
public final class PrecopyOptions {
    @Option(names = "--precopy-rounds", paramLabel = "N", defaultValue = "0",
            description = "Precopy rounds before postcopy, the guest running on the source meanwhile with its writes "
                    + "tracked (the destination's workload, sent in its Hello): round 1 sends every page, each later "
                    + "round the pages dirtied since they were sent; then the guest stops, the pages still dirty are "
                    + "discarded on the destination and fault there again, and postcopy sends them. 0 = postcopy only "
                    + "(the guest stops when the destination connects). With --precopy-until, the most rounds ("
                    + PrecopyPolicy.DEFAULT_MAX_ROUNDS_UNTIL + " when not given). Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--precopy-until", paramLabel = "DIRTY_BYTES", converter = ByteSize.class,
            description = "Switch over after the first precopy round that leaves at most this much memory dirtied "
                    + "(e.g. 4M; 0 = nothing dirty), or after --precopy-rounds rounds.")
    Long untilDirtyBytes;

    /** The policy these options ask for; a usage error when they contradict each other. */
    PrecopyPolicy resolve(CommandLine cl) {
        PrecopyPolicy[] out = new PrecopyPolicy[1];
        OptionCheck.check(cl, "--precopy-rounds", () -> PrecopyPolicy.rounds(rounds));
        if (untilDirtyBytes == null) return PrecopyPolicy.rounds(rounds);
        if (rounds == 0 && cl.getParseResult().hasMatchedOption("--precopy-rounds")) {
            throw new CommandLine.ParameterException(cl, "--precopy-until needs at least one round; --precopy-rounds is 0");
        }
        OptionCheck.check(cl, "--precopy-until", () -> out[0] = PrecopyPolicy.until(untilDirtyBytes, rounds));
        return out[0];
    }

    /** These options for a child {@code source} command. */
    List<String> asArgs() {
        List<String> args = new ArrayList<>();
        if (rounds != 0) args.addAll(List.of("--precopy-rounds", Integer.toString(rounds)));
        if (untilDirtyBytes != null) args.addAll(List.of("--precopy-until", Long.toString(untilDirtyBytes)));
        return args;
    }
}
