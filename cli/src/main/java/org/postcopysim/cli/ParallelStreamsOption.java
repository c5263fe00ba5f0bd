package org.postcopysim.cli;

import java.util.List;
import org.postcopysim.protocol.StreamCount;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --streams N}: the destination's BACKGROUND connections (QEMU's multifd channels). */
public final class ParallelStreamsOption {
    @Option(names = "--streams", paramLabel = "N", defaultValue = "1",
            description = "BACKGROUND connections the destination opens (QEMU's multifd channels, 1.." + StreamCount.MAX
                    + "): precopy and background pages are spread over them, demand pages keep their own connection, "
                    + "and --max-bandwidth caps them together. Default: ${DEFAULT-VALUE}.")
    int streams;

    /** The stream count, or a usage error naming the option. */
    int resolve(CommandLine cmd) {
        int[] n = new int[1];
        OptionCheck.check(cmd, "--streams", () -> n[0] = StreamCount.check(streams));
        return n[0];
    }

    /** The option for a child {@code dest}. */
    List<String> asArgs() {
        return List.of("--streams", Integer.toString(streams));
    }
}
