package org.postcopysim.cli.compare;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** A bad option value as a picocli usage error: one line naming the option, the usage, exit code 2. */
final class Usage {
    private Usage() {}

    static void invalid(CommandLine cl, String option, String reason) {
        refuse(cl, option, "Invalid value for option '" + option + "': " + reason);
    }

    /** A usage error about {@code option} in the words of {@code message}. */
    static void refuse(CommandLine cl, String option, String message) {
        throw new ParameterException(cl, message, null, cl.getCommandSpec().findOption(option), null);
    }
}
