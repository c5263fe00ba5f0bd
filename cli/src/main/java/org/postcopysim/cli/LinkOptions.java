package org.postcopysim.cli;

import java.time.Duration;
import java.util.List;
import org.postcopysim.protocol.Reliability;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * What both sides of a link decide about losing it: {@code --link-timeout SECONDS} (silence that
 * counts as a dropped link) and {@code --recovery-deadline SECONDS} (how long a paused migration
 * waits for the other side). On {@code source}, and through {@link RecoveryOptions} on {@code dest}
 * and {@code demo}, which passes them to both children.
 */
public final class LinkOptions {
    @Option(names = "--recovery-deadline", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long a migration paused by a dropped link waits for the other side to come back "
                    + "before it fails (the destination then names the pages still missing). Default: ${DEFAULT-VALUE}.")
    double recoveryDeadlineSeconds;

    @Option(names = "--link-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "A connection on which nothing arrived for this long counts as dropped (a dead host or a "
                    + "path that drops every packet closes nothing); each side sends keepalives on a quiet "
                    + "connection. 0 = off. Default: ${DEFAULT-VALUE}.")
    double linkTimeoutSeconds;

    /** Checks the values: a usage error (exit 2) names the option. */
    void validate(CommandLine cl) {
        OptionCheck.check(cl, "--recovery-deadline", () -> seconds(recoveryDeadlineSeconds, true));
        OptionCheck.check(cl, "--link-timeout", () -> {
            Duration d = seconds(linkTimeoutSeconds, true);
            if (!d.isZero() && d.toMillis() < 10) throw new IllegalArgumentException("must be 0 (off) or at least 0.01 seconds, got " + linkTimeoutSeconds);
        });
    }

    /** {@code r} with these options applied, its other fields kept. */
    Reliability apply(Reliability r) {
        return r.withRecoveryDeadline(seconds(recoveryDeadlineSeconds, true)).withLinkTimeout(seconds(linkTimeoutSeconds, true));
    }

    /** The options again, for a child process. */
    List<String> asArgs() {
        return List.of("--recovery-deadline", Double.toString(recoveryDeadlineSeconds),
                "--link-timeout", Double.toString(linkTimeoutSeconds));
    }

    static Duration seconds(double s, boolean zeroAllowed) {
        if (!(s >= 0) || (!zeroAllowed && s == 0) || s > 1e9) {
            throw new IllegalArgumentException("must be " + (zeroAllowed ? "at least 0" : "positive") + " seconds, got " + s);
        }
        return Duration.ofNanos((long) (s * 1e9));
    }
}
