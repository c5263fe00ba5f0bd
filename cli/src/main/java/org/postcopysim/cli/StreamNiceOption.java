package org.postcopysim.cli;

import java.util.List;
import org.postcopysim.protocol.sched.StreamPriority;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --stream-nice N}: how much lower this side's stream-only event loops run. */
public final class StreamNiceOption {
    @Option(names = "--stream-nice", paramLabel = "N", defaultValue = "" + StreamPriority.DEFAULT_NICE,
            description = "Niceness added to the threads that carry only BACKGROUND streams (Linux, 0.."
                    + StreamPriority.MAX_NICE + "; 0 = as every other thread): where the cores are all busy, demand "
                    + "pages and the vCPUs get one before the stream. Default: ${DEFAULT-VALUE}.")
    int streamNice;

    /** The priority, or a usage error naming the option. */
    StreamPriority resolve(CommandLine cmd) {
        StreamPriority[] p = new StreamPriority[1];
        OptionCheck.check(cmd, "--stream-nice", () -> p[0] = StreamPriority.of(streamNice));
        return p[0];
    }

    /** The option for a child {@code source} or {@code dest}. */
    List<String> asArgs() {
        return List.of("--stream-nice", Integer.toString(streamNice));
    }
}
