package org.postcopysim.cli;

import picocli.CommandLine;

/** Entry point of the {@code postcopy-sim} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests call {@code execute} on it). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new PostcopySimCommand());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(new UsageErrorHandler());
        cl.setExecutionExceptionHandler((e, command, parseResult) -> {
            if (!(e instanceof CommandFailure)) throw e;
            command.getErr().printf("%s: %s%n", command.getCommandSpec().qualifiedName(), e.getMessage());
            command.getErr().flush();
            return CommandFailure.EXIT_CODE;
        });
        return cl;
    }
}
