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
        return cl;
    }
}
