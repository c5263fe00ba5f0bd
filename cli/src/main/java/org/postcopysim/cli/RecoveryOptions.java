package org.postcopysim.cli;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.protocol.Reliability;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Postcopy recovery on the destination: {@code --no-reconnect}, {@code --stall-timeout SECONDS}, and
 * the {@link LinkOptions} both sides share ({@code --recovery-deadline}, {@code --link-timeout}).
 * They set the {@link Reliability} record, keeping its other fields.
 */
public final class RecoveryOptions {
    @Option(names = "--no-reconnect",
            description = "Fail the migration when the link to the source drops, instead of pausing and reconnecting "
                    + "(postcopy recovery).")
    boolean noReconnect;

    @Mixin
    LinkOptions link = new LinkOptions();

    @Option(names = "--stall-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Report (log and count) a vCPU blocked on one missing page for longer than this. "
                    + "Default: ${DEFAULT-VALUE}.")
    double stallTimeoutSeconds;

    /** Checks the values: a usage error (exit 2) names the option. */
    void validate(CommandLine cl) {
        link.validate(cl);
        OptionCheck.check(cl, "--stall-timeout", () -> LinkOptions.seconds(stallTimeoutSeconds, false));
    }

    /** {@code r} with these options applied. */
    Reliability apply(Reliability r) {
        return link.apply(r).withReconnect(!noReconnect)
                .withStallTimeout(LinkOptions.seconds(stallTimeoutSeconds, false));
    }

    /** The options again, for a child destination process. */
    List<String> asArgs() {
        List<String> args = new ArrayList<>();
        if (noReconnect) args.add("--no-reconnect");
        args.addAll(link.asArgs());
        args.add("--stall-timeout");
        args.add(Double.toString(stallTimeoutSeconds));
        return args;
    }

    /** The options a child source process takes too: {@code --recovery-deadline}, {@code --link-timeout}. */
    List<String> sourceArgs() {
        return link.asArgs();
    }
}
