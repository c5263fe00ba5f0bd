package org.postcopysim.cli.compare;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** A bad option value as a picocli usage error: one line naming the option, the usage, exit code 2. */
final class Usage {
    private Usage() {}

    static void invalid(CommandLine cl, String option, String reason) {
        throw new ParameterException(cl, "Invalid value for option '" + option + "': " + reason, null,
                cl.getCommandSpec().findOption(option), null);
    }
}
