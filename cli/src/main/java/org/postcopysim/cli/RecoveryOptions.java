package org.postcopysim.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.postcopysim.protocol.Reliability;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Postcopy recovery on the destination: {@code --no-reconnect}, {@code --recovery-deadline SECONDS},
 * {@code --stall-timeout SECONDS}. They set the {@link Reliability} record, keeping its other fields.
 */
public final class RecoveryOptions {
    @Option(names = "--no-reconnect",
            description = "Fail the migration when the link to the source drops, instead of pausing and reconnecting "
                    + "(postcopy recovery).")
    boolean noReconnect;

    @Option(names = "--recovery-deadline", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long a paused migration waits for the other side to come back before it fails, "
                    + "naming the pages still missing. Default: ${DEFAULT-VALUE}.")
    double recoveryDeadlineSeconds;

    @Option(names = "--stall-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Report (log and count) a vCPU blocked on one missing page for longer than this. "
                    + "Default: ${DEFAULT-VALUE}.")
    double stallTimeoutSeconds;

    /** Checks the values: a usage error (exit 2) names the option. */
    void validate(CommandLine cl) {
        OptionCheck.check(cl, "--recovery-deadline", () -> seconds(recoveryDeadlineSeconds, true));
        OptionCheck.check(cl, "--stall-timeout", () -> seconds(stallTimeoutSeconds, false));
    }

    /** {@code r} with these options applied. */
    Reliability apply(Reliability r) {
        return r.withReconnect(!noReconnect)
                .withRecoveryDeadline(seconds(recoveryDeadlineSeconds, true))
                .withStallTimeout(seconds(stallTimeoutSeconds, false));
    }

    /** The options again, for a child destination process. */
    List<String> asArgs() {
        List<String> args = new ArrayList<>();
        if (noReconnect) args.add("--no-reconnect");
        args.add("--recovery-deadline");
        args.add(Double.toString(recoveryDeadlineSeconds));
        args.add("--stall-timeout");
        args.add(Double.toString(stallTimeoutSeconds));
        return args;
    }

    /** {@code --recovery-deadline SECONDS} for a child source process. */
    List<String> sourceArgs() {
        return List.of("--recovery-deadline", Double.toString(recoveryDeadlineSeconds));
    }

    static Duration seconds(double s, boolean zeroAllowed) {
        if (!(s >= 0) || (!zeroAllowed && s == 0) || s > 1e9) {
            throw new IllegalArgumentException("must be " + (zeroAllowed ? "at least 0" : "positive") + " seconds, got " + s);
        }
        return Duration.ofNanos((long) (s * 1e9));
    }
}
