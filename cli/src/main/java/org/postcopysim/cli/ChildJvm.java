package org.postcopysim.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A postcopy-sim subcommand in a JVM of its own, started like this one (same java, same class
 * path, and the options in {@code JAVA_OPTS}). Each line of its stdout goes to a sink (by default
 * echoed with a prefix); its stderr (logs) goes straight to ours, or line by line to a sink of its
 * own, so that a parent drawing a progress bar can print it around the bar. Public (start, await,
 * destroy, isAlive) for the subcommands in sub-packages, such as {@code compare}.
 */
public final class ChildJvm {
    private final Process process;
    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(1024);
    private final Thread stdoutPump;
    private final Thread stderrPump;

    private ChildJvm(String name, Process process, Consumer<String> stdout, Consumer<String> stderr) {
        this.process = process;
        this.stdoutPump = pump(name + "-stdout", process.getInputStream(), line -> {
            stdout.accept(line);
            lines.offer(line);
        });
        this.stderrPump = stderr == null ? null : pump(name + "-stderr", process.getErrorStream(), stderr);
    }

    public static ChildJvm start(String name, PrintWriter echo, List<String> args) throws IOException {
        return start(name, echo, List.of(), args);
    }

    /** Starts a child with {@code jvmArgs} before {@code JAVA_OPTS} (so JAVA_OPTS wins), its stdout echoed to {@code echo}. */
    public static ChildJvm start(String name, PrintWriter echo, List<String> jvmArgs, List<String> args) throws IOException {
        return start(name, jvmArgs, args, echo(name, echo), null);
    }

    /**
     * Starts a child whose stdout lines go to {@code stdout} and stderr lines to {@code stderr}
     * (null: straight to this process's stderr). The sinks run on the child's pump threads.
     */
    public static ChildJvm start(String name, List<String> jvmArgs, List<String> args, Consumer<String> stdout,
                                 Consumer<String> stderr) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        cmd.addAll(jvmArgs);
        String opts = System.getenv("JAVA_OPTS");
        if (opts != null && !opts.isBlank()) cmd.addAll(List.of(opts.trim().split("\\s+")));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        ProcessBuilder b = new ProcessBuilder(cmd);
        if (stderr == null) b.redirectError(ProcessBuilder.Redirect.INHERIT);
        return new ChildJvm(name, b.start(), stdout, stderr);
    }

    /**
     * A sink that prints each line to {@code echo} as "name  | line"; the migration token is a
     * secret: the parent reads it (awaitLine), but the echo hides it.
     */
    public static Consumer<String> echo(String name, PrintWriter echo) {
        return line -> {
            synchronized (echo) {
                echo.println(prefixed(name, line));
                echo.flush();
            }
        };
    }

    /** "source| listening on ...": the line as the parent echoes it, a token hidden. */
    public static String prefixed(String name, String line) {
        return String.format("%-6s| %s", name, line.startsWith(MigrationToken.LINE_PREFIX) ? "token: (hidden)" : line);
    }

    private static Thread pump(String name, InputStream in, Consumer<String> sink) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) sink.accept(line);
            } catch (IOException e) {
                // the process ended
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Waits up to {@code timeoutMs} for a stdout line starting with {@code prefix}; null if none came. */
    public String awaitLine(String prefix, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return null;
            String line = lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
            if (line != null && line.startsWith(prefix)) return line;
            if (line == null && !process.isAlive() && lines.isEmpty() && !stdoutPump.isAlive()) return null;
        }
    }

    /** Waits for the exit; returns the exit code, or -1 when it had to be killed after {@code timeoutMs}. */
    public int await(long timeoutMs) throws InterruptedException {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            destroy();
            return -1;
        }
        joinPumps();
        return process.exitValue();
    }

    public int awaitForever() throws InterruptedException {
        int code = process.waitFor();
        joinPumps();
        return code;
    }

    /** The child's output is all relayed once its pumps have read to the end. */
    private void joinPumps() throws InterruptedException {
        stdoutPump.join(5_000);
        if (stderrPump != null) stderrPump.join(5_000);
    }

    public void destroy() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }

    public boolean isAlive() {
        return process.isAlive();
    }
}
