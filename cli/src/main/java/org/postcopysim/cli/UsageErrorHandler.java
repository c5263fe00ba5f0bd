package org.postcopysim.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * A usage error in two lines on stderr, as picocli's "Invalid User Input" example has it: what is
 * wrong (with picocli's suggestions for a mistyped option or subcommand), then where the help is.
 * The full usage is one {@code --help} away; printed after every mistake it buries the message.
 * Exit code 2 (picocli's code for invalid input).
 */
final class UsageErrorHandler implements IParameterExceptionHandler {
    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.printf("Try '%s --help' for more information.%n", cl.getCommandSpec().qualifiedName());
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }
}
