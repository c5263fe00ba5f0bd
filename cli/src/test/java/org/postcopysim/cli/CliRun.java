package org.postcopysim.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.util.concurrent.CompletableFuture;
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

    /**
     * Runs {@code args} as {@link #execute} does on a daemon thread named {@code threadName}, for
     * commands that run side by side (a source and a destination): the exit code, or what it threw.
     */
    static CompletableFuture<Integer> async(String threadName, Writer out, Writer err, String... args) {
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                exit.complete(execute(out, err, args));
            } catch (Throwable e) {
                exit.completeExceptionally(e);
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
        return exit;
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
}
