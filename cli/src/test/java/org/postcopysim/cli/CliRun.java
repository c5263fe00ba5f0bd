package org.postcopysim.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import picocli.CommandLine;

/** One {@code execute(args)} of the real command line, with what it printed on stdout and stderr. */
record CliRun(int exitCode, String out, String err) {

    /** Runs {@code args} on a fresh {@link Main#commandLine()} capturing both streams. */
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = execute(out, err, args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Runs {@code args} on a fresh {@link Main#commandLine()} writing to the given sinks. */
    static int execute(Writer out, Writer err, String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
}
