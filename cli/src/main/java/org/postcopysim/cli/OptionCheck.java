package org.postcopysim.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Option values the core modules refuse (their constructors and parsers throw
 * IllegalArgumentException) become picocli usage errors naming the option: one line on stderr,
 * the usage, exit code 2; never a stack trace, and before anything is started.
 */
final class OptionCheck {
    private OptionCheck() {}

    /** Runs {@code validation}; an IllegalArgumentException from it is reported as a bad value of {@code option}. */
    static void check(CommandLine cl, String option, Runnable validation) {
        try {
            validation.run();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, "Invalid value for option '" + option + "': " + e.getMessage(), e,
                    cl.getCommandSpec().findOption(option), null);
        }
    }
}
