package org.postcopysim.cli.bench;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.postcopysim.cli.Main;
import picocli.CommandLine;

/** One execute of the real command line for the bench tests; what it printed on stdout and stderr. */
record BenchRun(int exitCode, String out, String err) {
    static BenchRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new BenchRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
}
