package org.postcopysim.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A postcopy-sim subcommand in a JVM of its own, started like this one (same java, same class
 * path, and the options in {@code JAVA_OPTS}). Its stdout is echoed line by line with a prefix;
 * its stderr (logs) goes straight to ours. Public (start, await, destroy, isAlive) for the
 * subcommands in sub-packages, such as {@code compare}.
 */
public final class ChildJvm {
    private final String name;
    private final Process process;
    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(1024);
    private final Thread pump;

    private ChildJvm(String name, Process process, PrintWriter echo) {
        this.name = name;
        this.process = process;
        this.pump = new Thread(() -> pump(echo), name + "-stdout");
        this.pump.setDaemon(true);
        this.pump.start();
    }

    public static ChildJvm start(String name, PrintWriter echo, List<String> args) throws IOException {
        return start(name, echo, List.of(), args);
    }

    /** Starts a child with {@code jvmArgs} before {@code JAVA_OPTS} (so JAVA_OPTS wins). */
    public static ChildJvm start(String name, PrintWriter echo, List<String> jvmArgs, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        cmd.addAll(jvmArgs);
        String opts = System.getenv("JAVA_OPTS");
        if (opts != null && !opts.isBlank()) cmd.addAll(List.of(opts.trim().split("\\s+")));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new ChildJvm(name, p, echo);
    }

    private void pump(PrintWriter echo) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (echo) {
                    // The migration token is a secret: the parent reads it, but does not echo it.
                    echo.printf("%-6s| %s%n", name, line.startsWith("token: ") ? "token: (hidden)" : line);
                    echo.flush();
                }
                lines.offer(line);
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /** Waits up to {@code timeoutMs} for a stdout line starting with {@code prefix}; null if none came. */
    public String awaitLine(String prefix, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return null;
            String line = lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
            if (line != null && line.startsWith(prefix)) return line;
            if (line == null && !process.isAlive() && lines.isEmpty() && !pump.isAlive()) return null;
        }
    }

    /** Waits for the exit; returns the exit code, or -1 when it had to be killed after {@code timeoutMs}. */
    public int await(long timeoutMs) throws InterruptedException {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            destroy();
            return -1;
        }
        pump.join(5_000);
        return process.exitValue();
    }

    public int awaitForever() throws InterruptedException {
        int code = process.waitFor();
        pump.join(5_000);
        return code;
    }

    public void destroy() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }

    public boolean isAlive() {
        return process.isAlive();
    }
}
